"""Float64 gradient checks of every primitive and every differentiable ``numdeep.ops`` function.

``CASES`` is the one table: a row per op variant with its numdeep function, input samplers (kept
away from kinks so central differences are meaningful) and the PyTorch equivalent that
``test_torch_parity.py`` compares against. A new primitive or ops function without a row fails
``test_table_covers_*``. Below the table: stability, special-value, empty-shape and scalar tests.
"""

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor, gradcheck
from numdeep.autograd.function import Function
from numdeep.autograd.primitives import TakeRows


# ----- input samplers (float64; rng -> array) ----------------------------------------------------
def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.standard_normal(shape)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def away(*shape, kinks=(0.0,), gap=0.1, lo=-2.0, hi=2.0):
    """Uniform in [lo, hi] but at least ``gap`` from every kink (relu at 0, clip bounds...)."""

    def sample(rng):
        x = rng.uniform(lo, hi, shape)
        for _ in range(100):
            near = np.zeros(shape, dtype=bool)
            for k in kinks:
                near |= np.abs(x - k) < gap
            if not near.any():
                return x
            x[near] = rng.uniform(lo, hi, int(near.sum()))
        raise RuntimeError("could not sample away from the kinks")

    return sample


def distinct(*shape):
    """Entries at least 0.1 apart, so max/min/maximum never tie."""
    return lambda rng: rng.permutation(np.arange(math.prod(shape)) * 0.1 - 0.5).reshape(shape)


def simplex(*shape):
    """Positive rows summing to one (soft targets)."""

    def sample(rng):
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum(axis=-1, keepdims=True)

    return sample


@dataclass(frozen=True)
class Case:
    """One row: ``name`` is ``"<ops function>"`` or ``"<ops function>:<variant>"``."""

    name: str
    fn: Callable
    inputs: tuple
    torch: Callable | None = None  # (torch module, *tensors) -> tensor
    mode: str = "full"
    tol: tuple = (1e-5, 1e-4)  # torch parity (atol, rtol) in float32

    def sample(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [make(rng) for make in self.inputs]


COND = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
MASK = np.array([[True, False, False, True], [False, True, True, False], [True, False, True, True]])
LABELS = np.array([0, 2, 1, 2])
LABELS_3D = np.array([[0, 3, 1], [2, 2, 0]])
REPEATED = np.array([0, 2, 0, 0])


def _F(T):
    return T.nn.functional


CASES = [
    # --- elementwise arithmetic, with broadcasting ---
    Case("add", ops.add, (normal(3, 4), normal(4)), lambda T, a, b: a + b),
    Case("add:broadcast-both", ops.add, (normal(2, 1, 3), normal(4, 1)), lambda T, a, b: a + b),
    Case("add:scalar", lambda x: ops.add(x, 2.5), (normal(3),), lambda T, x: x + 2.5),
    Case("subtract", ops.subtract, (normal(3, 4), normal(3, 1)), lambda T, a, b: a - b),
    Case("subtract:scalar-left", lambda x: ops.subtract(1.0, x), (normal(3),),
         lambda T, x: 1.0 - x),
    Case("multiply", ops.multiply, (normal(2, 3), normal(3)), lambda T, a, b: a * b),
    Case("multiply:same-input", lambda x: ops.multiply(x, x), (normal(5),), lambda T, x: x * x),
    Case("divide", ops.divide, (normal(3, 4), away(4, gap=0.5)), lambda T, a, b: a / b),
    Case("divide:scalar-numerator", lambda x: ops.divide(2.0, x), (away(5, gap=0.5),),
         lambda T, x: 2.0 / x),
    Case("negative", ops.negative, (normal(3, 2),), lambda T, x: -x),
    Case("power", ops.power, (uniform(0.5, 2, 3, 4), uniform(-1.5, 1.5, 3, 4)),
         lambda T, x, p: T.pow(x, p)),
    Case("power:broadcast", ops.power, (uniform(0.5, 2, 2, 3), uniform(-1, 1, 3)),
         lambda T, x, p: T.pow(x, p)),
    Case("power:int-exponent", lambda x: ops.power(x, 3), (normal(3, 4),),
         lambda T, x: x**3),
    Case("power:half-exponent", lambda x: ops.power(x, 0.5), (uniform(0.5, 2, 4),),
         lambda T, x: x**0.5),
    Case("power:scalar-base", lambda p: ops.power(2.0, p), (normal(4),), lambda T, p: 2.0**p),
    Case("square", ops.square, (normal(3, 4),), lambda T, x: T.square(x)),
    Case("exp", ops.exp, (normal(3, 4),), lambda T, x: T.exp(x)),
    Case("cast", lambda x: ops.cast(x, "float64") * 2.0, (normal(3, 4),),
         lambda T, x: x.double() * 2.0),
    Case("log", ops.log, (uniform(0.2, 3, 3, 4),), lambda T, x: T.log(x)),
    Case("log1p", ops.log1p, (uniform(-0.5, 3, 3, 4),), lambda T, x: T.log1p(x)),
    Case("sqrt", ops.sqrt, (uniform(0.2, 3, 3, 4),), lambda T, x: T.sqrt(x)),
    Case("abs", ops.abs, (away(3, 4),), lambda T, x: T.abs(x)),
    Case("erf", ops.erf, (normal(3, 5, scale=1.5),), lambda T, x: T.erf(x)),
    Case("erf:tails", ops.erf, (uniform(2, 5, 6),), lambda T, x: T.erf(x)),
    Case("maximum", ops.maximum, (normal(3, 4), normal(4)), lambda T, a, b: T.maximum(a, b)),
    Case("maximum:scalar", lambda x: ops.maximum(x, 0.0), (away(3, 4),),
         lambda T, x: T.clamp(x, min=0.0)),
    Case("minimum", ops.minimum, (normal(3, 4), normal(3, 1)), lambda T, a, b: T.minimum(a, b)),
    Case("where", lambda a, b: ops.where(COND, a, b), (normal(3, 4), normal(4)),
         lambda T, a, b: T.where(T.as_tensor(COND), a, b)),
    Case("where:scalar-branch", lambda a: ops.where(COND, a, 0.0), (normal(3, 4),),
         lambda T, a: T.where(T.as_tensor(COND), a, 0.0)),
    Case("clip", lambda x: ops.clip(x, -0.5, 0.5), (away(3, 4, kinks=(-0.5, 0.5)),),
         lambda T, x: T.clamp(x, -0.5, 0.5)),
    Case("clip:lower-only", lambda x: ops.clip(x, -0.5), (away(3, 4, kinks=(-0.5,)),),
         lambda T, x: T.clamp(x, min=-0.5)),
    Case("clip:upper-only", lambda x: ops.clip(x, None, 0.5), (away(3, 4, kinks=(0.5,)),),
         lambda T, x: T.clamp(x, max=0.5)),
    # --- reductions ---
    Case("sum", ops.sum, (normal(3, 4),), lambda T, x: T.sum(x)),
    Case("sum:axis0", lambda x: ops.sum(x, axis=0), (normal(3, 4),), lambda T, x: x.sum(0)),
    Case("sum:axis-1-keepdims", lambda x: ops.sum(x, axis=-1, keepdims=True), (normal(2, 3, 4),),
         lambda T, x: x.sum(-1, keepdim=True)),
    Case("sum:axes02", lambda x: ops.sum(x, axis=(0, 2)), (normal(2, 3, 4),),
         lambda T, x: x.sum((0, 2))),
    Case("mean", ops.mean, (normal(3, 4),), lambda T, x: x.mean()),
    Case("mean:axis1", lambda x: ops.mean(x, axis=1), (normal(3, 4),), lambda T, x: x.mean(1)),
    Case("var:axis0", lambda x: ops.var(x, axis=0), (normal(5, 3),),
         lambda T, x: T.var(x, dim=0, correction=0)),
    Case("std:axis-1-keepdims", lambda x: ops.std(x, axis=-1, keepdims=True), (normal(3, 5),),
         lambda T, x: T.std(x, dim=-1, keepdim=True, correction=0)),
    Case("max", ops.max, (distinct(3, 4),), lambda T, x: T.amax(x)),
    Case("max:axis1", lambda x: ops.max(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.amax(x, 1)),
    Case("max:axis-1-keepdims", lambda x: ops.max(x, axis=-1, keepdims=True),
         (distinct(2, 3, 4),), lambda T, x: T.amax(x, -1, keepdim=True)),
    Case("max:axes02", lambda x: ops.max(x, axis=(0, 2)), (distinct(2, 3, 4),),
         lambda T, x: T.amax(x, (0, 2))),
    Case("min:axis0", lambda x: ops.min(x, axis=0), (distinct(3, 4),), lambda T, x: T.amin(x, 0)),
    Case("logsumexp", ops.logsumexp, (normal(3, 4),), lambda T, x: T.logsumexp(x.flatten(), 0)),
    Case("logsumexp:axis1-keepdims", lambda x: ops.logsumexp(x, axis=1, keepdims=True),
         (normal(3, 4, scale=3),), lambda T, x: T.logsumexp(x, 1, keepdim=True)),
    Case("logsumexp:axes02", lambda x: ops.logsumexp(x, axis=(0, 2)), (normal(2, 3, 4),),
         lambda T, x: T.logsumexp(x, (0, 2))),
    Case("softmax", ops.softmax, (normal(3, 4, scale=2),), lambda T, x: T.softmax(x, -1)),
    Case("softmax:axis0", lambda x: ops.softmax(x, axis=0), (normal(3, 4),),
         lambda T, x: T.softmax(x, 0)),
    Case("softmax:large", ops.softmax, (normal(16, 32, scale=3),),
         lambda T, x: T.softmax(x, -1), mode="random"),
    Case("log_softmax", ops.log_softmax, (normal(3, 4, scale=2),),
         lambda T, x: T.log_softmax(x, -1)),
    Case("log_softmax:axis1", lambda x: ops.log_softmax(x, axis=1), (normal(2, 3, 4),),
         lambda T, x: T.log_softmax(x, 1)),
    # --- linear algebra ---
    Case("matmul", ops.matmul, (normal(3, 4), normal(4, 2)), lambda T, a, b: a @ b),
    Case("matmul:batched", ops.matmul, (normal(2, 3, 4), normal(2, 4, 5)), lambda T, a, b: a @ b),
    Case("matmul:broadcast-batch", ops.matmul, (normal(2, 1, 3, 4), normal(3, 4, 2)),
         lambda T, a, b: a @ b),
    Case("matmul:shared-weight", ops.matmul, (normal(2, 3, 4), normal(4, 5)),
         lambda T, a, b: a @ b),
    Case("matmul:batched-left-2d", ops.matmul, (normal(3, 4), normal(2, 4, 2)),
         lambda T, a, b: a @ b),
    Case("matmul:1d-left", ops.matmul, (normal(4), normal(2, 4, 3)), lambda T, a, b: a @ b),
    Case("matmul:1d-right", ops.matmul, (normal(2, 3, 4), normal(4)), lambda T, a, b: a @ b),
    Case("matmul:1d-both", ops.matmul, (normal(4), normal(4)), lambda T, a, b: a @ b),
    Case("matmul:2d-1d", ops.matmul, (normal(3, 4), normal(4)), lambda T, a, b: a @ b),
    Case("matmul:large", ops.matmul, (normal(8, 16), normal(16, 12)), lambda T, a, b: a @ b,
         mode="random"),
    Case("dot", ops.dot, (normal(3, 4), normal(4, 2)), lambda T, a, b: a @ b),
    Case("dot:nd", ops.dot, (normal(2, 3), normal(4, 3, 2)),
         lambda T, a, b: T.tensordot(a, b, dims=([1], [1]))),
    Case("dot:scalar", lambda a: ops.dot(a, Tensor(1.5)), (normal(3),),
         lambda T, a: a * 1.5),
    # --- movement ---
    Case("reshape", lambda x: ops.reshape(x, (4, -1)), (normal(2, 3, 4),),
         lambda T, x: x.reshape(4, -1)),
    Case("transpose", ops.transpose, (normal(2, 3, 4),), lambda T, x: x.permute(2, 1, 0)),
    Case("transpose:axes", lambda x: ops.transpose(x, (1, 0, 2)), (normal(2, 3, 4),),
         lambda T, x: x.permute(1, 0, 2)),
    Case("transpose:negative-axes", lambda x: ops.transpose(x, (-1, 0, 1)), (normal(2, 3, 4),),
         lambda T, x: x.permute(2, 0, 1)),
    Case("astype", lambda x: x.astype("float64") * 2.0, (normal(3),),
         lambda T, x: x.to(T.float64) * 2.0),
    Case("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), (normal(3, 1),),
         lambda T, x: T.broadcast_to(x, (2, 3, 4))),
    Case("expand_dims", lambda x: ops.expand_dims(x, 1), (normal(3, 4),),
         lambda T, x: x.unsqueeze(1)),
    Case("expand_dims:tuple", lambda x: ops.expand_dims(x, (0, -1)), (normal(3, 4),),
         lambda T, x: x.reshape(1, 3, 4, 1)),
    Case("squeeze", ops.squeeze, (normal(1, 3, 1, 2),), lambda T, x: x.squeeze()),
    Case("squeeze:axis", lambda x: ops.squeeze(x, -2), (normal(1, 3, 1, 2),),
         lambda T, x: x.squeeze(-2)),
    Case("concatenate", lambda a, b, c: ops.concatenate([a, b, c]),
         (normal(2, 3), normal(1, 3), normal(3, 3)), lambda T, a, b, c: T.cat([a, b, c])),
    Case("concatenate:axis-1", lambda a, b: ops.concatenate([a, b], axis=-1),
         (normal(2, 3), normal(2, 1)), lambda T, a, b: T.cat([a, b], -1)),
    Case("stack", lambda a, b: ops.stack([a, b]), (normal(2, 3), normal(2, 3)),
         lambda T, a, b: T.stack([a, b])),
    Case("stack:axis-1", lambda a, b, c: ops.stack([a, b, c], axis=-1),
         (normal(2, 3), normal(2, 3), normal(2, 3)), lambda T, a, b, c: T.stack([a, b, c], -1)),
    Case("pad", lambda x: ops.pad(x, ((1, 2), (0, 1))), (normal(2, 3),),
         lambda T, x: _F(T).pad(x, (0, 1, 1, 2))),
    Case("pad:int-and-value", lambda x: ops.pad(x, 1, constant_values=3.0), (normal(2, 3),),
         lambda T, x: _F(T).pad(x, (1, 1, 1, 1), value=3.0)),
    Case("getitem", lambda x: ops.getitem(x, (slice(1, None), slice(None, None, 2))),
         (normal(3, 4),), lambda T, x: x[1:, ::2]),
    Case("getitem:int-ellipsis-newaxis", lambda x: ops.getitem(x, (1, Ellipsis, None, -1)),
         (normal(3, 4, 2),), lambda T, x: x[1, ..., None, -1]),
    Case("getitem:repeated-int-array", lambda x: ops.getitem(x, REPEATED), (normal(3, 4),),
         lambda T, x: x[T.as_tensor(REPEATED)]),
    Case("getitem:mixed-advanced", lambda x: ops.getitem(x, (np.array([1, 1]), slice(1, None))),
         (normal(3, 4),), lambda T, x: x[T.as_tensor([1, 1]), 1:]),
    Case("getitem:int-array-pairs", lambda x: ops.getitem(x, ([0, 0, 2], [1, 1, 3])),
         (normal(3, 4),), lambda T, x: x[[0, 0, 2], [1, 1, 3]]),
    Case("getitem:boolean-mask", lambda x: ops.getitem(x, MASK), (normal(3, 4),),
         lambda T, x: x[T.as_tensor(MASK)]),
    Case("take", lambda x: ops.take(x, REPEATED, axis=0), (normal(3, 2),),
         lambda T, x: x[T.as_tensor(REPEATED)]),
    Case("take:flat", lambda x: ops.take(x, [5, 0, 5]), (normal(2, 3),),
         lambda T, x: x.flatten()[[5, 0, 5]]),
    Case("take:axis-1", lambda x: ops.take(x, [2, 2, 0], axis=-1), (normal(2, 3),),
         lambda T, x: x[:, [2, 2, 0]]),
    Case("take:embedding-rows", lambda x: TakeRows.apply(x, REPEATED.reshape(2, 2), what="t"),
         (normal(3, 2),), lambda T, x: x[T.as_tensor(REPEATED.reshape(2, 2))]),
    # --- activations ---
    Case("relu", ops.relu, (away(3, 4),), lambda T, x: T.relu(x)),
    Case("relu6", ops.relu6, (away(4, 5, kinks=(0.0, 6.0), lo=-3, hi=9),),
         lambda T, x: _F(T).relu6(x)),
    Case("leaky_relu", ops.leaky_relu, (away(3, 4),),
         lambda T, x: _F(T).leaky_relu(x, 0.2)),
    Case("leaky_relu:slope", lambda x: ops.leaky_relu(x, negative_slope=0.01), (away(3, 4),),
         lambda T, x: _F(T).leaky_relu(x, 0.01)),
    Case("elu", ops.elu, (away(3, 4),), lambda T, x: _F(T).elu(x)),
    Case("elu:alpha", lambda x: ops.elu(x, alpha=0.5), (away(3, 4),),
         lambda T, x: _F(T).elu(x, alpha=0.5)),
    Case("selu", ops.selu, (away(3, 4),), lambda T, x: _F(T).selu(x)),
    Case("gelu", lambda x: ops.gelu(x, approximate=False), (normal(3, 4, scale=2),),
         lambda T, x: _F(T).gelu(x)),
    Case("gelu:tanh", lambda x: ops.gelu(x, approximate=True), (normal(3, 4, scale=2),),
         lambda T, x: _F(T).gelu(x, approximate="tanh")),
    Case("sigmoid", ops.sigmoid, (normal(3, 4, scale=3),), lambda T, x: T.sigmoid(x)),
    Case("hard_sigmoid", ops.hard_sigmoid, (away(3, 4, kinks=(-3.0, 3.0), lo=-5, hi=5),),
         lambda T, x: _F(T).hardsigmoid(x)),
    Case("tanh", ops.tanh, (normal(3, 4, scale=2),), lambda T, x: T.tanh(x)),
    Case("softplus", ops.softplus, (normal(3, 4, scale=3),), lambda T, x: _F(T).softplus(x)),
    Case("softplus:wide", ops.softplus, (uniform(-30, 30, 8),), lambda T, x: _F(T).softplus(x)),
    Case("softsign", ops.softsign, (normal(3, 4),), lambda T, x: _F(T).softsign(x)),
    Case("swish", ops.swish, (normal(3, 4, scale=2),), lambda T, x: _F(T).silu(x)),
    Case("silu", ops.silu, (normal(3, 4, scale=2),), lambda T, x: _F(T).silu(x)),
    Case("hard_swish", ops.hard_swish, (away(3, 4, kinks=(-3.0, 3.0), lo=-5, hi=5),),
         lambda T, x: _F(T).hardswish(x)),
    Case("mish", ops.mish, (normal(3, 4, scale=2),), lambda T, x: _F(T).mish(x)),
    Case("log_sigmoid", ops.log_sigmoid, (normal(3, 4, scale=3),),
         lambda T, x: _F(T).logsigmoid(x)),
    # --- fused losses ---
    Case("sparse_softmax_cross_entropy", lambda x: ops.sparse_softmax_cross_entropy(x, LABELS),
         (normal(4, 3, scale=2),),
         lambda T, x: _F(T).cross_entropy(x, T.as_tensor(LABELS), reduction="none")),
    Case("sparse_softmax_cross_entropy:3d",
         lambda x: ops.sparse_softmax_cross_entropy(x, LABELS_3D), (normal(2, 3, 4),),
         lambda T, x: _F(T).cross_entropy(x.reshape(-1, 4), T.as_tensor(LABELS_3D).flatten(),
                                          reduction="none").reshape(2, 3)),
    Case("sparse_softmax_cross_entropy:1d",
         lambda x: ops.sparse_softmax_cross_entropy(x, np.array(1)), (normal(5),),
         lambda T, x: _F(T).cross_entropy(x, T.as_tensor(1))),
    Case("sparse_cross_entropy_from_probs",
         lambda p: ops.sparse_cross_entropy_from_probs(p, LABELS), (simplex(4, 3),),
         lambda T, p: -T.log(p.gather(-1, T.as_tensor(LABELS)[:, None])[:, 0] / p.sum(-1))),
    Case("softmax_cross_entropy", ops.softmax_cross_entropy, (normal(4, 3, scale=2), simplex(4, 3)),
         lambda T, x, t: _F(T).cross_entropy(x, t, reduction="none")),
    Case("sigmoid_binary_cross_entropy", ops.sigmoid_binary_cross_entropy,
         (normal(3, 4, scale=3), uniform(0, 1, 3, 4)),
         lambda T, x, t: _F(T).binary_cross_entropy_with_logits(x, t, reduction="none")),
]

NOT_DIFFERENTIABLE = {
    # conversions and facts about tensors
    "as_tensor", "convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "dtype", "ndim",
    "size", "shape_equal", "broadcast_shapes", "view", "stop_gradient", "jvp",
    # boolean results: comparisons, logic, value tests
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "logical_xor", "isclose", "allclose", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "isreal", "signbit", "isin", "all", "any", "in_top_k",
    # integer results: indices, counts, bit operations, integer arithmetic
    "argmax", "argmin", "nanargmax", "nanargmin", "argsort", "argpartition", "searchsorted",
    "digitize", "nonzero", "unravel_index", "count_nonzero", "bincount", "histogram", "unique",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert",
    "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift", "gcd", "lcm",
    "floor_divide", "matrix_rank", "ctc_decode", "one_hot", "multi_hot",
    # piecewise-constant functions (zero gradient almost everywhere)
    "round", "floor", "ceil", "trunc", "sign", "heaviside", "nextafter",
    # constants and ranges (no tensor input)
    "ones", "zeros", "empty", "full", "eye", "identity", "tri", "arange", "linspace",
    "logspace", "geomspace", "ones_like", "zeros_like", "empty_like", "full_like", "bartlett",
    "blackman", "hamming", "hanning", "kaiser",
    # complex results (numdeep's gradients are real)
    "angle", "imag", "polar", "view_as_complex", "view_as_real", "eig",
    # returned as plain tensors for now (see numdeep.ops.linalg and numdeep.ops.math)
    "qr", "svd", "lstsq", "pinv", "lu_factor", "segment_prod", "i0",
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case):
    assert gradcheck(case.fn, case.sample(), mode=case.mode)


def _primitives_in_graph(out):
    seen, stack, found = set(), [out], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._ctx is None:
            continue
        seen.add(id(t))
        found.add(type(t._ctx).__name__)
        stack.extend(p for p in t._ctx.parents if p is not None)
    return found


# ----- gradcheck itself --------------------------------------------------------------------------
class _WrongCube(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, gy):
        (x,) = self.saved
        return gy * 2 * x**2  # wrong on purpose: should be 3 x^2


@pytest.mark.parametrize("mode", ["full", "random"])
def test_gradcheck_reports_a_wrong_gradient(mode):
    x = np.linspace(1, 2, 40).reshape(5, 8)  # 40 outputs: the VJP path in "full" mode
    with pytest.raises(AssertionError, match="input 1 .*shape \\(5, 8\\).*max abs error"):
        gradcheck(lambda a, b: a + _WrongCube.apply(b), [x, x], mode=mode)
    assert gradcheck(lambda b: _WrongCube.apply(b), [x[0, :3]], raise_exception=False) is False


def test_gradcheck_passes_integer_inputs_through():
    fn = lambda x, labels: ops.sparse_softmax_cross_entropy(x, labels)  # noqa: E731
    assert gradcheck(fn, [np.random.default_rng(0).standard_normal((4, 3)), LABELS])


def test_gradcheck_of_a_constant_function_is_zero():
    assert gradcheck(lambda x: Tensor(np.ones(3)), [np.ones(2)])


# ----- numerical stability -----------------------------------------------------------------------
FLOATS = [np.float32, np.float64]


def _backward(y, seed=0):
    v = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    y.backward(v)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_family_extremes_are_finite_and_silent(dtype):
    big = 3e38 if dtype == np.float32 else 1e308
    rows = [[1e4, -1e4, 0.0], [1e4, 1e4, 1e4], [-1e4, -1e4, -1e4], [big, big, big],
            [-big, -big, -big]]
    with np.errstate(all="raise"):
        for fn in (ops.softmax, ops.log_softmax, lambda x: ops.logsumexp(x, axis=-1)):
            x = Tensor(np.array(rows, dtype=dtype), requires_grad=True)
            y = fn(x)
            _backward(y)
            assert y.dtype == dtype and np.isfinite(y.data).all() and np.isfinite(x.grad).all()
        p = ops.softmax(np.array(rows, dtype=dtype)).data
        np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-6)
        np.testing.assert_allclose(p[0], [1, 0, 0])
        assert (ops.log_softmax(np.array(rows, dtype=dtype)).data <= 0).all()


def test_softmax_family_with_minus_inf_masks():
    rows = [[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]]
    outputs = {}
    for fn in (ops.softmax, ops.log_softmax, lambda x: ops.logsumexp(x, axis=-1)):
        x = Tensor(rows, requires_grad=True)
        with np.errstate(all="raise"):
            y = fn(x)
            _backward(y)
        assert not np.isnan(y.data).any() and not np.isnan(x.grad).any()
        outputs[fn] = y.data
    p, logp = outputs[ops.softmax], outputs[ops.log_softmax]
    np.testing.assert_allclose(p, [[1 / (1 + np.e), 0, np.e / (1 + np.e)], [0, 0, 0]], rtol=1e-6)
    assert logp[0, 1] == -np.inf and (logp[1] == -np.inf).all()
    np.testing.assert_allclose(list(outputs.values())[2], [np.log1p(np.e), -np.inf], rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["sigmoid", "softplus", "log_sigmoid", "tanh"])
def test_sigmoid_family_at_plus_minus_1000(name, dtype):
    fn = getattr(ops, name)
    x = Tensor(np.array([-1000.0, -300.0, 0.0, 300.0, 1000.0], dtype=dtype), requires_grad=True)
    with np.errstate(all="raise"):
        y = fn(x)
        y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(y.data).all() and np.isfinite(x.grad).all()
    lo, hi = {"sigmoid": (0, 1), "tanh": (-1, 1), "softplus": (0, 1000),
              "log_sigmoid": (-1000, 0)}[name]
    assert ((y.data >= lo) & (y.data <= hi)).all()
    if name in ("sigmoid", "tanh"):
        np.testing.assert_allclose(x.grad[[0, 1, 3, 4]], 0, atol=1e-30)
    else:  # softplus' slope is sigmoid(x); log_sigmoid's is sigmoid(-x)
        slope = np.array([0, 0, 0.5, 1, 1]) if name == "softplus" else np.array([1, 1, 0.5, 0, 0])
        np.testing.assert_allclose(x.grad, slope, atol=1e-30)


def test_log_sigmoid_of_minus_1000():
    np.testing.assert_allclose(ops.log_sigmoid(np.array([-1000.0])).data, [-1000.0])
    np.testing.assert_allclose(ops.softplus(np.array([1000.0], np.float32)).data, [1000.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropies_with_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [0.0, 0.0, 0.0]], dtype=dtype)
    targets = np.eye(3, dtype=dtype)[[1, 1, 2]]
    cases = [
        lambda x: ops.sparse_softmax_cross_entropy(x, np.array([1, 1, 2])),
        lambda x: ops.softmax_cross_entropy(x, targets),
        lambda x: ops.sigmoid_binary_cross_entropy(x, targets),
    ]
    for fn in cases:
        x = Tensor(logits, requires_grad=True)
        with np.errstate(all="raise"):
            loss = fn(x)
            loss.sum().backward()
        assert np.isfinite(loss.data).all() and np.isfinite(x.grad).all()
    np.testing.assert_allclose(
        ops.sparse_softmax_cross_entropy(logits, np.array([1, 1, 2])).data,
        [2e4, 0, np.log(3)], rtol=1e-6)


def test_nan_logit_reaches_the_loss():
    logits = np.array([[0.0, np.nan], [1.0, 2.0]])
    loss = ops.sparse_softmax_cross_entropy(logits, np.array([0, 1])).data
    assert np.isnan(loss[0]) and np.isfinite(loss[1])
    for fn in (ops.softmax, ops.log_softmax, lambda x: ops.logsumexp(x, axis=-1),
               lambda x: ops.softmax_cross_entropy(x, np.eye(2))):
        out = fn(logits).data
        assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    bce = ops.sigmoid_binary_cross_entropy(logits, np.eye(2)).data
    assert np.isnan(bce).sum() == 1 and np.isnan(bce[0, 1])
    assert np.isnan(ops.clip(np.array([np.nan]), 0.0, 1.0).data).all()
    assert np.isnan(ops.relu(np.array([np.nan])).data).all()
    assert np.isnan(ops.relu6(np.array([np.nan])).data).all()


# ----- special values follow NumPy ---------------------------------------------------------------
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "tanh", "log1p"])
def test_unary_special_values_match_numpy(name):
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(SPECIAL)
        np.testing.assert_array_equal(getattr(ops, name)(SPECIAL).data, expected)


def test_divide_special_values_match_numpy():
    a, b = np.meshgrid(SPECIAL, SPECIAL)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(ops.divide(a, b).data, a / b)


def test_special_gradients():
    x = Tensor([0.0, 4.0], requires_grad=True, dtype="float64")
    with np.errstate(divide="ignore"):
        ops.sqrt(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])  # like torch: d sqrt at 0 is inf
    x = Tensor([0.0, 2.0], requires_grad=True, dtype="float64")
    p = Tensor(2.0, requires_grad=True, dtype="float64")
    ops.power(x, p).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 4.0])
    np.testing.assert_allclose(p.grad, 4 * np.log(2))  # the x == 0 term contributes 0, not NaN
    x = Tensor([0.0, 3.0], requires_grad=True, dtype="float64")
    ops.power(x, 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


# ----- ties, integer-valued helpers --------------------------------------------------------------
def test_max_min_ties_split_the_gradient_evenly():
    for fn in (ops.max, ops.min):
        x = Tensor([[2.0, 2.0, 2.0, 1.0 if fn is ops.max else 3.0]], requires_grad=True)
        fn(x, axis=-1).sum().backward()
        np.testing.assert_allclose(x.grad, [[1 / 3, 1 / 3, 1 / 3, 0]])


def test_maximum_minimum_ties_split_the_gradient_evenly():
    for fn in (ops.maximum, ops.minimum):
        a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = Tensor([1.0, 0.0, 5.0], requires_grad=True)
        fn(a, b).sum().backward()
        win = [0.5, 1.0, 0.0] if fn is ops.maximum else [0.5, 0.0, 1.0]
        np.testing.assert_allclose(a.grad, win)
        np.testing.assert_allclose(b.grad, 1 - np.array(win))


def test_where_gradient_is_safe_for_the_unselected_branch():
    x = Tensor([-1.0, 0.0, 4.0], requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        ops.log(ops.where(x.data > 0, x, 1.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


def test_kink_gradients_follow_tensorflow_and_torch():
    x = Tensor([0.0, 6.0], requires_grad=True)
    ops.relu6(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    for fn, expected in [(ops.relu, 0.0), (ops.leaky_relu, 0.2), (ops.elu, 1.0),
                         (ops.softplus, 0.5), (ops.abs, 0.0), (ops.softsign, 1.0)]:
        x = Tensor([0.0], requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad, [expected], err_msg=fn.__name__)


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 2801), [1e-300, -1e-12, 0.46875, -0.46875, 6.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ops.erf(x).data, expected, rtol=1e-14, atol=1e-15)
    tiny = np.array([1e-300, -1e-20, 3e-9])
    np.testing.assert_allclose(ops.erf(tiny).data, [math.erf(v) for v in tiny], rtol=1e-15)
    x32 = x.astype(np.float32)
    expected32 = np.array([math.erf(v) for v in x32.astype(float)])
    np.testing.assert_allclose(ops.erf(x32).data, expected32, atol=3e-7)


def test_one_hot_is_a_plain_array_and_argmax_a_gradient_free_int32_tensor():
    y = ops.one_hot([2, 0, -1], 3)
    np.testing.assert_array_equal(y, [[0, 0, 1], [1, 0, 0], [0, 0, 0]])  # -1: padding
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    assert ops.one_hot(np.zeros((2, 0), dtype=int), 4).shape == (2, 0, 4)
    with pytest.raises(ValueError, match="num_classes=3"):
        ops.one_hot([3], 3)
    i = ops.argmax(Tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True), axis=1)
    np.testing.assert_array_equal(i.data, [1, 0])
    assert i.dtype == np.int32 and not i.requires_grad
    np.testing.assert_array_equal(ops.argmin([[1.0, 3.0], [4.0, 2.0]], axis=0).data, [0, 1])


def test_sparse_cross_entropy_validates_labels():
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        ops.sparse_softmax_cross_entropy(logits, [0, 3])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        ops.sparse_softmax_cross_entropy(logits, [-1, 0])
    with pytest.raises(ValueError, match="integer"):
        ops.sparse_softmax_cross_entropy(logits, [0.5, 1.0])
    with pytest.raises(ValueError, match="shape"):
        ops.sparse_softmax_cross_entropy(logits, [[0, 1]])
    exact = ops.sparse_softmax_cross_entropy(logits, np.array([0.0, 2.0])).data
    np.testing.assert_allclose(exact, [np.log(3)] * 2)


def test_squeeze_rejects_non_unit_axis():
    with pytest.raises(ValueError, match="not size 1"):
        ops.squeeze(np.zeros((2, 1)), axis=0)


def test_pad_modes_match_numpy_and_unknown_modes_raise():
    x = np.arange(12.0).reshape(3, 4)
    for mode in ("reflect", "symmetric", "edge", "wrap"):
        np.testing.assert_array_equal(ops.pad(x, ((1, 2), (2, 1)), mode=mode).data,
                                      np.pad(x, ((1, 2), (2, 1)), mode=mode))
    with pytest.raises(ValueError, match="mode"):
        ops.pad(np.zeros(2), 1, mode="median")
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(np.zeros(2), 1, mode="reflect", constant_values=1.0)


# ----- dtypes, empty shapes, scalars -------------------------------------------------------------
def test_float32_survives_python_scalars():
    x = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    y = ops.sum(ops.gelu(2.0 * x - 1.0) / 3.0 + ops.power(x, 2) + ops.softplus(x) * 0.5
                + ops.where(x.data > 0, x, 0.0) + ops.clip(x, 0.0, 2.0))
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    assert ops.add([1.0, 2.0], 1.0).dtype == np.float32


EMPTY_CASES = [
    ("exp", ops.exp), ("relu", ops.relu), ("sigmoid", ops.sigmoid), ("erf", ops.erf),
    ("gelu", ops.gelu), ("softplus", ops.softplus), ("add", lambda x: ops.add(x, x)),
    ("multiply-broadcast", lambda x: ops.multiply(x, np.ones(x.shape[-1:]))),
    ("sum", ops.sum), ("sum:axis0", lambda x: ops.sum(x, axis=0)),
    ("softmax", ops.softmax), ("log_softmax", ops.log_softmax),
    ("reshape", lambda x: ops.reshape(x, x.shape[::-1])), ("transpose", ops.transpose),
    ("concatenate", lambda x: ops.concatenate([x, x], axis=-1)), ("getitem", lambda x: x[::2]),
    ("pad", lambda x: ops.pad(x, 1)),
]


@pytest.mark.parametrize("shape", [(0,), (0, 4)])
@pytest.mark.parametrize("name,fn", EMPTY_CASES, ids=[n for n, _ in EMPTY_CASES])
def test_empty_shapes_forward_and_backward(name, fn, shape):
    x = Tensor(np.zeros(shape, np.float32), requires_grad=True)
    y = fn(x)
    y.backward(np.ones(y.shape, y.dtype))
    assert x.grad.shape == shape and x.grad.dtype == np.float32


def test_empty_matmul_and_cross_entropy():
    a = Tensor(np.zeros((0, 4)), requires_grad=True)
    w = Tensor(np.ones((4, 3)), requires_grad=True)
    y = ops.matmul(a, w)
    assert y.shape == (0, 3)
    loss = ops.sparse_softmax_cross_entropy(y, np.zeros(0, dtype=int))
    ops.sum(loss).backward()
    assert a.grad.shape == (0, 4)
    np.testing.assert_array_equal(w.grad, np.zeros((4, 3)))


SCALAR_FNS = [ops.exp, ops.sigmoid, ops.tanh, ops.gelu, ops.softplus, ops.log_sigmoid, ops.elu,
              ops.square, ops.erf, ops.sum, ops.mean, lambda x: ops.power(x, x),
              lambda x: ops.maximum(x, 0.5), lambda x: ops.expand_dims(x, 0)]


@pytest.mark.parametrize("fn", SCALAR_FNS)
def test_scalar_inputs(fn):
    x = Tensor(0.7, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert x.grad.shape == () and np.isfinite(x.grad)
