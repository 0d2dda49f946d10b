"""The lean replay kernels of inference plans equal their primitives' forward bit for bit."""

import warnings

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd.primitives import elementwise, linalg, movement, reduce
from numdeep.models import plan
from numdeep.models.plan.lower import lowered


def _same(fast, eager):
    assert fast.dtype == eager.dtype and fast.shape == eager.shape
    assert np.array_equal(fast, eager, equal_nan=True)


def _eager(cls, arrays, params):
    return cls.apply(*arrays, **params).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls", [elementwise.Add, elementwise.Sub, elementwise.Mul,
                                 elementwise.Div])
def test_binary_kernels_equal_forward(cls, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5)).astype(dtype)
    b = (rng.random(5) + 0.5).astype(dtype)  # broadcast along the rows, as a bias
    _same(lowered(cls, {})(a, b), _eager(cls, (a, b), {}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls", [elementwise.Relu, elementwise.Tanh, elementwise.Sigmoid])
def test_unary_kernels_equal_forward(cls, dtype):
    x = np.linspace(-200, 200, 41).astype(dtype).reshape(1, 41)  # sigmoid's exp overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(lowered(cls, {})(x), _eager(cls, (x,), {}))


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4),
                                                                          (2, 4, 5))])
def test_matmul_kernel_equals_forward(shapes):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype("float32") for s in shapes)
    _same(lowered(linalg.MatMul, {})(a, b), _eager(linalg.MatMul, (a, b), {}))


def test_reshape_kernel_equals_forward():
    x = np.arange(12.0).reshape(3, 4)
    _same(lowered(movement.Reshape, {"shape": (2, -1)})(x),
          _eager(movement.Reshape, (x,), {"shape": (2, -1)}))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_kernel_equals_forward_with_non_finite_rows(axis):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((5, 6)) * 30).astype("float32")
    x[1, 2] = np.inf
    x[2] = -np.inf
    x[3, 0] = np.nan
    fast = lowered(reduce.Softmax, {"axis": axis})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the primitive itself warns of the inf / inf
        _same(fast(x), _eager(reduce.Softmax, (x,), {"axis": axis}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fast path must not warn where eager does not
        finite = x[[0, 4]]
        _same(fast(finite), _eager(reduce.Softmax, (finite,), {"axis": axis}))
    empty = np.zeros((0, 3), "float32")
    _same(fast(empty), _eager(reduce.Softmax, (empty,), {"axis": axis}))


def test_softmax_kernel_respects_a_raising_underflow_setting():
    x = np.array([[0.0, -200.0]], dtype="float32")  # exp(-200) underflows in float32
    fast = lowered(reduce.Softmax, {"axis": -1})
    with np.errstate(under="raise"):  # the primitive silences underflow: so must the plan
        _same(fast(x), _eager(reduce.Softmax, (x,), {"axis": -1}))


def test_ops_without_a_lean_kernel_are_not_lowered():
    assert lowered(reduce.Sum, {"axis": 0}) is None
    assert lowered(movement.Reshape, {"shape": (2,), "extra": 1}) is None


def test_straight_line_replay_equals_eager_on_an_mlp():
    nd.utils.set_random_seed(3)
    model = nd.Sequential([nd.layers.Flatten(input_shape=(4, 4)),
                           nd.layers.Dense(8, activation="relu"), nd.layers.Dropout(0.5),
                           nd.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(4).random((2, 4, 4)).astype("float32")
    model.predict(x, verbose=0)
    model.predict(x, verbose=0)  # the second call with this signature traces
    assert plan.plans_of(model) == 1
    entry = next(e for e in plan._CACHES[model].values() if isinstance(e, plan._Entry))
    assert entry.plan._straight is not None  # every op of this model has a lean kernel
    _check_against_eager(model, x)
    # Weights changed in place are read live by the generated replay.
    model.layers[1].kernel.assign(model.layers[1].kernel.numpy() * 2)
    _check_against_eager(model, x)


def _check_against_eager(model, x):
    fast = model.predict(x, verbose=0)
    plan.set_enabled(False)
    try:
        reference = model.predict(x, verbose=0)
    finally:
        plan.set_enabled(True)
    _same(fast, reference)
