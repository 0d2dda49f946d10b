"""The convolution kernels (``backend/kernels/depthwise.py``, the pointwise GEMM path and the
blocked transposed convolution of ``autograd/primitives/conv.py``) equal the readable paths they
replace: the grouped ``Conv`` for depthwise convolutions, plain einsums for the rest."""

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor
from numdeep.autograd.primitives import conv as conv_mod
from numdeep.autograd.primitives.conv_geometry import col2im, interior, patches_reference, windows
from numdeep.backend import threads
from numdeep.backend.kernels import depthwise, im2col


def _run(fn, arrays, seed=1):
    """Output and input gradients of ``fn`` for a fixed random cotangent."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    y.backward(g)
    return [y.data] + [t.grad for t in ts]


def _arrays(dtype, *shapes):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


DEPTHWISE = [  # input shape, multiplier, kernel size, keyword arguments
    ((2, 7, 6, 3), 1, (3, 3), dict(padding="same")),
    ((3, 9, 8, 4), 2, (3, 2), dict(strides=2)),
    ((2, 9, 9, 2), 3, (3, 3), dict(dilation_rate=2, padding="same")),
    ((1, 8, 7, 3), 1, (2, 3), dict(strides=(2, 1), dilation_rate=(1, 2), padding="same")),
    ((4, 11, 5), 2, (3,), dict(strides=2, padding="causal")),
    ((2, 5, 4, 6, 2), 1, (2, 3, 2), dict(padding="same")),
    ((2, 6, 5, 4, 3), 2, (3, 1, 2), dict(strides=(1, 2, 1))),
    ((0, 6, 6, 3), 2, (3, 3), dict(padding="same")),  # an empty batch
]


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape, mult, ksize, kwargs", DEPTHWISE)
def test_depthwise_kernel_equals_the_grouped_path(monkeypatch, shape, mult, ksize, kwargs,
                                                  bias, dtype, tol):
    channels = shape[-1]
    shapes = [shape, ksize + (channels, mult)] + ([(channels * mult,)] if bias else [])
    arrays = _arrays(dtype, *shapes)

    def fn(x, w, b=None):
        return ops.depthwise_conv(x, w, bias=b, **kwargs)

    fast = _run(fn, arrays)
    monkeypatch.setattr(conv_mod, "DEPTHWISE_KERNEL", False)
    reference = _run(fn, arrays)
    for name, a, r in zip(["y", "gx", "gw", "gb"], fast, reference):
        assert a.dtype == r.dtype == np.dtype(dtype) and a.shape == r.shape, name
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("block_bytes, min_part", [(1, 1), (5000, 1), (1 << 20, 1 << 16)])
def test_depthwise_blocks_and_threads_give_the_same_numbers(monkeypatch, block_bytes, min_part):
    arrays = _arrays("float64", (5, 8, 7, 3), (3, 3, 3, 2), (6,))

    def fn(x, w, b):
        return ops.depthwise_conv(x, w, bias=b, strides=(1, 2), padding="same")

    whole = _run(fn, arrays)
    monkeypatch.setattr(depthwise, "BLOCK_BYTES", block_bytes)  # 1 image a block, or a few
    monkeypatch.setattr(threads, "MIN_PART", min_part)
    threads.set_num_threads(2)
    try:
        split = _run(fn, arrays)
    finally:
        threads.set_num_threads(None)
    for a, b in zip(whole, split):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_bytes", [1, 3000, 1 << 20])
def test_conv_split_over_threads_equals_one_thread_and_the_reference(monkeypatch, block_bytes):
    # The forward and the kernel gradient cut the batch into one part per thread (each with its
    # own blocks and one BLAS thread): the same numbers as one thread up to the sum's rounding,
    # the im2col reference's, and the same bits at every run with a given thread count.
    arrays = _arrays("float64", (7, 9, 8, 3), (3, 3, 3, 5), (5,))

    def fn(x, w, b):
        return ops.conv(x, w, bias=b, padding="same", strides=(1, 2))

    one = _run(fn, arrays)
    monkeypatch.setattr(im2col, "BLOCK_BYTES", block_bytes)  # parts of 1 image or a few
    threads.set_num_threads(2)
    try:
        split = [_run(fn, arrays) for _ in range(2)]
        used = im2col.over_images(np, 7, 7 * 36 * 28, 8, lambda s: s)
    finally:
        threads.set_num_threads(None)
    assert len(used) == (2 if block_bytes < 1 << 20 else 1)  # split, except one big block
    for a, b, c in zip(one, *split):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(b, c)
    x, w, b = arrays
    # "same" with strides (1, 2): rows padded 1 and 1, columns 0 and 1 (TensorFlow's rule).
    view = windows(np, np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0))), (9, 4), (3, 3), (1, 2),
                   (1, 1))
    expected = patches_reference(view) @ w.reshape(-1, 5) + b
    np.testing.assert_allclose(split[0][0].reshape(-1, 5), expected, rtol=1e-12, atol=1e-12)


def test_transposed_conv_split_over_threads_equals_one_thread(monkeypatch):
    # ConvTranspose's forward (products and strided adds) and backward (input and kernel
    # gradients from gy's patches) split the batch like Conv's: one thread's numbers up to the
    # sum's rounding, the reference's, and the same bits at every run.
    arrays = _arrays("float64", (6, 5, 4, 3), (3, 3, 4, 3), (4,))

    def fn(x, w, b):
        return ops.conv_transpose(x, w, bias=b, strides=2, padding="same")

    one = _run(fn, arrays)
    monkeypatch.setattr(im2col, "BLOCK_BYTES", 1)  # one image a block: a part per thread
    split_into = []
    over_images = im2col.over_images

    def spy(*args):
        parts = over_images(*args)
        split_into.append(len(parts))
        return parts

    monkeypatch.setattr(im2col, "over_images", spy)
    threads.set_num_threads(2)
    try:
        split = [_run(fn, arrays) for _ in range(2)]
    finally:
        threads.set_num_threads(None)
    assert split_into == [2, 2] * 2  # the forward and the backward, in each run
    for a, b, c in zip(one, *split):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(b, c)
    monkeypatch.setattr(conv_mod, "TRANSPOSE_KERNEL", False)  # the col2im reference
    reference = _run(fn, arrays)
    np.testing.assert_allclose(split[0][0], reference[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_pointwise_conv_is_one_gemm_with_the_einsum_gradients(rank, dtype, tol):
    spatial = (5, 4, 3)[:rank]
    x, w, b, gy = _arrays(dtype, (3,) + spatial + (6,), (1,) * rank + (6, 4), (4,),
                          (3,) + spatial + (4,))
    ts = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    y = ops.conv(ts[0], ts[1], bias=ts[2])
    y.backward(gy)
    w2 = w.reshape(6, 4)
    np.testing.assert_allclose(y.data, np.einsum("...c,cf->...f", x, w2) + b, rtol=tol, atol=tol)
    np.testing.assert_allclose(ts[0].grad, np.einsum("...f,cf->...c", gy, w2), rtol=tol, atol=tol)
    gw = (x.reshape(-1, 6).T @ gy.reshape(-1, 4)).reshape(w.shape)
    np.testing.assert_allclose(ts[1].grad, gw, rtol=tol, atol=tol)
    np.testing.assert_allclose(ts[2].grad, gy.reshape(-1, 4).sum(0), rtol=tol, atol=tol)


NARROW = [  # input shape, kernel shape, keyword arguments: one filter over >= 8 channels
    ((2, 7, 6, 8), (3, 3, 8, 1), dict(padding="same")),
    ((3, 9, 8, 9), (2, 3, 9, 1), dict(strides=(2, 1), padding="same")),
    ((2, 9, 9, 8), (3, 3, 8, 1), dict(dilation_rate=2)),
    ((2, 11, 10), (3, 10, 1), dict(padding="causal", dilation_rate=2)),
    ((1, 4, 5, 4, 8), (2, 3, 2, 8, 1), dict(padding="same", strides=(1, 2, 1))),
    ((0, 6, 6, 8), (3, 3, 8, 1), dict(padding="same")),
]


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("shape, kshape, kwargs", NARROW)
def test_single_filter_kernel_equals_im2col(monkeypatch, shape, kshape, kwargs, dtype, tol):
    arrays = _arrays(dtype, shape, kshape, (1,))

    def fn(x, w, b):
        return ops.conv(x, w, bias=b, **kwargs)

    fast = _run(fn, arrays)
    monkeypatch.setattr(conv_mod, "NARROW_KERNEL", False)
    for name, a, r in zip(["y", "gx", "gw", "gb"], fast, _run(fn, arrays)):
        assert a.dtype == r.dtype == np.dtype(dtype) and a.shape == r.shape, name
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol, err_msg=name)


GATHER = [  # stride 1, filters <= channels: the input gradient is a convolution of gy
    ((2, 7, 6, 4), (3, 3, 4, 2), dict(padding="same")),
    ((2, 6, 7, 3), (4, 2, 3, 3), dict(padding="same")),  # even kernel: unequal pads
    ((1, 9, 8, 3), (3, 2, 3, 1), dict(dilation_rate=(2, 3))),
    ((3, 10, 4), (3, 4, 4), dict(padding="causal", dilation_rate=2)),
    ((1, 4, 5, 4, 3), (2, 3, 2, 3, 3), dict(padding="same")),
    ((2, 7, 6, 2), (3, 3, 2, 4), dict(padding="same")),  # more filters: the scatter
    ((2, 7, 6, 4), (3, 3, 4, 2), dict(strides=2)),  # strided: the scatter
]


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("shape, kshape, kwargs", GATHER)
def test_input_gradient_equals_the_col2im_reference(shape, kshape, kwargs, dtype, tol):
    x, w = _arrays(dtype, shape, kshape)
    xt = Tensor(x, requires_grad=True)
    y = ops.conv(xt, w, **kwargs)
    gy = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    fn = y._ctx
    y.backward(gy)
    nd = w.ndim - 2
    gcols = gy.reshape(-1, w.shape[-1]) @ w.reshape(-1, w.shape[-1]).T
    gcols = gcols.reshape(y.shape[:-1] + w.shape[:nd] + (w.shape[-2],))
    gpad = col2im(np, gcols, fn.padded_shape, fn.strides, fn.dilation)
    expected = gpad[interior(x.shape, fn.padding)]
    assert xt.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(xt.grad, expected, rtol=tol, atol=tol)


TRANSPOSE = [  # input shape, kernel shape (*k, F, C), keyword arguments
    ((2, 4, 5, 3), (3, 3, 2, 3), dict(strides=2, padding="same")),
    ((2, 4, 5, 3), (3, 3, 2, 3), dict(strides=2)),
    ((1, 3, 3, 2), (3, 3, 2, 2), dict(strides=2, padding="same", output_padding=1)),
    ((1, 3, 4, 2), (3, 2, 3, 2), dict(dilation_rate=2, padding="same")),
    ((2, 3, 3, 2), (2, 2, 2, 2), dict(strides=3)),  # the kernel smaller than the stride
    ((3, 5, 3), (4, 2, 3), dict(strides=2, padding="same")),
    ((1, 2, 3, 2, 2), (3, 2, 2, 3, 2), dict(strides=(2, 1, 2), padding="same")),
    ((0, 3, 3, 2), (3, 3, 2, 2), dict(strides=2, padding="same")),
]


@pytest.mark.parametrize("block_bytes", [1, 1 << 20])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("shape, kshape, kwargs", TRANSPOSE)
def test_transposed_conv_kernel_equals_col2im(monkeypatch, shape, kshape, kwargs, dtype, tol,
                                              block_bytes):
    arrays = _arrays(dtype, shape, kshape, kshape[-2:-1])

    def fn(x, w, b):
        return ops.conv_transpose(x, w, bias=b, **kwargs)

    monkeypatch.setattr(im2col, "BLOCK_BYTES", block_bytes)  # backward: blocks of 1 image
    fast = _run(fn, arrays)
    monkeypatch.setattr(conv_mod, "TRANSPOSE_KERNEL", False)
    monkeypatch.setattr(im2col, "BLOCK_BYTES", 1 << 30)  # one block: the whole matrix
    for name, a, r in zip(["y", "gx", "gw", "gb"], fast, _run(fn, arrays)):
        assert a.dtype == r.dtype == np.dtype(dtype) and a.shape == r.shape, name
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape, ksize, strides", [((3, 9, 8, 1), (3, 2), (2, 1)),
                                                   ((2, 7, 1), (3,), (1,)),
                                                   ((2, 4, 5, 3, 1), (2, 3, 2), (1, 1, 1))])
def test_one_channel_im2col_by_tap_equals_the_window_copy(monkeypatch, shape, ksize, strides,
                                                          bias):
    x = _arrays("float32", shape)[0]
    out = tuple((n - k) // s + 1 for n, k, s in zip(shape[1:-1], ksize, strides))
    view = windows(np, x, out, ksize, strides, (1,) * len(out))
    monkeypatch.setattr(im2col, "BLOCK_BYTES", 1)  # one image a block
    blocks = [(rows, cols.copy()) for rows, cols in im2col.patch_blocks(np, view, len(out), bias)]
    whole = patches_reference(view, bias)
    assert len(blocks) > 1
    for rows, cols in blocks:
        np.testing.assert_array_equal(cols, whole[rows])
