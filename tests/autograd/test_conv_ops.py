"""Float64 gradient checks and float32 PyTorch parity of the convolution, pooling and
batch-normalization primitives, one table in the style of ``test_ops_gradcheck.CASES``.

Each row runs a ``numdeep.ops`` convolution, pooling or batch-norm function on channels-last
float64 inputs; its torch equivalent gets the same inputs moved to channels-first (kernels
converted with ``numdeep.saving.torch_layout``) and explicit padding, so the padding rules are
checked against hand-computed pad widths rather than against our own helper.
"""

import weakref

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor, gradcheck
from numdeep.autograd.function import Function
from numdeep.autograd.primitives import conv as conv_mod
from numdeep.autograd.primitives import normalization as norm_mod
from numdeep.autograd.primitives import pool as pool_mod
from numdeep.backend.kernels import im2col
from numdeep.ops import conv_shapes
from numdeep.ops import convolution as conv_ops

from .test_ops_gradcheck import Case, _primitives_in_graph, distinct, normal, uniform

CONV_TOL = (1e-4, 1e-4)  # float32 sums of up to ~100 products


# ----- torch side: NCHW, (out, in, *k) kernels, explicit padding --------------------------------
def _first(T, x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def _last(T, y):
    return y.permute(0, *range(2, y.ndim), 1)


def _pad(T, x, pads, value=0.0):
    """``pads`` is one (before, after) pair per spatial axis, outermost first."""
    flat = [p for pair in reversed(pads) for p in pair]
    return T.nn.functional.pad(x, flat, value=value)


def tconv(T, x, w, b=None, stride=1, pads=None, dilation=1, groups=1):
    nd = x.ndim - 2
    xc = _first(T, x)
    if pads:
        xc = _pad(T, xc, pads)
    wt = w.permute(nd + 1, nd, *range(nd)).contiguous()  # torch's double backward needs it
    fn = (T.nn.functional.conv1d, T.nn.functional.conv2d, T.nn.functional.conv3d)[nd - 1]
    return _last(T, fn(xc, wt, b, stride, 0, dilation, groups))


def tdepthwise(T, x, w, pads=None):
    *k, c, m = w.shape
    wt = w.reshape(*k, 1, c * m)
    return tconv(T, x, wt, pads=pads, groups=c)


def tconv_t(T, x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, crop=None):
    nd = x.ndim - 2
    wt = w.permute(nd + 1, nd, *range(nd))  # (*k, F, C) -> (C, F, *k)
    fn = (T.nn.functional.conv_transpose1d, T.nn.functional.conv_transpose2d,
          T.nn.functional.conv_transpose3d)[nd - 1]
    y = _last(T, fn(_first(T, x), wt, b, stride, padding, output_padding, 1, dilation))
    return y if crop is None else y[crop]


def tpool(T, x, kind, k, stride, pads=None):
    xc = _first(T, x)
    F = T.nn.functional
    if kind == "max":
        if pads:
            xc = _pad(T, xc, pads, -float("inf"))
        fn = (F.max_pool1d, F.max_pool2d)[x.ndim - 3]
        return _last(T, fn(xc, k, stride))
    fn = (F.avg_pool1d, F.avg_pool2d)[x.ndim - 3]
    if not pads:
        return _last(T, fn(xc, k, stride))
    # Keras averages only real pixels: sum over the window / count of real pixels.
    ones = _pad(T, T.ones_like(xc[:1, :1]), pads)
    return _last(T, fn(_pad(T, xc, pads), k, stride) / fn(ones, k, stride))


def tadaptive(T, x, kind, size):
    F = T.nn.functional
    fns = {"max": (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d),
           "avg": (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)}
    return _last(T, fns[kind][x.ndim - 3](_first(T, x), size))


def tmasked_batch_norm(T, x, w, g, b):
    """Batch statistics over the kept elements only (``w`` is 0/1), every element normalized."""
    axes = tuple(range(x.ndim - 1))
    n = w.sum(axes).clamp(min=1)
    mean = (x * w).sum(axes) / n
    var = (w * (x - mean) ** 2).sum(axes) / n
    return (x - mean) / T.sqrt(var + 1e-3) * g + b


def masked_batch_norm(x, g, b):
    return norm_mod.BatchNorm.apply(x, g, b, axis=-1, epsilon=1e-3, mask=BN_MASK)


BN_MASK = (np.arange(5 * 3).reshape(5, 3, 1) % 4 != 1).astype("float64")


def tbatch_norm(T, x, g=None, b=None):
    return _last(T, T.nn.functional.batch_norm(_first(T, x), None, None, g, b, training=True,
                                               eps=1e-3))


def positive(*shape):
    return uniform(0.5, 2.0, *shape)


C = ops
CASES = [
    # --- conv (2-D unless named), groups inferred from the kernel ---
    Case("conv", lambda x, w, b: C.conv(x, w, bias=b), (normal(2, 5, 5, 3), normal(3, 3, 3, 4),
                                                   normal(4)),
         lambda T, x, w, b: tconv(T, x, w, b), tol=CONV_TOL),
    Case("conv:no-bias-1x1", lambda x, w: C.conv(x, w), (normal(2, 4, 4, 3), normal(1, 1, 3, 5)),
         lambda T, x, w: tconv(T, x, w), tol=CONV_TOL),
    Case("conv:stride2-same", lambda x, w: C.conv(x, w, strides=2, padding="same"),
         (normal(2, 6, 7, 2), normal(3, 3, 2, 3)),
         lambda T, x, w: tconv(T, x, w, stride=2, pads=((0, 1), (1, 1))), tol=CONV_TOL),
    Case("conv:same-even-kernel", lambda x, w: C.conv(x, w, padding="same"),
         (normal(1, 5, 6, 2), normal(4, 2, 2, 3)),
         lambda T, x, w: tconv(T, x, w, pads=((1, 2), (0, 1))), tol=CONV_TOL),
    Case("conv:dilation", lambda x, w: C.conv(x, w, dilation_rate=2),
         (normal(1, 7, 7, 2), normal(3, 3, 2, 2)),
         lambda T, x, w: tconv(T, x, w, dilation=2), tol=CONV_TOL),
    Case("conv:dilation-same-strided", lambda x, w: C.conv(x, w, strides=(1, 2), padding="same",
                                                           dilation_rate=(2, 1)),
         (normal(1, 6, 5, 2), normal(3, 3, 2, 2)),
         lambda T, x, w: tconv(T, x, w, stride=(1, 2), pads=((2, 2), (1, 1)), dilation=(2, 1)),
         tol=CONV_TOL),
    Case("conv:groups", lambda x, w, b: C.conv(x, w, bias=b),
         (normal(1, 5, 5, 4), normal(3, 3, 2, 6), normal(6)),
         lambda T, x, w, b: tconv(T, x, w, b, groups=2), tol=CONV_TOL),
    Case("conv:1d-strided", lambda x, w, b: C.conv(x, w, bias=b, strides=2),
         (normal(2, 8, 3), normal(3, 3, 4), normal(4)),
         lambda T, x, w, b: tconv(T, x, w, b, stride=2), tol=CONV_TOL),
    Case("conv:1d-causal-dilated", lambda x, w: C.conv(x, w, padding="causal", dilation_rate=2),
         (normal(1, 7, 2), normal(3, 2, 3)),
         lambda T, x, w: tconv(T, x, w, pads=((4, 0),), dilation=2), tol=CONV_TOL),
    Case("conv:3d", lambda x, w: C.conv(x, w, padding="same"),
         (normal(1, 3, 4, 3, 2), normal(2, 2, 2, 2, 3)),
         lambda T, x, w: tconv(T, x, w, pads=((0, 1),) * 3), tol=CONV_TOL, mode="random"),
    Case("conv:channels-first", lambda x, w: C.conv(x, w, data_format="channels_first"),
         (normal(1, 3, 5, 4), normal(3, 3, 3, 2)),
         lambda T, x, w: T.nn.functional.conv2d(x, w.permute(3, 2, 0, 1)), tol=CONV_TOL),
    Case("conv:large", lambda x, w, b: C.conv(x, w, bias=b, strides=2, padding="same"),
         (normal(2, 9, 9, 4), normal(3, 3, 4, 8), normal(8)),
         lambda T, x, w, b: tconv(T, x, w, b, stride=2, pads=((1, 1), (1, 1))), tol=CONV_TOL,
         mode="random"),
    Case("conv:pointwise-bias", lambda x, w, b: C.conv(x, w, bias=b),
         (normal(2, 4, 3, 3), normal(1, 1, 3, 5), normal(5)),
         lambda T, x, w, b: tconv(T, x, w, b), tol=CONV_TOL),
    Case("conv:one-filter", lambda x, w, b: C.conv(x, w, bias=b, padding="same"),
         (normal(2, 5, 4, 8), normal(3, 3, 8, 1), normal(1)),
         lambda T, x, w, b: tconv(T, x, w, b, pads=((1, 1), (1, 1))), tol=CONV_TOL,
         mode="random"),
    Case("depthwise_conv:dilated-multiplier",
         lambda x, w, b: C.depthwise_conv(x, w, bias=b, padding="same", dilation_rate=2),
         (normal(1, 6, 5, 2), normal(3, 3, 2, 3), normal(6)),
         lambda T, x, w, b: tconv(T, x, w.reshape(3, 3, 1, 6), b, pads=((2, 2), (2, 2)),
                                  dilation=2, groups=2), tol=CONV_TOL),
    Case("depthwise_conv", lambda x, w: C.depthwise_conv(x, w, padding="same"),
         (normal(1, 5, 5, 3), normal(3, 3, 3, 2)),
         lambda T, x, w: tdepthwise(T, x, w, pads=((1, 1), (1, 1))), tol=CONV_TOL),
    Case("depthwise_conv:1d-strided", lambda x, w, b: C.depthwise_conv(x, w, bias=b, strides=2),
         (normal(2, 7, 2), normal(3, 2, 3), normal(6)),
         lambda T, x, w, b: tconv(T, x, w.reshape(3, 1, 6), b, stride=2, groups=2),
         tol=CONV_TOL),
    Case("separable_conv", lambda x, d, p, b: C.separable_conv(x, d, p, bias=b),
         (normal(1, 5, 5, 3), normal(3, 3, 3, 2), normal(1, 1, 6, 4), normal(4)),
         lambda T, x, d, p, b: tconv(T, tdepthwise(T, x, d), p, b), tol=CONV_TOL),
    # --- transposed convolution (Keras output sizes) ---
    Case("conv_transpose", lambda x, w, b: C.conv_transpose(x, w, bias=b, strides=2),
         (normal(1, 3, 4, 3), normal(3, 3, 2, 3), normal(2)),
         lambda T, x, w, b: tconv_t(T, x, w, b, stride=2), tol=CONV_TOL),
    Case("conv_transpose:same", lambda x, w: C.conv_transpose(x, w, strides=2, padding="same"),
         (normal(1, 3, 4, 3), normal(3, 3, 2, 3)),
         lambda T, x, w: tconv_t(T, x, w, stride=2, crop=(slice(None), slice(0, 6),
                                                          slice(0, 8))), tol=CONV_TOL),
    # Keras: 'same' with output_padding crops (k_eff - 1) - left_pad = 0 here, where torch's
    # padding=1 would crop 1 (the shifted outputs numdeep once gave).
    Case("conv_transpose:output-padding",
         lambda x, w: C.conv_transpose(x, w, strides=2, padding="same", output_padding=1),
         (normal(1, 3, 3, 2), normal(3, 3, 2, 2)),
         lambda T, x, w: tconv_t(T, x, w, stride=2, output_padding=1,
                                 crop=(slice(None), slice(0, 6), slice(0, 6))), tol=CONV_TOL),
    Case("conv_transpose:dilation", lambda x, w: C.conv_transpose(x, w, dilation_rate=2),
         (normal(1, 3, 3, 2), normal(3, 3, 2, 2)),
         lambda T, x, w: tconv_t(T, x, w, dilation=2), tol=CONV_TOL),
    Case("conv_transpose:kernel-smaller-than-stride",
         lambda x, w: C.conv_transpose(x, w, strides=3),
         (normal(1, 3, 3, 2), normal(2, 2, 2, 2)),
         lambda T, x, w: tconv_t(T, x, w, stride=3, output_padding=1), tol=CONV_TOL),
    Case("conv_transpose:1d-same", lambda x, w, b: C.conv_transpose(x, w, bias=b, strides=2,
                                                                     padding="same"),
         (normal(2, 4, 3), normal(4, 2, 3), normal(2)),
         lambda T, x, w, b: tconv_t(T, x, w, b, stride=2, crop=(slice(None), slice(1, 9))),
         tol=CONV_TOL),
    # Keras's 'same' + output_padding keeps the full output's start (no crop on the left).
    Case("conv_transpose:1d-same-output-padding",
         lambda x, w: C.conv_transpose(x, w, strides=2, padding="same", output_padding=1),
         (normal(1, 3, 2), normal(2, 3, 2)),
         lambda T, x, w: tconv_t(T, x, w, stride=2, output_padding=1,
                                 crop=(slice(None), slice(0, 5))), tol=CONV_TOL),
    Case("conv_transpose:3d", lambda x, w, b: C.conv_transpose(x, w, bias=b, strides=(2, 1, 2),
                                                                padding="same"),
         (normal(1, 2, 3, 2, 2), normal(3, 2, 2, 3, 2), normal(3)),
         lambda T, x, w, b: tconv_t(T, x, w, b, stride=(2, 1, 2),
                                    crop=(slice(None), slice(0, 4), slice(0, 3), slice(0, 4))),
         tol=CONV_TOL, mode="random"),
    # --- pooling: tiling, remainder, overlapping, gaps, 'same', 1-D ---
    Case("max_pool", lambda x: C.max_pool(x, 2), (distinct(2, 4, 4, 3),),
         lambda T, x: tpool(T, x, "max", 2, 2)),
    Case("max_pool:remainder", lambda x: C.max_pool(x, 2), (distinct(1, 5, 5, 2),),
         lambda T, x: tpool(T, x, "max", 2, 2)),
    Case("max_pool:overlapping", lambda x: C.max_pool(x, 3, 2), (distinct(1, 7, 7, 2),),
         lambda T, x: tpool(T, x, "max", 3, 2)),
    Case("max_pool:gaps", lambda x: C.max_pool(x, 2, 3), (distinct(1, 8, 8, 2),),
         lambda T, x: tpool(T, x, "max", 2, 3)),
    Case("max_pool:same", lambda x: C.max_pool(x, 3, 2, "same"), (distinct(1, 6, 6, 2),),
         lambda T, x: tpool(T, x, "max", 3, 2, pads=((0, 1), (0, 1)))),
    Case("max_pool:1d", lambda x: C.max_pool(x, 2), (distinct(2, 7, 3),),
         lambda T, x: tpool(T, x, "max", 2, 2)),
    Case("average_pool", lambda x: C.average_pool(x, 2), (normal(2, 4, 4, 3),),
         lambda T, x: tpool(T, x, "avg", 2, 2)),
    Case("average_pool:remainder", lambda x: C.average_pool(x, (2, 3)), (normal(1, 5, 7, 2),),
         lambda T, x: tpool(T, x, "avg", (2, 3), (2, 3))),
    Case("average_pool:overlapping", lambda x: C.average_pool(x, 3, 2), (normal(1, 7, 7, 2),),
         lambda T, x: tpool(T, x, "avg", 3, 2)),
    Case("average_pool:same", lambda x: C.average_pool(x, 2, 2, "same"), (normal(1, 5, 5, 2),),
         lambda T, x: tpool(T, x, "avg", 2, 2, pads=((0, 1), (0, 1)))),
    Case("average_pool:same-overlapping", lambda x: C.average_pool(x, 3, 1, "same"),
         (normal(1, 5, 4, 2),), lambda T, x: tpool(T, x, "avg", 3, 1, pads=((1, 1), (1, 1)))),
    Case("average_pool:1d", lambda x: C.average_pool(x, 3, 2), (normal(2, 7, 3),),
         lambda T, x: tpool(T, x, "avg", 3, 2)),
    # --- adaptive pooling: windows [floor(i n / out), ceil((i + 1) n / out)) ---
    Case("adaptive_max_pool", lambda x: C.adaptive_max_pool(x, (3, 2)), (distinct(2, 7, 5, 2),),
         lambda T, x: tadaptive(T, x, "max", (3, 2))),
    Case("adaptive_max_pool:1d-upsampling", lambda x: C.adaptive_max_pool(x, 5),
         (distinct(1, 3, 2),), lambda T, x: tadaptive(T, x, "max", 5)),
    Case("adaptive_average_pool", lambda x: C.adaptive_average_pool(x, (3, 4)),
         (normal(2, 7, 9, 2),), lambda T, x: tadaptive(T, x, "avg", (3, 4))),
    Case("adaptive_average_pool:3d-channels-first",
         lambda x: C.adaptive_average_pool(x, 2, data_format="channels_first"),
         (normal(1, 2, 3, 5, 4),),
         lambda T, x: T.nn.functional.adaptive_avg_pool3d(x, 2), mode="random"),
    # --- batch normalization ---
    Case("batch_norm", lambda x, g, b: C.batch_norm(x, g, b), (normal(4, 3, 3, 2), normal(2),
                                                             normal(2)),
         lambda T, x, g, b: tbatch_norm(T, x, g, b), tol=(1e-4, 1e-4)),
    Case("batch_norm:features", lambda x, g, b: C.batch_norm(x, g, b),
         (normal(6, 4, scale=3), normal(4), normal(4)),
         lambda T, x, g, b: T.nn.functional.batch_norm(x, None, None, g, b, training=True,
                                                       eps=1e-3), tol=(1e-4, 1e-4)),
    Case("batch_norm:no-affine", lambda x: C.batch_norm(x), (normal(5, 2, 3),),
         lambda T, x: tbatch_norm(T, x), tol=(1e-4, 1e-4)),
    Case("batch_norm:axis1", lambda x, g: C.batch_norm(x, g, axis=1), (normal(3, 2, 4), normal(2)),
         lambda T, x, g: T.nn.functional.batch_norm(x, None, None, g, None, training=True,
                                                    eps=1e-3), tol=(1e-4, 1e-4)),
    Case("batch_norm:masked", masked_batch_norm, (normal(5, 3, 2), normal(2), normal(2)),
         lambda T, x, g, b: tmasked_batch_norm(T, x, T.tensor(BN_MASK, dtype=x.dtype), g, b),
         tol=(1e-4, 1e-4)),
    Case("batch_normalization",
         lambda x, m, v, o, s: C.batch_normalization(x, m, v, offset=o, scale=s),
         (normal(4, 3), normal(3), positive(3), normal(3), normal(3)),
         lambda T, x, m, v, o, s: (x - m) / T.sqrt(v + 1e-3) * s + o),
]

NOT_DIFFERENTIABLE = {"normalize_tuple", "conv_padding", "conv_output_length",
                      "conv_transpose_geometry"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case):
    assert gradcheck(case.fn, case.sample(), mode=case.mode)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_and_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    inputs = [x.astype(np.float32) for x in case.sample()]
    ours = [Tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    y = case.fn(*ours)
    t = case.torch(torch, *theirs)
    atol, rtol = case.tol
    expected = t.detach().numpy()
    assert y.shape == expected.shape and y.dtype == np.float32, (y.shape, expected.shape)
    np.testing.assert_allclose(y.data, expected, atol=atol, rtol=rtol, err_msg="forward")
    cotangent = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    y.backward(cotangent)
    t.backward(torch.from_numpy(cotangent))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {k}")


def test_table_covers_every_primitive_and_function():
    used = set()
    for case in CASES:
        inputs = [Tensor(x, requires_grad=True) for x in case.sample()]
        used |= _primitives_in_graph(case.fn(*inputs))
    defined = {name for mod in (conv_mod, pool_mod, norm_mod) for name, obj in vars(mod).items()
               if isinstance(obj, type) and issubclass(obj, Function) and obj.__module__ ==
               mod.__name__ and not name.startswith("_")} - {"LayerNorm"}  # test_attention_ops
    assert defined and defined - used == set()
    covered = {case.name.split(":")[0] for case in CASES}
    functions = set(conv_ops.__all__) | {"batch_norm", "batch_normalization"}
    assert functions - NOT_DIFFERENTIABLE - covered == set()


# ----- padding rules, moving statistics, errors, memory ------------------------------------------
@pytest.mark.parametrize("size, k, stride, dilation, expected", [
    (5, 3, 1, 1, (1, 1)), (5, 4, 1, 1, (1, 2)), (6, 3, 2, 1, (0, 1)), (7, 3, 2, 1, (1, 1)),
    (5, 2, 2, 1, (0, 1)), (6, 3, 1, 2, (2, 2)), (4, 1, 1, 1, (0, 0)), (3, 5, 1, 1, (2, 2)),
])
def test_same_padding_follows_tensorflow(size, k, stride, dilation, expected):
    assert conv_shapes.conv_padding("same", size, k, stride, dilation) == expected
    assert conv_shapes.conv_output_length(size, k, "same", stride, dilation) == -(-size // stride)
    assert conv_shapes.conv_padding("causal", size, k, stride, dilation) == (
        dilation * (k - 1), 0)


def test_batch_norm_updates_moving_statistics_in_place_with_biased_variance():
    x = np.random.default_rng(0).standard_normal((8, 3, 2)).astype(np.float32) * 2 + 1
    mean, var = np.zeros(2, np.float32), np.ones(2, np.float32)
    y = ops.batch_norm(x, axis=-1, moving_mean=mean, moving_variance=var, momentum=0.9)
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(y.data.mean(axis=(0, 1)), 0, atol=1e-6)
    assert y.dtype == np.float32 and mean.dtype == np.float32


def test_conv_rejects_mismatched_channels_and_oversized_kernels():
    x = np.zeros((1, 5, 5, 3), np.float32)
    with pytest.raises(ValueError, match=r"input channels 3.*\(1, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        conv_mod.Conv.apply(x, np.zeros((3, 3, 2, 4), np.float32), strides=(1, 1),
                            dilation=(1, 1), padding=((0, 0), (0, 0)))
    with pytest.raises(ValueError, match=r"kernel \(7, 7\).*larger"):
        ops.conv(x, np.zeros((7, 7, 3, 4), np.float32))
    with pytest.raises(ValueError, match="pool size"):
        ops.max_pool(x, 6)
    with pytest.raises(ValueError, match="strides"):
        ops.conv(x, np.zeros((3, 3, 3, 4), np.float32), strides=0)
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, np.zeros((3, 3, 3, 4), np.float32), padding="full")


def test_no_patch_matrix_is_kept_and_saved_arrays_are_freed_by_backward():
    x = Tensor(np.ones((2, 6, 6, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 3, 3, 4), np.float32), requires_grad=True)
    y = ops.conv(x, w, padding="same")
    padded = y._ctx.saved[0]
    assert padded.shape == (2, 8, 8, 3)  # the padded input, not the (72, 27) patches
    ref = weakref.ref(padded)
    del padded
    y.sum().backward()
    assert ref() is None and y._ctx.saved is None
    x4 = Tensor(np.ones((2, 6, 6, 4), np.float32), requires_grad=True)
    grouped = ops.conv(x4, Tensor(np.ones((3, 3, 2, 6), np.float32), requires_grad=True))
    ref = weakref.ref(grouped._ctx.saved[0])  # grouped convolutions keep their patches...
    assert ref().shape == (2, 2 * 4 * 4, 18)
    grouped.sum().backward()
    assert ref() is None  # ...until their backward has run
    depthwise = ops.conv(x, Tensor(np.ones((3, 3, 1, 6), np.float32), requires_grad=True))
    assert depthwise._ctx.saved[0] is x.data  # depthwise keeps only the (padded) input


@pytest.mark.parametrize("block_bytes", [1, 3000])
def test_blocked_im2col_matches_one_block(monkeypatch, block_bytes):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 6, 5, 3)), rng.standard_normal((3, 2, 3, 4)), \
        rng.standard_normal(4)

    def run():
        ts = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        y = ops.conv(*ts[:2], bias=ts[2], strides=(2, 1), padding="same")
        y.backward(np.cos(np.arange(y.size)).reshape(y.shape))
        return [y.data] + [t.grad for t in ts]

    whole = run()
    monkeypatch.setattr(im2col, "BLOCK_BYTES", block_bytes)  # 1 or 2 images per block
    for a, b_ in zip(whole, run()):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)


def test_empty_batch_and_float32():
    x = Tensor(np.zeros((0, 5, 5, 2), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 3, 2, 4), np.float32), requires_grad=True)
    y = ops.max_pool(ops.conv(x, w, padding="same"), 2)
    assert y.shape == (0, 2, 2, 4) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, 0)


def test_max_pool_ties_send_the_gradient_to_one_element():
    x = Tensor(np.full((1, 4, 4, 1), 7.0, np.float32), requires_grad=True)
    for fn in (lambda t: ops.max_pool(t, 2), lambda t: ops.max_pool(t, 3, 1, "same")):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert x.grad.sum() == y.size  # one winner per window, as in TensorFlow and PyTorch


def test_inference_builds_no_graph_and_keeps_nothing():
    from numdeep import no_grad

    x = np.ones((2, 6, 6, 3), np.float32)
    w = Tensor(np.ones((3, 3, 3, 4), np.float32), requires_grad=True)
    with no_grad():
        y = ops.conv(x, w)
    assert y._ctx is None and not y.requires_grad
