"""Gradient checks and PyTorch parity of the Transformer primitives: ``LayerNorm``,
``MaskedSoftmax``, ``DotProductAttention`` and the fused exact ``Gelu`` (plus the stability
cases of each).

``CASES`` is this file's table, in the style of ``test_ops_gradcheck.py``: a float64
central-difference check per row and, when torch is importable, float32 forward and gradient
parity (atol 1e-5, rtol 1e-4 unless the row says otherwise).
"""

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from numdeep.autograd import Tensor, gradcheck
from numdeep.autograd.primitives import Gelu, LayerNorm, MaskedSoftmax, attention
from numdeep.ops import gelu, masked_softmax
from numdeep.ops import layer_normalization as ln

# `ops.gelu` defaults to the tanh form (Keras); the fused primitive is the exact one.
fused_gelu = functools.partial(gelu, approximate=False)


def normal(*shape, scale=1.0, shift=0.0):
    return lambda rng: shift + scale * rng.standard_normal(shape)


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable
    inputs: tuple
    torch: Callable | None = None
    mode: str = "full"
    tol: tuple = (1e-5, 1e-4)

    def sample(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [make(rng) for make in self.inputs]


_rng = np.random.default_rng(7)
KEYS = _rng.random((2, 1, 3, 5)) > 0.4          # broadcast over heads
KEYS[0, 0, 1] = False                           # a fully masked row
BIG_KEYS = _rng.random((3, 1, 1, 120)) > 0.3    # scores big enough for the blocked path
BIG_KEYS[1, 0, 0] = False
BIG_ROWS = _rng.random((2, 1, 90, 100)) > 0.3    # per-query masks, blocked over two axes
BIG_ROWS[1, 0, 7] = False
ROWS = np.array([[True, True, False, True], [False, False, False, False],
                 [True, False, True, True]])


def _torch_masked_softmax(T, x, mask):
    # Written without -inf and nan_to_num, so that its double backward has no NaN either (a
    # fully masked row gives zeros and zero derivatives of every order, as ours).
    m = T.as_tensor(np.array(np.broadcast_to(mask, x.shape)))
    kept = x.masked_fill(~m, -1e9)
    e = T.exp(kept - kept.amax(dim=-1, keepdim=True).detach()) * m
    return e / e.sum(dim=-1, keepdim=True).clamp_min(T.finfo(x.dtype).tiny)


def _dpa(q, kt, v, mask):
    return attention.DotProductAttention.apply(q, kt, v, mask=mask)


def _torch_dpa(T, q, kt, v, mask):
    s = q @ kt
    return (s.softmax(-1) if mask is None else _torch_masked_softmax(T, s, mask)) @ v


CASES = [
    Case("layer_normalization", lambda x, g, b: ln(x, g, b, epsilon=1e-3),
         (normal(4, 6), normal(6), normal(6)),
         lambda T, x, g, b: T.nn.functional.layer_norm(x, (6,), g, b, eps=1e-3)),
    Case("layer_normalization:no-params", lambda x: ln(x, epsilon=1e-5), (normal(3, 2, 5),),
         lambda T, x: T.nn.functional.layer_norm(x, (5,), eps=1e-5)),
    Case("layer_normalization:gamma-only", lambda x, g: ln(x, g, epsilon=1e-3),
         (normal(3, 5), normal(5)),
         lambda T, x, g: T.nn.functional.layer_norm(x, (5,), g, None, eps=1e-3)),
    Case("layer_normalization:two-axes", lambda x, g, b: ln(x, g, b, axis=(1, 2), epsilon=1e-3),
         (normal(2, 3, 4, scale=3.0, shift=5.0), normal(3, 4), normal(3, 4)),
         lambda T, x, g, b: T.nn.functional.layer_norm(x, (3, 4), g, b, eps=1e-3)),
    Case("layer_normalization:middle-axis", lambda x, g, b: ln(x, g, b, axis=1, epsilon=1e-3),
         (normal(2, 4, 3), normal(4), normal(4)),
         lambda T, x, g, b: T.nn.functional.layer_norm(
             x.transpose(1, 2), (4,), g, b, eps=1e-3).transpose(1, 2)),
    Case("layer_normalization:large", lambda x, g, b: ln(x, g, b, epsilon=1e-12),
         (normal(8, 16, 32), normal(32), normal(32)),
         lambda T, x, g, b: T.nn.functional.layer_norm(x, (32,), g, b, eps=1e-12),
         mode="random", tol=(1e-4, 1e-4)),
    Case("masked_softmax", lambda x: masked_softmax(x), (normal(3, 5, scale=2.0),),
         lambda T, x: T.softmax(x, dim=-1)),
    Case("masked_softmax:rows", lambda x: masked_softmax(x, ROWS), (normal(3, 4, scale=2.0),),
         lambda T, x: _torch_masked_softmax(T, x, ROWS)),
    Case("masked_softmax:broadcast-heads", lambda x: masked_softmax(x, KEYS),
         (normal(2, 3, 3, 5, scale=2.0),),
         lambda T, x: _torch_masked_softmax(T, x, KEYS)),
    Case("masked_softmax:axis-0", lambda x: masked_softmax(x, ROWS.T, axis=0),
         (normal(4, 3),), None),
    Case("masked_softmax:blocked", lambda x: masked_softmax(x, BIG_KEYS),
         (normal(3, 2, 100, 120, scale=3.0),),
         lambda T, x: _torch_masked_softmax(T, x, BIG_KEYS), mode="random"),
    Case("masked_softmax:blocked-two-axes", lambda x: masked_softmax(x, BIG_ROWS),
         (normal(2, 4, 90, 100, scale=3.0),),
         lambda T, x: _torch_masked_softmax(T, x, BIG_ROWS), mode="random"),
    Case("dot_product_attention", lambda q, kt, v: _dpa(q, kt, v, KEYS),
         (normal(2, 3, 3, 4), normal(2, 3, 4, 5), normal(2, 3, 5, 6)),
         lambda T, q, kt, v: _torch_dpa(T, q, kt, v, KEYS)),
    Case("dot_product_attention:no-mask", lambda q, kt, v: _dpa(q, kt, v, None),
         (normal(3, 2, 5), normal(3, 5, 4), normal(3, 4, 2)),
         lambda T, q, kt, v: _torch_dpa(T, q, kt, v, None)),
    Case("dot_product_attention:blocked", lambda q, kt, v: _dpa(q, kt, v, BIG_KEYS),
         (normal(3, 2, 100, 8), normal(3, 2, 8, 120), normal(3, 2, 120, 5)),
         lambda T, q, kt, v: _torch_dpa(T, q, kt, v, BIG_KEYS), mode="random"),
    Case("gelu", fused_gelu, (normal(4, 5, scale=2.0),),
         lambda T, x: T.nn.functional.gelu(x)),
    Case("gelu:blocked", fused_gelu, (normal(3, 100, 150, scale=3.0),),
         lambda T, x: T.nn.functional.gelu(x), mode="random", tol=(2e-6, 1e-4)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case):
    assert gradcheck(case.fn, case.sample(), mode=case.mode)


def test_table_covers_every_primitive_here():
    defined = {cls.__name__ for cls in vars(attention).values()
               if isinstance(cls, type) and cls.__module__ == attention.__name__}
    defined |= {"Gelu", "LayerNorm"}
    used = set()
    for case in CASES:
        out = case.fn(*[Tensor(x, requires_grad=True) for x in case.sample()])
        used.add(type(out._ctx).__name__)
    assert defined <= used, defined - used


@pytest.mark.parametrize("case", [c for c in CASES if c.torch], ids=lambda c: c.name)
def test_forward_and_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    inputs = [x.astype(np.float32) for x in case.sample()]
    ours = [Tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    y, t = case.fn(*ours), case.torch(torch, *theirs)
    atol, rtol = case.tol
    np.testing.assert_allclose(y.data, t.detach().numpy(), atol=atol, rtol=rtol)
    cot = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    y.backward(cot)
    t.backward(torch.from_numpy(cot))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=rtol)


# ----- masked softmax stability (reliability case 3) ---------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_softmax_extremes_are_finite_and_silent(dtype):
    x = np.array([[1e4, -1e4, 0.0, 3.0], [1e4, 1e4, 1e4, 1e4], [-1e4, -1e4, 5.0, 6.0],
                  [1.0, 2.0, 3.0, 4.0]], dtype=dtype)
    mask = np.array([[True, True, False, True], [True, True, True, True],
                     [True, True, False, False], [False, False, False, False]])
    t = Tensor(x, requires_grad=True)
    with np.errstate(all="raise"):
        y = masked_softmax(t, mask)
        y.backward(np.ones_like(x))
    assert y.dtype == dtype and np.isfinite(y.data).all() and np.isfinite(t.grad).all()
    np.testing.assert_allclose(y.data.sum(-1), [1, 1, 1, 0], atol=1e-6)
    np.testing.assert_array_equal(y.data[~mask], 0)
    np.testing.assert_allclose(y.data[1], 0.25)
    np.testing.assert_allclose(y.data[2, :2], 0.5)
    np.testing.assert_array_equal(t.grad[3], 0)


def test_masked_softmax_ignores_nan_and_inf_under_the_mask_but_not_outside():
    x = np.array([[np.nan, 1.0, np.inf], [np.nan, 1.0, 2.0]], dtype="float32")
    y = masked_softmax(Tensor(x), np.array([[False, True, False], [True, True, True]]))
    np.testing.assert_array_equal(y.data[0], [0, 1, 0])
    assert np.isnan(y.data[1]).all()


def test_masked_softmax_accepts_integer_and_tensor_masks():
    x = Tensor(np.zeros((1, 3), dtype="float32"))
    for mask in (np.array([[1, 0, 1]]), Tensor(np.array([[1.0, 0.0, 1.0]]))):
        np.testing.assert_allclose(masked_softmax(x, mask).data, [[0.5, 0, 0.5]])


def test_layer_norm_of_a_constant_row_is_beta():
    x = np.full((2, 4), 3.0, dtype="float32")
    g, b = Tensor(np.full(4, 2.0), requires_grad=True), Tensor(np.arange(4.0), requires_grad=True)
    t = Tensor(x, requires_grad=True)
    with np.errstate(all="raise"):
        y = ln(t, g, b, epsilon=1e-3)
        y.sum().backward()
    np.testing.assert_allclose(y.data, np.tile(np.arange(4.0), (2, 1)), atol=1e-6)
    assert np.isfinite(t.grad).all() and np.isfinite(g.grad).all()


def test_primitives_keep_float32_and_need_no_graph_for_inference():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    assert LayerNorm.apply(Tensor(x), axis=-1, epsilon=1e-3).dtype == np.float32
    assert MaskedSoftmax.apply(Tensor(x)).dtype == np.float32
    assert LayerNorm.apply(Tensor(x), axis=-1, epsilon=1e-3)._ctx is None


@pytest.mark.parametrize("size", [7, 40000])  # one block, several blocks
def test_float32_gelu_is_accurate_and_silent_at_extremes(size):
    from numdeep.autograd.primitives.elementwise import erf

    x = np.linspace(-12, 12, size).astype(np.float32)
    x[:4] = [-1e4, 1e4, -0.0, 3e-39]  # huge, signed zero, denormal
    with np.errstate(all="raise"):
        y = fused_gelu(x).data
    exact = x.astype(np.float64) * (0.5 + 0.5 * erf(np, x.astype(np.float64) / np.sqrt(2)))
    assert y.dtype == np.float32 and np.isfinite(y).all()
    np.testing.assert_allclose(y, exact, atol=1e-6, rtol=1e-6)
    assert y[0] == 0 and y[1] == 1e4
    special = fused_gelu(np.array([np.inf, -np.inf, np.nan], np.float32)).data
    assert special[0] == np.inf and special[1] == 0 and np.isnan(special[2])
    t = Tensor(np.array([np.inf, -np.inf], np.float32), requires_grad=True)
    Gelu.apply(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [1, 0])
    t = Tensor(x, requires_grad=True)
    with np.errstate(all="raise"):
        Gelu.apply(t).sum().backward()
    assert np.isfinite(t.grad).all() and t.grad[0] == 0 and t.grad[1] == 1


def test_blocked_masked_softmax_matches_the_per_row_reference_on_extremes():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3, 40, 100)).astype(np.float32) * 4
    x[0, 0, 1] -= 1e4  # a row far below the rest of its block: the per-row fallback
    x[1, 2, 3] = 1e4  # identical huge values
    x[2, 1, 5, :3] = [np.inf, np.nan, -np.inf]  # masked below, so ignored
    mask = rng.random((4, 1, 40, 100)) > 0.2
    mask[2, 0, 5, :3] = False
    mask[3, 0, 7] = False  # fully masked row
    with np.errstate(all="raise"):
        y = masked_softmax(Tensor(x), mask).data
    ref = np.where(mask, x.astype(np.float64), -np.inf)
    ref = np.exp(ref - np.where(np.isfinite(m := ref.max(-1, keepdims=True)), m, 0))
    ref = ref / np.where(ref.sum(-1, keepdims=True) == 0, 1, ref.sum(-1, keepdims=True))
    # one shift per block: a few float32 ulps (~1e-6 relative) from the per-row reference
    np.testing.assert_allclose(y, ref, atol=1e-6, rtol=2e-6)
    assert np.isfinite(y).all() and np.all(y[3, :, 7] == 0)
    x[1, 0, 0, 50] = np.nan  # an unmasked NaN poisons its row only
    mask[1, 0, 0, 50] = True
    y = masked_softmax(Tensor(x), mask).data
    assert np.isnan(y[1, 0, 0]).any() and np.isfinite(np.delete(y[1, 0], 0, axis=0)).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot_product_attention_equals_the_composition_on_transposed_heads(dtype):
    """The fused node on the strided views attention hands it (heads transposed out of the
    projections) gives the composition's output and gradients, a fully masked row included."""
    rng = np.random.default_rng(11)
    proj = [rng.standard_normal((3, 70, 4, 8)).astype(dtype) for _ in range(3)]
    mask = rng.random((3, 1, 1, 70)) > 0.3
    mask[2, ..., :] = False
    gy = rng.standard_normal((3, 4, 70, 8)).astype(dtype)
    results = []
    for fused in (True, False):
        ts = [Tensor(p, requires_grad=True) for p in proj]
        q, kt, v = (ts[0].transpose((0, 2, 1, 3)), ts[1].transpose((0, 2, 3, 1)),
                    ts[2].transpose((0, 2, 1, 3)))
        out = _dpa(q, kt, v, mask) if fused else masked_softmax(q @ kt, mask) @ v
        out.backward(gy)
        results.append([out.data] + [t.grad for t in ts])
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert not results[0][0][2].any()


def test_dot_product_attention_layout_writes_the_output_in_the_callers_axis_order():
    rng = np.random.default_rng(12)
    q, v = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 7))
    kt = rng.standard_normal((2, 3, 4, 6))
    plain = _dpa(q, kt, v, None).data
    t = Tensor(q, requires_grad=True)
    out = attention.DotProductAttention.apply(t, kt, v, layout=(0, 2, 1, 3))
    np.testing.assert_array_equal(out.data, plain)
    assert out.data.transpose(0, 2, 1, 3).flags.c_contiguous
    out.backward(np.ones_like(plain))
    assert t.grad.shape == q.shape
