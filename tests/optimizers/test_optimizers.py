"""Optimizers: parity with torch.optim and with the Keras formulas, plus the base-class contract."""

import math
import warnings

import numpy as np
import pytest

from numdeep import optimizers
from numdeep.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    schedules,
)

SHAPES = [(3, 4), (5,), (2, 3, 2)]
STEPS = 5


class Var:
    """Stand-in for a Tensor: the optimizer needs only ``.data`` (and ``.name`` for decay rules)."""

    def __init__(self, data, name=None):
        self.data = data
        self.grad = None
        self.name = name


def _problem(seed=0, dtype=np.float64, steps=STEPS):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return params, grads


def _run(opt, params, grads):
    """Copies of ``params`` after ``grads``; the optimizer is built on (and keeps) the copies."""
    params = [p.copy() for p in params]
    return _steps(opt, params, grads)


def _steps(opt, params, grads):
    """``params`` updated in place (the same objects on every call, as Keras requires)."""
    for step in grads:
        opt.apply(step, params)
    return params


def _run_torch(make_opt, params, grads):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    opt = make_opt(tparams)
    for step in grads:
        for t, g in zip(tparams, step):
            t.grad = torch.tensor(g)
        opt.step()
    return [t.detach().numpy() for t in tparams]


def _assert_close(got, want, tol=1e-9):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


# ----- independent references of the Keras formulas (plain, allocating NumPy) ------------------
def _keras_adam(params, grads, lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    vh = [np.zeros_like(p) for p in params]
    for t, step in enumerate(grads, start=1):
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        for k, g in enumerate(step):
            if wd is not None:
                params[k] = params[k] - params[k] * wd * lr
            m[k] = m[k] + (g - m[k]) * (1 - b1)
            v[k] = v[k] + (g * g - v[k]) * (1 - b2)
            denom = v[k]
            if amsgrad:
                vh[k] = np.maximum(vh[k], v[k])
                denom = vh[k]
            params[k] = params[k] - alpha * m[k] / (np.sqrt(denom) + eps)
    return params


def _keras_rmsprop(params, grads, lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    params = [p.copy() for p in params]
    vel = [np.zeros_like(p) for p in params]
    mom = [np.zeros_like(p) for p in params]
    avg = [np.zeros_like(p) for p in params]
    for step in grads:
        for k, g in enumerate(step):
            vel[k] = rho * vel[k] + (1 - rho) * g**2
            if centered:
                avg[k] = rho * avg[k] + (1 - rho) * g
                denom = vel[k] - avg[k] ** 2 + eps
            else:
                denom = vel[k] + eps
            inc = lr * g / np.sqrt(denom)
            if momentum > 0:
                mom[k] = momentum * mom[k] + inc
                params[k] = params[k] - mom[k]
            else:
                params[k] = params[k] - inc
    return params


def _keras_adagrad(params, grads, lr, init=0.1, eps=1e-7):
    params = [p.copy() for p in params]
    acc = [np.full_like(p, init) for p in params]
    for step in grads:
        for k, g in enumerate(step):
            acc[k] = acc[k] + g**2
            params[k] = params[k] - lr * g / np.sqrt(acc[k] + eps)
    return params


def _keras_nadam(params, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    u_product = 1.0
    for it, step in enumerate(grads):
        u_product = u_product * b1 * (1.0 - 0.5 * 0.96 ** (it + 1))
        for k, g in enumerate(step):
            u_t = b1 * (1.0 - 0.5 * 0.96 ** (it + 1))
            u_t_1 = b1 * (1.0 - 0.5 * 0.96 ** (it + 2))
            u_product_t_1 = u_product * u_t_1
            m[k] = m[k] + (g - m[k]) * (1 - b1)
            v[k] = v[k] + (g**2 - v[k]) * (1 - b2)
            m_hat = u_t_1 * m[k] / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product)
            v_hat = v[k] / (1 - b2 ** (it + 1))
            params[k] = params[k] - m_hat * lr / (np.sqrt(v_hat) + eps)
    return params


# ----- parity with torch.optim -------------------------------------------------------------------
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_torch(momentum, nesterov):
    torch = pytest.importorskip("torch")
    params, grads = _problem()
    got = _run(SGD(learning_rate=0.1, momentum=momentum, nesterov=nesterov), params, grads)
    # Keras keeps lr inside the velocity (v = mu v - lr g), torch outside (b = mu b + g; w -= lr b):
    # the same trajectory for a constant learning rate.
    want = _run_torch(lambda p: torch.optim.SGD(p, lr=0.1, momentum=momentum, nesterov=nesterov),
                      params, grads)
    _assert_close(got, want)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_torch_with_tiny_epsilon(amsgrad):
    torch = pytest.importorskip("torch")
    params, grads = _problem(1)
    # Keras adds epsilon to sqrt(v), torch to sqrt(v / (1 - beta_2^t)): equal as epsilon -> 0.
    got = _run(Adam(learning_rate=0.01, epsilon=1e-12, amsgrad=amsgrad), params, grads)
    want = _run_torch(lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-12, amsgrad=amsgrad),
                      params, grads)
    _assert_close(got, want, 1e-8)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_keras_formula(amsgrad):
    params, grads = _problem(2)
    # Small gradients make epsilon=1e-7 matter, so its placement is really tested.
    grads = [[g * 1e-6 for g in step] for step in grads]
    got = _run(Adam(learning_rate=0.01, amsgrad=amsgrad), params, grads)
    _assert_close(got, _keras_adam(params, grads, 0.01, amsgrad=amsgrad), 1e-12)
    # ... and it is not torch's placement.
    torch_like = _keras_adam(params, grads, 0.01, eps=1e-7 * math.sqrt(1 - 0.999), amsgrad=amsgrad)
    assert not np.allclose(got[0], torch_like[0], rtol=1e-9, atol=0)


def test_adamw_matches_torch():
    torch = pytest.importorskip("torch")
    params, grads = _problem(3)
    got = _run(AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=1e-12), params, grads)
    want = _run_torch(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=1e-12),
                      params, grads)
    _assert_close(got, want, 1e-8)


def test_adamw_matches_keras_formula_and_defaults():
    params, grads = _problem(4)
    opt = AdamW(learning_rate=0.01)
    assert opt.weight_decay == 0.004 and opt.epsilon == 1e-7 and opt.name.startswith("adam_w")
    got = _run(opt, params, grads)
    _assert_close(got, _keras_adam(params, grads, 0.01, wd=0.004), 1e-12)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, False), (0.0, True),
                                               (0.5, True)])
def test_rmsprop_matches_torch_with_tiny_epsilon(momentum, centered):
    torch = pytest.importorskip("torch")
    params, grads = _problem(5)
    # Keras: sqrt(v + eps); torch: sqrt(v) + eps. Equal as eps -> 0.
    got = _run(RMSprop(learning_rate=0.01, rho=0.8, momentum=momentum, centered=centered,
                       epsilon=1e-14), params, grads)
    want = _run_torch(lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-14,
                                                    momentum=momentum, centered=centered),
                      params, grads)
    _assert_close(got, want, 1e-7)


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, True)])
def test_rmsprop_matches_keras_formula(momentum, centered):
    params, grads = _problem(6)
    grads = [[g * 1e-3 for g in step] for step in grads]
    got = _run(RMSprop(learning_rate=0.01, momentum=momentum, centered=centered), params, grads)
    want = _keras_rmsprop(params, grads, 0.01, momentum=momentum, centered=centered)
    _assert_close(got, want, 1e-12)


def test_adagrad_matches_torch_and_keras_formula():
    torch = pytest.importorskip("torch")
    params, grads = _problem(7)
    got = _run(Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-14),
               params, grads)
    want = _run_torch(lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1,
                                                    eps=1e-14), params, grads)
    _assert_close(got, want, 1e-9)
    got = _run(Adagrad(learning_rate=0.1, initial_accumulator_value=0.0), params, grads)
    _assert_close(got, _keras_adagrad(params, grads, 0.1, init=0.0), 1e-12)


def test_nadam_matches_keras_formula_and_torch_with_unit_momentum_decay():
    torch = pytest.importorskip("torch")
    params, grads = _problem(8, steps=8)
    got = _run(Nadam(learning_rate=0.01), params, grads)
    _assert_close(got, _keras_nadam(params, grads, 0.01), 1e-12)
    # torch's mu_t uses 0.96 ** (t * momentum_decay); momentum_decay=1 gives Keras's schedule,
    # and torch places epsilon as Keras does here (sqrt(v_hat) + eps).
    want = _run_torch(lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-7, momentum_decay=1.0),
                      params, grads)
    _assert_close(got, want, 1e-9)


# ----- dtype, aliasing, None gradients ------------------------------------------------------------
ALL = [
    lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9, nesterov=True), lambda: Adam(0.01),
    lambda: Adam(0.01, amsgrad=True, weight_decay=0.01), lambda: AdamW(0.01),
    lambda: RMSprop(0.01, momentum=0.9, centered=True), lambda: Adagrad(0.1), lambda: Nadam(0.01),
]


@pytest.mark.parametrize("make", ALL)
def test_float32_stays_float32(make):
    params, grads = _problem(9, dtype=np.float32)
    opt = make()
    out = _run(opt, params, grads)
    assert all(p.dtype == np.float32 for p in out)
    assert all(s.dtype == np.float32 for s in opt.variables[2:] if s.ndim)
    want = _run(make(), [p.astype(np.float64) for p in params],
                [[g.astype(np.float64) for g in step] for step in grads])
    _assert_close(out, want, 1e-4)


@pytest.mark.parametrize("clip", [{}, {"clipnorm": 0.5}, {"clipvalue": 0.1},
                                  {"global_clipnorm": 0.5}])
@pytest.mark.parametrize("make", [Adam, Nadam, lambda **k: SGD(momentum=0.5, **k)])
def test_grads_are_never_mutated(make, clip):
    params, grads = _problem(10)
    before = [[g.copy() for g in step] for step in grads]
    _run(make(**clip), params, grads)
    for step, saved in zip(grads, before):
        for g, s in zip(step, saved):
            assert np.array_equal(g, s)


def test_variables_are_updated_in_place():
    params, grads = _problem(11)
    variables = [Var(p.copy()) for p in params]
    arrays = [v.data for v in variables]
    Adam(0.1).apply(grads[0], variables)
    assert all(v.data is a for v, a in zip(variables, arrays))
    assert all(not np.array_equal(a, p) for a, p in zip(arrays, params))


def test_none_grads_are_skipped_with_a_warning():
    params, grads = _problem(12)
    opt = Adam(0.1)
    copy = [p.copy() for p in params]
    with pytest.warns(UserWarning, match="do not exist"):
        opt.apply([grads[0][0], None, grads[0][2]], copy)
    assert np.array_equal(copy[1], params[1])
    assert not np.array_equal(copy[0], params[0])
    assert opt.iterations == 1
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None, None], copy)


def test_apply_gradients_pairs_and_apply_without_variables():
    params, grads = _problem(13)
    a = [p.copy() for p in params]
    b = [Var(p.copy()) for p in params]
    opt_a, opt_b = Adam(0.1), Adam(0.1)
    assert opt_a.apply_gradients(zip(grads[0], a)) == 1
    opt_b.build(b)
    opt_b.apply(grads[0])
    _assert_close(a, [v.data for v in b], 0)
    # Keras: any of the variables it was built with, matched by identity; never others.
    before = b[2].data.copy()
    opt_b.apply(grads[1][:2], b[:2])
    assert np.array_equal(b[2].data, before) and int(opt_b.iterations) == 2
    with pytest.raises(ValueError, match="Unknown variable"):
        opt_b.apply(grads[1][:1], [params[0].copy()])
    with pytest.raises(ValueError, match="must match"):
        opt_b.apply(grads[0][:2])
    with pytest.raises(ValueError, match="build"):
        Adam().apply(grads[0])


def test_works_with_numdeep_tensors():
    try:
        from numdeep.autograd.tensor import Tensor
    except ImportError:  # pragma: no cover - the autograd package is being written concurrently
        pytest.skip("numdeep.autograd.tensor is not importable yet")
    w = Tensor(np.array([3.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = Adam(0.1)
    for _ in range(100):
        w.grad = 2 * w.data
        opt.apply([w.grad], [w])
    assert w.data.dtype == np.float32 and np.abs(w.data).max() < 0.1


# ----- clipping and weight decay ------------------------------------------------------------------
def test_clipnorm_clips_each_gradient_separately():
    params, _ = _problem(14)
    grads = [np.full((3, 4), 1.0), np.full((5,), 0.01), np.full((2, 3, 2), -2.0)]
    got = _run(SGD(1.0, clipnorm=1.0), params, [grads])
    for p, g, out in zip(params, grads, got):
        norm = np.linalg.norm(g)
        clipped = g * 1.0 / max(norm, 1.0)
        np.testing.assert_allclose(out, p - clipped, rtol=1e-12, atol=1e-12)


def test_clipvalue_and_global_clipnorm():
    params, grads = _problem(15)
    got = _run(SGD(1.0, clipvalue=0.5), params, grads[:1])
    _assert_close(got, [p - np.clip(g, -0.5, 0.5) for p, g in zip(params, grads[0])], 1e-12)
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads[0]))
    got = _run(SGD(1.0, global_clipnorm=1.0), params, grads[:1])
    _assert_close(got, [p - g / total for p, g in zip(params, grads[0])], 1e-12)
    got = _run(SGD(1.0, global_clipnorm=1e6), params, grads[:1])
    _assert_close(got, [p - g for p, g in zip(params, grads[0])], 0)


def test_only_one_clipping_option():
    with pytest.raises(ValueError, match="Only one"):
        Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="Only one"):
        SGD(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_is_decoupled_and_can_exclude_variables():
    params, grads = _problem(16)
    variables = [Var(p.copy(), name=n) for p, n in zip(params, ["kernel", "bias", "kernel_1"])]
    opt = SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply(grads[0], variables)
    for v, p, g, decayed in zip(variables, params, grads[0], [True, False, True]):
        start = p - p * 0.5 * 0.1 if decayed else p
        np.testing.assert_allclose(v.data, start - 0.1 * g, rtol=1e-12)
    with pytest.raises(ValueError, match="before"):
        opt.exclude_from_weight_decay(var_names=["x"])


# ----- learning rate and schedules ----------------------------------------------------------------
def test_schedule_is_stepped_per_iteration():
    sched = schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5, 0.25])
    opt = SGD(learning_rate=sched)
    w = np.zeros(1)
    seen = []
    for _ in range(4):
        seen.append(float(opt.learning_rate))
        before = w.copy()
        opt.apply([np.ones(1)], [w])
        assert float(before[0] - w[0]) == pytest.approx(seen[-1])
    assert seen == [1.0, 1.0, 0.5, 0.25]
    assert float(opt.learning_rate) == 0.25 and opt.iterations == 4


def test_schedule_also_drives_weight_decay():
    sched = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = SGD(sched, weight_decay=1.0)
    w = np.ones(1)
    for lr in (0.1, 0.05, 0.025):
        expected = w * (1 - lr)
        opt.apply([np.zeros(1)], [w])
        np.testing.assert_allclose(w, expected)


def test_learning_rate_setter():
    opt = Adam()
    opt.learning_rate = 0.1
    # Keras's float32 variable, while the updates and the config use the exact value set.
    assert opt.learning_rate is opt.variables[1] and opt.learning_rate.dtype == np.float32
    assert opt.learning_rate == np.float32(0.1) and opt.get_config()["learning_rate"] == 0.1
    opt.learning_rate.assign(0.25)  # assigning the variable is seen too
    assert opt.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = "fast"
    scheduled = Adam(schedules.InverseTimeDecay(1.0, 1, 1.0))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        scheduled.learning_rate = 0.1
    scheduled.learning_rate = schedules.ExponentialDecay(0.3, 10, 0.5)
    assert float(scheduled.learning_rate) == pytest.approx(0.3)
    # A schedule replaces the variable (Keras untracks it); a callable is called each step.
    assert len(scheduled.variables) == 1
    plain = SGD(0.1)
    plain.learning_rate = lambda: 0.5
    w = np.ones(1)
    plain.apply([np.ones(1)], [w])
    assert w[0] == 0.5 and len(plain.variables) == 1


# ----- config ----------------------------------------------------------------------------------
CONFIGS = [
    (SGD, {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True, "clipnorm": 2.0}),
    (Adam, {"learning_rate": 0.002, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
            "amsgrad": True, "global_clipnorm": 1.0}),
    (AdamW, {"weight_decay": 0.01, "amsgrad": True}),
    (RMSprop, {"rho": 0.8, "momentum": 0.5, "centered": True, "clipvalue": 0.3}),
    (Adagrad, {"initial_accumulator_value": 0.2, "epsilon": 1e-6, "weight_decay": 0.1}),
    (Nadam, {"beta_1": 0.85, "name": "my_nadam"}),
]


@pytest.mark.parametrize("cls,kwargs", CONFIGS)
def test_config_round_trip(cls, kwargs):
    opt = cls(**kwargs)
    config = opt.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    again = cls.from_config(config)
    assert type(again) is cls and again.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == config


def test_adam_config_keys_match_keras():
    config = Adam().get_config()
    assert set(config) == {"name", "learning_rate", "weight_decay", "clipnorm",
                           "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                           "ema_overwrite_frequency", "loss_scale_factor",
                           "gradient_accumulation_steps", "beta_1", "beta_2", "epsilon",
                           "amsgrad"}
    assert config["name"].startswith("adam") and config["epsilon"] == 1e-7
    assert SGD().get_config()["name"].startswith("sgd")


def test_config_with_schedule_and_keras_extras():
    sched = schedules.CosineDecay(0.1, 100, alpha=0.1)
    config = Adam(learning_rate=sched).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    opt = Adam.from_config(config)
    assert isinstance(opt._learning_rate, schedules.CosineDecay)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    keras_config = {"name": "adam", "learning_rate": 0.001, "weight_decay": None,
                    "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                    "loss_scale_factor": None, "gradient_accumulation_steps": None,
                    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Adam.from_config(keras_config).get_config()["epsilon"] == 1e-7
    assert Adam.from_config({**keras_config, "use_ema": True}).use_ema is True
    with pytest.warns(UserWarning, match="decay"):  # Keras 2's argument: ignored, as in Keras
        Adam.from_config({**keras_config, "decay": 0.1, "jit_compile": True})


def test_get_resolves_names_instances_and_configs():
    for name, cls in [("sgd", SGD), ("SGD", SGD), ("adam", Adam), ("Adam", Adam),
                      ("adamw", AdamW), ("AdamW", AdamW), ("rmsprop", RMSprop),
                      ("RMSprop", RMSprop), ("adagrad", Adagrad), ("Nadam", Nadam)]:
        assert type(optimizers.get(name)) is cls
    opt = Adam()
    assert optimizers.get(opt) is opt
    cfg = {"module": "keras.src.backend.torch.optimizers.torch_adam", "class_name": "Adam",
           "config": {"learning_rate": 0.01}, "registered_name": "Adam"}
    assert optimizers.get(cfg).get_config()["learning_rate"] == 0.01
    with pytest.raises(ValueError, match="'adam'.*'nadam'|Known optimizers"):
        optimizers.get("adamaxx")
    assert optimizers.get(None) is None
    with pytest.raises(ValueError):
        optimizers.get(3)


def test_defaults_are_keras():
    assert (SGD().learning_rate, SGD().momentum, SGD().nesterov) == (0.01, 0.0, False)
    adam = Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)
    rms = RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        0.001, 0.9, 0.0, 1e-7, False)
    ada = Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    nadam = Nadam()
    assert (nadam.learning_rate, nadam.beta_1, nadam.beta_2, nadam.epsilon) == (
        0.001, 0.9, 0.999, 1e-7)


# ----- explicit state --------------------------------------------------------------------------
@pytest.mark.parametrize("make", ALL + [lambda: Adam(schedules.ExponentialDecay(0.1, 2, 0.5))])
@pytest.mark.parametrize("build_first", [False, True])
def test_state_dict_resume_is_bit_identical(make, build_first):
    params, grads = _problem(17, dtype=np.float32, steps=6)
    opt = make()
    live = _run(opt, params, grads[:3])
    mid = [p.copy() for p in live]
    state = opt.state_dict()
    assert all(isinstance(v, (int, float, np.ndarray)) for v in state.values())
    snapshot = {k: np.copy(v) for k, v in state.items()}
    final = _steps(opt, live, grads[3:])
    # state_dict() holds copies: the later steps did not change it.
    assert all(np.array_equal(state[k], snapshot[k]) for k in state)

    resumed = make()
    if build_first:
        resumed.build(mid)
    resumed.load_state_dict(state)
    for got, want in zip(_steps(resumed, mid, grads[3:]), final):
        assert np.array_equal(got, want)
    assert resumed.iterations == 6 and resumed.state_dict().keys() == state.keys()


def test_load_state_dict_rejects_a_foreign_state():
    params, grads = _problem(18)
    adam = Adam()
    _run(adam, params, grads[:1])
    sgd = SGD(momentum=0.9)
    sgd.build(params)
    with pytest.raises(ValueError, match="Missing"):
        sgd.load_state_dict(adam.state_dict())


def test_variables_follow_keras_order():
    params = [np.zeros((2, 3)), np.zeros(4)]
    grads = [np.full((2, 3), 2.0), np.full(4, 3.0)]
    opt = Adam(0.1, amsgrad=True)
    opt.apply(grads, [p.copy() for p in params])
    vs = opt.variables
    assert vs[0].dtype == np.int64 and vs[0] == 1
    assert vs[1].dtype == np.float32 and vs[1] == np.float32(0.1)
    # Keras: (momentum, velocity) interleaved per variable, then the velocity_hats.
    expected = [("m", 0), ("v", 0), ("m", 1), ("v", 1), ("vh", 0), ("vh", 1)]
    for arr, (kind, k) in zip(vs[2:], expected):
        g = grads[k]
        value = 0.1 * g if kind == "m" else 0.001 * g**2
        np.testing.assert_allclose(arr, value)
    assert len(vs) == 8

    rms = RMSprop(momentum=0.5, centered=True)
    rms.build(params)
    shapes = [v.shape for v in rms.variables[2:]]
    assert shapes == [(2, 3), (4,)] * 3  # all velocities, then momentums, then averages
    assert len(SGD().variables) == 2 and len(SGD(momentum=0.9).variables) == 2
    sgd = SGD(momentum=0.9)
    sgd.build(params)
    assert len(sgd.variables) == 4

    nadam = Nadam(schedules.ExponentialDecay(0.1, 2, 0.5))
    nadam.apply(grads, [p.copy() for p in params])
    nv = nadam.variables
    assert len(nv) == 1 + 4 + 1  # no learning_rate with a schedule; u_product last
    assert nv[-1].shape == () and float(nv[-1]) == pytest.approx(0.9 * (1 - 0.5 * 0.96))
    assert [v.path for v in vs[:4]] == [f"{opt.name}/iteration", f"{opt.name}/learning_rate",
                                        f"{opt.name}/variable_0_momentum",
                                        f"{opt.name}/variable_0_velocity"]


@pytest.mark.parametrize("make", ALL)
def test_set_variables_round_trip(make):
    params, grads = _problem(19, steps=4)
    opt = make()
    live = _run(opt, params, grads[:2])
    mid = [p.copy() for p in live]
    saved = [v.numpy().copy() for v in opt.variables]
    final = _steps(opt, live, grads[2:])
    other = make()
    other.set_variables(saved)  # deferred until build
    for got, want in zip(_steps(other, mid, grads[2:]), final):
        assert np.array_equal(got, want)
    with pytest.raises(ValueError, match="expected"):
        other.set_variables(saved[:-1])
    with pytest.raises(ValueError, match="not yet been built"):
        make().set_weights(saved)


def test_subclass_contract():
    class SignSGD(Optimizer):
        def update(self, param, grad, state, lr):
            np.subtract(param, lr * np.sign(grad), param)

    w = np.array([1.0, -1.0])
    SignSGD(learning_rate=0.25).apply([np.array([3.0, -0.1])], [w])
    np.testing.assert_allclose(w, [0.75, -0.75])
