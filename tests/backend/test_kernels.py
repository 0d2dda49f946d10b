"""Every fast kernel in ``numdeep/backend/kernels`` equals the reference math it replaces."""

import numpy as np
import pytest

from numdeep.autograd.primitives.attention import masked_softmax_reference
from numdeep.autograd.primitives.conv import patches_reference, windows
from numdeep.autograd.primitives.elementwise import gelu_reference
from numdeep.backend.kernels import gelu, im2col, optimizers, softmax


@pytest.mark.parametrize("size", [5, 40_000, 300_007])  # one block, several, a ragged last one
def test_gelu_kernel_equals_the_erf_reference(size):
    x = np.random.default_rng(0).normal(scale=4.0, size=size).astype(np.float32)
    x[:3] = [0.0, -1e4, 1e4]
    y, h = gelu.gelu_and_tail(x)
    y_ref, h_ref = gelu_reference(np, x.astype(np.float64))
    np.testing.assert_allclose(y, y_ref, atol=2e-6, rtol=1e-6)
    np.testing.assert_allclose(h, h_ref, atol=4e-7)  # A&S 7.1.26: 1.5e-7, plus float32 rounding


@pytest.mark.parametrize("shape, mask_shape", [
    ((4, 3, 60, 200), (4, 1, 1, 200)),     # key padding mask broadcast over heads and queries
    ((2, 2, 120, 150), (2, 1, 120, 150)),  # per-query masks
    ((3, 70000), None),                    # no mask, blocks over rows
])
def test_block_softmax_equals_the_row_wise_reference(shape, mask_shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    mask = None if mask_shape is None else rng.random(mask_shape) > 0.3
    if mask is not None:
        mask[0, ..., :] = False  # some fully masked rows
    y = softmax.masked_softmax_last_axis(x, mask, masked_softmax_reference)
    with np.errstate(under="ignore"):
        ref = masked_softmax_reference(np, x.astype(np.float64), mask, -1)
    np.testing.assert_allclose(y, ref, atol=1e-6, rtol=1e-5)


def test_block_softmax_takes_the_reference_path_for_rows_far_below_the_block_max():
    x = np.zeros((2, 40_000), np.float32)
    x[0] = -200.0  # exp(-200) underflows in float32: the kernel must hand this row back
    y = softmax.masked_softmax_last_axis(x, None, masked_softmax_reference)
    np.testing.assert_allclose(y, 1 / 40_000, rtol=1e-5)


@pytest.mark.parametrize("block_bytes", [1, 500, 1 << 20])
@pytest.mark.parametrize("bias", [False, True])
def test_im2col_blocks_tile_the_whole_patch_matrix(block_bytes, bias):
    x = np.random.default_rng(2).standard_normal((5, 7, 6, 3))
    view = windows(np, x, (5, 4), (3, 3), (1, 1), (1, 1))
    whole = patches_reference(view, bias)
    parts = [(rows, cols.copy()) for rows, cols in
             im2col.patch_blocks(np, view, 2, bias, block_bytes)]
    assert parts[-1][0].stop == whole.shape[0]
    np.testing.assert_array_equal(np.concatenate([c for _, c in parts]), whole)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_kernel_equals_the_plain_update_rule(amsgrad):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 5))
    m, v = rng.standard_normal((4, 5)) * 0.1, rng.random((4, 5)) * 0.01
    v_hat = rng.random((4, 5)) * 0.01 if amsgrad else None
    w_ref, m_ref, v_ref, vh_ref = w.copy(), m.copy(), v.copy(), None if v_hat is None \
        else v_hat.copy()
    for _ in range(3):
        g = rng.standard_normal((4, 5))
        optimizers.adam_update(w, g, m, v, np.empty_like(w), 0.9, 0.999, 1e-7, 0.01, v_hat)
        w_ref, m_ref, v_ref, vh_ref = optimizers.adam_reference(w_ref, g, m_ref, v_ref, 0.9,
                                                                0.999, 1e-7, 0.01, vh_ref)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(m, m_ref, rtol=1e-12)
    np.testing.assert_allclose(v, v_ref, rtol=1e-12)
    if amsgrad:
        np.testing.assert_allclose(v_hat, vh_ref, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 5, 384), (3, 7), (1, 1), (0, 6), (70, 33), (2, 0, 9)])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_layernorm_kernel_equals_the_reference(dtype, shape, affine):
    from numdeep.autograd.primitives.normalization import layer_norm_reference
    from numdeep.backend.kernels import layernorm

    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    gamma = rng.standard_normal(shape[-1:]).astype(dtype) if affine[0] else None
    beta = rng.standard_normal(shape[-1:]).astype(dtype) if affine[1] else None
    got = layernorm.layer_norm_last_axis(x, gamma, beta, 1e-5)
    want = layer_norm_reference(np, x, gamma, beta, 1e-5, (x.ndim - 1,))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    assert not np.shares_memory(got[0], got[1])


def test_layernorm_kernel_splits_rows_over_threads_with_the_same_result():
    from numdeep.backend import threads
    from numdeep.backend.kernels import layernorm

    x = np.random.default_rng(6).standard_normal((300, 517)).astype(np.float32)
    threads.set_num_threads(1)
    try:
        one = layernorm.layer_norm_last_axis(x, None, np.ones(517, np.float32), 1e-3)
        threads.set_num_threads(2)
        two = layernorm.layer_norm_last_axis(x, None, np.ones(517, np.float32), 1e-3)
    finally:
        threads.set_num_threads(None)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("size", [7, 100_003, 300_000])
def test_gelu_without_tail_equals_gelu_and_tail_at_any_thread_count(num_threads, size):
    from numdeep.backend import threads

    x = np.random.default_rng(7).normal(scale=3.0, size=size).astype(np.float32)
    y_ref, h_ref = gelu.gelu_and_tail(x)
    threads.set_num_threads(num_threads)
    try:
        y2, h2 = gelu.gelu_and_tail(x)
        y1 = gelu.gelu(x.reshape(1, -1))
    finally:
        threads.set_num_threads(None)
    np.testing.assert_array_equal(y1.reshape(-1), y_ref)
    np.testing.assert_array_equal(y2, y_ref)
    np.testing.assert_array_equal(h2, h_ref)


@pytest.mark.parametrize("num_threads", [1, 2])
def test_block_softmax_is_the_same_at_any_thread_count(num_threads):
    from numdeep.backend import threads

    rng = np.random.default_rng(8)
    x = (rng.standard_normal((6, 4, 70, 130)) * 4).astype(np.float32)
    mask = rng.random((6, 1, 70, 130)) > 0.2
    mask[1, :, 3] = False  # fully masked query rows inside a block
    x[2, 1, 5, 7] = 300.0  # rows far below this block's maximum: recomputed row by row
    ref = softmax.masked_softmax_last_axis(x, mask, masked_softmax_reference)
    threads.set_num_threads(num_threads)
    try:
        y = softmax.masked_softmax_last_axis(x, mask, masked_softmax_reference)
    finally:
        threads.set_num_threads(None)
    np.testing.assert_array_equal(y, ref)
    with np.errstate(under="ignore"):
        exact = masked_softmax_reference(np, x.astype(np.float64), mask, -1)
    np.testing.assert_allclose(y, exact, atol=1e-6, rtol=1e-5)
    assert not y[1, :, 3].any()


def test_block_softmax_recomputes_only_the_rows_that_underflow():
    x = np.zeros((3, 200, 300), np.float32)
    x[0, 0, 0] = 500.0  # the block's maximum: every other row's exponents underflow
    y = softmax.masked_softmax_last_axis(x, None, masked_softmax_reference)
    np.testing.assert_allclose(y[1:], 1 / 300, rtol=1e-6)
    np.testing.assert_allclose(y[0, 1:], 1 / 300, rtol=1e-6)
    assert y[0, 0, 0] == 1.0


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_backward_kernel_equals_the_reference(num_threads, dtype):
    from numdeep.backend import threads

    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 3, 90, 110)).astype(dtype)
    y = softmax.masked_softmax_last_axis(x, None, masked_softmax_reference)
    gy = rng.standard_normal(x.shape).astype(dtype).transpose(0, 1, 3, 2).copy()
    gy = gy.transpose(0, 1, 3, 2)  # a strided upstream gradient, as a transposed view gives
    threads.set_num_threads(num_threads)
    try:
        gx = softmax.softmax_backward_last_axis(y, gy)
    finally:
        threads.set_num_threads(None)
    ref = y * (gy - (gy * y).sum(-1, keepdims=True))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(gx, ref, rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("num_threads", [1, 2, 3])
def test_blocks_are_each_handed_out_once_each_thread_on_its_own_scratch(num_threads):
    import threading

    from numdeep.backend import threads
    from numdeep.backend.kernels.blockwise import for_each_block

    seen, scratches, lock = [], [], threading.Lock()

    def scratch():
        with lock:
            scratches.append(threading.get_ident())
        return threading.get_ident()

    def block(i, work):
        assert work == threading.get_ident()  # the calling thread's own scratch
        with lock:
            seen.append(i)

    threads.set_num_threads(num_threads)
    try:
        for_each_block(50, block, size=50 * threads.MIN_PART, scratch=scratch)
    finally:
        threads.set_num_threads(None)
    assert sorted(seen) == list(range(50))
    assert len(scratches) <= num_threads  # one per share of the pool


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_column_sums_equal_numpy_sums(dtype):
    from numdeep.backend.kernels.reductions import column_sums

    a = np.random.default_rng(0).standard_normal((7, 5, 3)).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(column_sums(a), a.sum(axis=(0, 1)), rtol=tol, atol=tol)
    tiled = a.reshape(7, 15)  # five channels-of-3 side by side per row
    np.testing.assert_allclose(column_sums(tiled, 3), a.sum(axis=(0, 1)), rtol=tol, atol=tol)
    assert column_sums(np.zeros((0, 4), dtype)).tolist() == [0.0] * 4
