"""Adadelta, Adafactor, Adamax, Ftrl, Lamb, Lion, Muon and ScheduleFreeAdamW against plain NumPy
references of Keras's formulas (float64, several steps), torch where it has the same rule, and
Keras's golden values; MultiOptimizer's routing."""

import math

import numpy as np
import pytest

import numdeep as nd
from numdeep.optimizers import (
    Adadelta,
    Adafactor,
    Adamax,
    Ftrl,
    Lamb,
    Lion,
    MultiOptimizer,
    Muon,
    OptimizerMap,
    ScheduleFreeAdamW,
)

SHAPES = [(3, 4), (5,)]
STEPS = 5


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _run(opt, params, grads):
    params = [p.copy() for p in params]
    for step in grads:
        opt.apply(step, params)
    return params


def _reference(rule, state, params, grads):
    """Apply ``rule(t, k, w, g, s) -> w`` step by step; ``s`` is that variable's state dict."""
    params = [p.copy() for p in params]
    states = [state(p) for p in params]
    for t, step in enumerate(grads, start=1):
        for k, g in enumerate(step):
            params[k] = rule(t, params[k], g, states[k])
    return params


def _close(got, want, tol=1e-10):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_adadelta_matches_the_formula_and_torch():
    params, grads = _problem(1)
    rho, eps, lr = 0.9, 1e-6, 0.5

    def rule(t, w, g, s):
        s["a"] = rho * s["a"] + (1 - rho) * g**2
        d = -np.sqrt(s["u"] + eps) * g / np.sqrt(s["a"] + eps)
        s["u"] = rho * s["u"] + (1 - rho) * d**2
        return w + lr * d

    got = _run(Adadelta(lr, rho=rho, epsilon=eps), params, grads)
    _close(got, _reference(rule, lambda p: {"a": 0 * p, "u": 0 * p}, params, grads))
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    topt = torch.optim.Adadelta(tparams, lr=lr, rho=rho, eps=eps)
    for step in grads:
        for t, g in zip(tparams, step):
            t.grad = torch.tensor(g)
        topt.step()
    _close(got, [t.detach().numpy() for t in tparams], 1e-9)


def test_adamax_matches_the_formula_and_torch_with_tiny_epsilon():
    params, grads = _problem(2)
    b1, b2, lr = 0.9, 0.999, 0.01

    def rule(t, w, g, s, eps=1e-7):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g))
        return w - lr * s["m"] / ((1 - b1**t) * (s["u"] + eps))

    got = _run(Adamax(lr), params, grads)
    _close(got, _reference(rule, lambda p: {"m": 0 * p, "u": 0 * p}, params, grads))
    torch = pytest.importorskip("torch")
    # torch adds epsilon inside the max: equal as epsilon -> 0.
    got = _run(Adamax(lr, epsilon=1e-14), params, grads)
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    topt = torch.optim.Adamax(tparams, lr=lr, eps=1e-14)
    for step in grads:
        for t, g in zip(tparams, step):
            t.grad = torch.tensor(g)
        topt.step()
    _close(got, [t.detach().numpy() for t in tparams], 1e-9)


def test_ftrl_matches_the_formula():
    params, grads = _problem(3)
    lr, power, l1, l2, shrink, beta = 0.05, -0.2, 0.05, 0.15, 0.01, 0.3

    def rule(t, w, g, s):
        g_shrunk = g + 2 * shrink * w
        new_n = s["n"] + g**2
        s["z"] = s["z"] + g_shrunk - (new_n**-power - s["n"] ** -power) / lr * w
        quadratic = new_n**-power / lr + 2 * (l2 + beta / (2 * lr))
        s["n"] = new_n
        return (np.clip(s["z"], -l1, l1) - s["z"]) / quadratic

    opt = Ftrl(lr, learning_rate_power=power, initial_accumulator_value=0.4,
               l1_regularization_strength=l1, l2_regularization_strength=l2,
               l2_shrinkage_regularization_strength=shrink, beta=beta)
    want = _reference(rule, lambda p: {"n": 0 * p + 0.4, "z": 0 * p}, params, grads)
    _close(_run(opt, params, grads), want)
    with pytest.raises(ValueError, match="`learning_rate_power` needs to be negative or zero"):
        Ftrl(learning_rate_power=0.1)


def test_lamb_scales_adam_by_the_trust_ratio():
    params, grads = _problem(4)
    b1, b2, eps, lr = 0.9, 0.999, 1e-7, 0.01

    def rule(t, w, g, s):
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g**2 - s["v"]) * (1 - b2)
        u = (s["m"] / (1 - b1**t)) / (np.sqrt(s["v"] / (1 - b2**t)) + eps)
        return w - np.linalg.norm(w) / np.linalg.norm(u) * lr * u

    got = _run(Lamb(lr), params, grads)
    _close(got, _reference(rule, lambda p: {"m": 0 * p, "v": 0 * p}, params, grads))


def test_lion_moves_by_the_sign_of_the_interpolated_momentum():
    params, grads = _problem(5)
    b1, b2, lr = 0.9, 0.99, 0.01

    def rule(t, w, g, s):
        w = w - lr * np.sign(b1 * s["m"] + (1 - b1) * g)
        s["m"] = b2 * s["m"] + (1 - b2) * g
        return w

    _close(_run(Lion(lr), params, grads), _reference(rule, lambda p: {"m": 0 * p}, params, grads))
    with pytest.raises(ValueError, match="degenerates to SignSGD. Received: beta_1=0.0"):
        Lion(beta_1=0.0)


def test_adafactor_factors_the_second_moment_of_matrices():
    params, grads = _problem(6)
    lr, decay, eps1, eps2, clip = 0.5, -0.8, 1e-30, 1e-3, 1.0

    def rms(x):
        return math.sqrt(float(np.mean(x * x)))

    def rule(t, w, g, s):
        step_lr = min(lr, 1 / math.sqrt(t))
        alpha = max(eps2, rms(w)) * min(step_lr, 1 / math.sqrt(t))
        beta = 1 - t**decay
        square = g**2 + eps1
        if w.ndim == 2:
            s["r"] = beta * s["r"] + (1 - beta) * square.mean(-1)
            s["c"] = beta * s["c"] + (1 - beta) * square.mean(-2)
            v = np.outer(s["r"] / s["r"].mean(), s["c"])
        else:
            s["v"] = beta * s["v"] + (1 - beta) * square
            v = s["v"]
        u = g / np.sqrt(v)
        return w - alpha * u / max(1.0, rms(u) / clip)

    def state(p):
        return {"r": np.zeros(p.shape[:-1]), "c": np.zeros(p.shape[-1:]), "v": 0 * p}

    opt = Adafactor(lr)
    _close(_run(opt, params, grads), _reference(rule, state, params, grads))
    assert [tuple(v.shape) for v in opt.variables[2:5]] == [(3,), (4,), (3, 4)]


def test_schedule_free_adamw_follows_the_paper():
    params, grads = _problem(7)
    b1, b2, eps, lr, warmup = 0.9, 0.999, 1e-8, 0.05, 3

    def rule(t, w, g, s):
        step_lr = lr * min(t / warmup, 1.0)
        z_old = s["z"].copy()
        s["v"] = s["v"] + (g**2 - s["v"]) * (1 - b2)
        s["z"] = s["z"] - step_lr * g / (np.sqrt(s["v"] / (1 - b2**t)) + eps)
        x = (1 - 1 / t) * (w - (1 - b1) * z_old) / b1 + s["z"] / t
        return (1 - b1) * s["z"] + b1 * x

    got = _run(ScheduleFreeAdamW(lr, warmup_steps=warmup), params, grads)
    _close(got, _reference(rule, lambda p: {"z": p.copy(), "v": 0 * p}, params, grads))


def test_muon_orthogonalizes_the_momentum_of_matrices_and_uses_adamw_elsewhere():
    opt = Muon()
    x = np.random.default_rng(8).standard_normal((6, 4)).astype("float32")
    ortho = opt.zeropower_via_newtonschulz5(x, 5)
    singular = np.linalg.svd(ortho, compute_uv=False)
    assert np.all((singular > 0.6) & (singular < 1.2))  # U S' V^T with S' near 1
    # Keras's golden value for its test matrix.
    np.testing.assert_allclose(
        opt.zeropower_via_newtonschulz5(np.array([[0.2499, 0.9105], [0.2655, 0.8824]]), 5),
        [[-0.4422, 0.6457], [0.7285, 0.2968]], atol=1e-3)
    with nd.backend.name_scope("embedding"):
        table = nd.Variable(np.ones((3, 2), "float32"), name="embeddings")
    kernel, bias = nd.Variable(np.ones((3, 2), "float32")), nd.Variable(np.ones(2, "float32"))
    assert [opt._should_use_adamw(v) for v in (table, kernel, bias)] == [True, False, True]
    assert Muon(exclude_layers=["vari"])._should_use_adamw(kernel)
    opt = Muon(learning_rate=0.5, weight_decay=0)
    w = nd.Variable([[1.0, 2.0], [3.0, 4.0]])
    opt.apply([np.array([[1.0, 6.0], [7.0, 2.0]], "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [[0.988775, 1.887053], [2.873428, 3.97035]], atol=1e-2)
    assert len(opt.variables) == 2 + 1  # a momentum, no velocity, for a Muon variable


def test_keras_golden_values_of_the_first_steps():
    # From Keras's own tests (test_single_step): one step at learning rate 0.5.
    grads = np.array([1.0, 6.0, 7.0, 2.0], "float32")
    expected = {
        Adadelta: [0.9993, 1.9993, 2.9993, 3.9993], Adamax: [0.5, 1.5, 2.5, 3.5],
        Ftrl: [0.2218, 1.3954, 2.3651, 2.8814], Lamb: [-0.3693, 0.6307, 1.6307, 2.6307],
        Lion: [0.5, 1.5, 2.5, 3.5], Adafactor: [-0.3693, 0.6307, 1.6307, 2.6307],
    }
    for cls, want in expected.items():
        w = nd.Variable([1.0, 2.0, 3.0, 4.0])
        cls(learning_rate=0.5).apply([grads], [w])
        np.testing.assert_allclose(w.numpy(), want, atol=1e-4, err_msg=cls.__name__)


def _scoped(scope, value):
    with nd.backend.name_scope(scope):
        return nd.Variable(np.asarray(value, "float32"), name="kernel")


def test_multi_optimizer_routes_by_path_and_counts_its_own_steps():
    w1, w2, w3 = _scoped("dense_1", [[2.0]]), _scoped("dense_2", [[3.0]]), _scoped("x", [[4.0]])
    sgd_1, sgd_2, default = (nd.optimizers.SGD(0.1), nd.optimizers.SGD(1.0),
                             nd.optimizers.SGD(0.0))
    opt_map = OptimizerMap(default_optimizer=default)
    opt_map["^dense_1/.*"] = sgd_1
    opt_map["^dense_2/.*"] = sgd_2
    opt = MultiOptimizer(opt_map)
    opt.apply([np.ones((1, 1), "float32")] * 3, [w1, w2, w3])
    assert (w1.numpy().item(), w2.numpy().item(), w3.numpy().item()) == pytest.approx(
        (1.9, 2.0, 4.0))
    assert opt.optimizers == [sgd_1, sgd_2, default]
    assert [int(o.iterations) for o in (opt, *opt.optimizers)] == [1, 1, 1, 1]
    assert len(opt.variables) == 2 + 3 * 2
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        opt.learning_rate  # noqa: B018
    again = nd.optimizers.deserialize(nd.optimizers.serialize(opt))
    again.build([w1, w2, w3])
    assert [type(o).__name__ for o in again.optimizers] == ["SGD", "SGD", "SGD"]
    assert [float(o.learning_rate) for o in again.optimizers] == pytest.approx([0.1, 1.0, 0.0])


def test_multi_optimizer_in_fit_and_with_lr_callbacks():
    opt = MultiOptimizer(OptimizerMap(nd.optimizers.SGD(0.1),
                                      {".*dense_a/.*": nd.optimizers.SGD(1e-3)}))
    model = nd.Sequential([nd.layers.Dense(2, use_bias=False, kernel_initializer="ones",
                                           name="dense_a", input_shape=(1,)),
                           nd.layers.Dense(1, use_bias=False, kernel_initializer="ones",
                                           name="dense_b")])
    model.compile(optimizer=opt, loss="mse")
    history = model.fit(np.ones((1, 1)), np.zeros((1, 1)), epochs=2, verbose=0,
                        callbacks=[nd.callbacks.LearningRateScheduler(lambda e, lr: lr / 2)])
    assert sorted(k for k in history.history if k.startswith("learning_rate")) == [
        f"learning_rate_{o.name}" for o in sorted(opt.optimizers, key=lambda o: o.name)]
    assert [o.get_config()["learning_rate"] for o in opt.optimizers] == pytest.approx(
        [2.5e-4, 0.025])
    assert int(opt.iterations) == 2
