"""The fast paths inside the fused recurrent ops equal their plain math: the one-``exp`` gate
activations, the all-steps weight-gradient product (on BLAS's threads, outside the loops'
one-thread scope), and a benchmark-sized float32 LSTM / GRU against the float64 step-by-step
reference."""

import warnings

import numpy as np
import pytest

from numdeep.autograd import Tensor
from numdeep.autograd.primitives import _recurrent_base
from numdeep.autograd.primitives._recurrent_base import _Gates, _outer_sum
from numdeep.autograd.primitives.recurrent import GRUSequence, LSTMSequence
from numdeep.backend import threads
from tests.autograd.test_recurrent_ops import CASES, reference

EXTREMES = [0.0, -0.0, 1e-8, -1e-8, 0.5, -3.0, 20.0, -20.0, 44.0, -44.0, 89.0, -89.0, 1e4,
            -1e4, np.inf, -np.inf]


@pytest.fixture
def two_threads():
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(None)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("names", [("sigmoid", "sigmoid", "sigmoid", "tanh"), ("tanh",),
                                   ("sigmoid", "sigmoid")])
def test_exp_gates_equal_tanh_and_sigmoid(names, dtype):
    units = 3
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.standard_normal((len(names) * units, 40)) * 4,
                        np.tile(np.array(EXTREMES)[None], (len(names) * units, 1))], axis=1)
    z = z.astype(dtype)
    gates = _Gates(np, names, units, np.dtype(dtype))
    a = z * gates.prescale[:, None]  # the op folds the scale into its weights
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="ignore"):
            gates(a)
    z64 = z.astype(np.float64)
    for k, name in enumerate(names):
        block = z64[k * units:(k + 1) * units]
        want = np.tanh(block) if name == "tanh" else 0.5 * (1.0 + np.tanh(block / 2))
        tol = 2e-7 if dtype == "float32" else 1e-15
        np.testing.assert_allclose(a[k * units:(k + 1) * units], want, rtol=0, atol=tol)
    assert np.isnan(gates(np.full((len(names) * units, 1), np.nan, dtype))).all()


@pytest.mark.parametrize("shape", [(3, 5, 2, 4), (50, 97, 128, 64), (7, 1, 9, 33)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("count", [1, 2])
def test_outer_sum_equals_the_per_step_sum(shape, dtype, count):
    steps, m, n, batch = shape
    rng = np.random.default_rng(1)
    a = rng.standard_normal((steps + 1, m, batch)).astype(dtype)[:steps]  # a strided view
    b = rng.standard_normal((steps, n, batch)).astype(dtype)
    want = sum(a[t].astype(np.float64) @ b[t].T.astype(np.float64) for t in range(steps))
    threads.set_num_threads(count)
    try:
        got = _outer_sum(a, b)
    finally:
        threads.set_num_threads(None)
    assert got.dtype == dtype and got.flags.c_contiguous
    tol = 1e-3 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind, params", [("lstm", {}), ("gru", {"reset_after": True}),
                                           ("gru", {"reset_after": False})])
def test_all_steps_products_run_outside_the_one_thread_scope(monkeypatch, kind, params):
    # The time loops keep BLAS on one thread; the few large products after them (the kernel
    # and input gradients, and a GRU's h rows without reset_after) get BLAS's own threads.
    inputs, _ = _big_case(kind, "float64")
    if kind == "gru" and not params["reset_after"]:
        inputs[-1] = inputs[-1][0]  # one bias vector
    scopes = []
    rows_first = _recurrent_base._rows_first

    def spy(a):
        scopes.append(getattr(threads._local, "blas_single", False))
        return rows_first(a)

    monkeypatch.setattr(_recurrent_base, "_rows_first", spy)
    _run(kind, inputs, params)
    assert len(scopes) == (4 if kind == "gru" and not params["reset_after"] else 2)
    assert not any(scopes)


def test_large_steps_keep_blas_threads_and_the_same_gradients(monkeypatch):
    inputs, params = _big_case("lstm", "float64")
    _, small = _run("lstm", inputs, params)
    monkeypatch.setattr(_recurrent_base, "_BLAS_THREADS_MIN", 1)  # every step counts as large
    calls = []
    monkeypatch.setattr(_recurrent_base.threads, "single_threaded_blas",
                        lambda: calls.append(1))
    _, large = _run("lstm", inputs, params)
    assert not calls
    for a, b in zip(small, large):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _big_case(kind, dtype, go_backwards=False):
    rng = np.random.default_rng(3)
    batch, steps, features, units = 64, 50, 8, 32
    gates = 4 if kind == "lstm" else 3
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    kernel = (rng.standard_normal((features, gates * units)) * 0.4).astype(dtype)
    rkernel = (rng.standard_normal((units, gates * units)) * 0.4).astype(dtype)
    bias = (rng.standard_normal((2, 3 * units) if kind == "gru" else gates * units) * 0.3)
    return [x, kernel, rkernel, bias.astype(dtype)], {"go_backwards": go_backwards}


def _run(kind, inputs, params):
    op = LSTMSequence if kind == "lstm" else GRUSequence
    tensors = [Tensor(a, requires_grad=True) for a in inputs]
    states = (None, None) if kind == "lstm" else (None,)
    y = op.apply(*tensors, *states, **params)
    weights = np.random.default_rng(4).standard_normal(y.shape).astype(y.dtype)
    (y * Tensor(weights)).sum().backward()
    return y.data, [t.grad for t in tensors]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_benchmark_sized_float32_matches_the_float64_reference(kind, go_backwards):
    inputs, params = _big_case(kind, "float32", go_backwards)
    got, grads = _run(kind, inputs, params)
    case = next(c for c in CASES if c.name == kind)
    case_params = {"go_backwards": go_backwards, **({"reset_after": True} if kind == "gru"
                                                     else {})}
    case = type(case)(case.name, case.kind, case_params)
    want = reference(case, *[a.astype(np.float64) for a in inputs],
                     *([None, None] if kind == "lstm" else [None]))
    np.testing.assert_allclose(got, want, atol=2e-5)
    _, grads64 = _run(kind, [a.astype(np.float64) for a in inputs], params)
    for g, g64 in zip(grads, grads64):
        scale = np.abs(g64).max()
        np.testing.assert_allclose(g, g64, atol=2e-5 * max(scale, 1.0))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_two_threads_give_the_one_thread_gradients(kind, two_threads):
    inputs, params = _big_case(kind, "float64")
    threads.set_num_threads(1)
    y1, g1 = _run(kind, inputs, params)
    threads.set_num_threads(2)
    y2, g2 = _run(kind, inputs, params)
    np.testing.assert_array_equal(y1, y2)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_saturated_gates_give_no_overflow_warnings():
    rng = np.random.default_rng(5)
    x = Tensor((rng.standard_normal((4, 6, 3)) * 1e3).astype("float32"))
    w = Tensor((rng.standard_normal((3, 16)) * 1e2).astype("float32"), requires_grad=True)
    u = Tensor(rng.standard_normal((4, 16)).astype("float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = LSTMSequence.apply(x, w, u, None, None, None)
        y.sum().backward()
    assert np.isfinite(y.data).all() and np.isfinite(w.grad).all()


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_row_and_column_major_stacked_weights_give_the_same_numbers(monkeypatch, kind):
    # Few columns (steps * batch) keep the stacked weights column-major, as stacking leaves
    # them; more get a row-major copy first. BLAS reads both: the same outputs and gradients.
    inputs, params = _big_case(kind, "float64")
    inputs[0] = inputs[0][:2, :3]  # 6 columns
    op = LSTMSequence if kind == "lstm" else GRUSequence
    scan, layouts = op._scan, []

    def spy(self, z_all, h_all, w, rest):
        layouts.append(w.flags.c_contiguous)
        return scan(self, z_all, h_all, w, rest)

    monkeypatch.setattr(op, "_scan", spy)
    runs = []
    for threshold in (1, 1 << 30):
        monkeypatch.setattr(_recurrent_base, "_ROW_MAJOR_MIN", threshold)
        runs.append(_run(kind, inputs, params))
    assert layouts == [True, False]  # row-major, then the stacking's column-major layout
    (y_row, g_row), (y_col, g_col) = runs
    np.testing.assert_allclose(y_row, y_col, rtol=1e-12, atol=1e-12)
    for a, b in zip(g_row, g_col):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_inference_stacks_the_scaled_weights_directly_with_the_same_numbers(kind):
    # Without a graph to record, the op builds only the prescaled stacked weights (one buffer,
    # one multiply); recording, it keeps the unscaled ones for backward and scales a copy.
    from numdeep.autograd.engine import no_grad
    from numdeep.autograd.primitives.recurrent import SimpleRNNSequence

    inputs, params = _big_case("lstm" if kind == "simple" else kind, "float32")
    if kind == "simple":
        inputs[1], inputs[2], inputs[3] = inputs[1][:, :32], inputs[2][:, :32], inputs[3][:32]
    op = {"lstm": LSTMSequence, "gru": GRUSequence, "simple": SimpleRNNSequence}[kind]
    states = (None, None) if kind == "lstm" else (None,)
    recorded = op.apply(*[Tensor(a, requires_grad=True) for a in inputs], *states)
    with no_grad():
        plain = op.apply(*[Tensor(a) for a in inputs], *states)
    np.testing.assert_array_equal(plain.data, recorded.data)
