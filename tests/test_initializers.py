import math

import numpy as np
import pytest

from numdeep import initializers
from numdeep.backend import random as nd_random
from numdeep.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)

ALL = [Zeros(), Ones(), Constant(0.3), RandomNormal(seed=1), RandomUniform(seed=1),
       TruncatedNormal(seed=1), VarianceScaling(seed=1), GlorotUniform(seed=1),
       GlorotNormal(seed=1), HeUniform(seed=1), HeNormal(seed=1), LecunUniform(seed=1),
       LecunNormal(seed=1), Orthogonal(seed=1), Identity(2.0)]


@pytest.mark.parametrize("init", ALL, ids=lambda i: type(i).__name__)
def test_shape_dtype_and_config_round_trip(init):
    w = init((6, 4))
    assert w.shape == (6, 4) and w.dtype == np.float32 and isinstance(w, np.ndarray)
    assert init((6, 4), dtype="float64").dtype == np.float64
    cfg = initializers.serialize(init)
    assert cfg["module"] == "keras.initializers" and cfg["registered_name"] is None
    assert cfg["class_name"] == type(init).__name__
    clone = initializers.get(cfg)
    assert type(clone) is type(init) and clone.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    np.testing.assert_array_equal(clone((6, 4)), init((6, 4)))  # seeded: same values


@pytest.mark.parametrize("cls,scale,mode,uniform", [
    (GlorotUniform, 1.0, "fan_avg", True), (GlorotNormal, 1.0, "fan_avg", False),
    (HeUniform, 2.0, "fan_in", True), (HeNormal, 2.0, "fan_in", False),
    (LecunUniform, 1.0, "fan_in", True), (LecunNormal, 1.0, "fan_in", False),
])
def test_variance_matches_keras_formula(cls, scale, mode, uniform):
    shape = (3, 3, 64, 128)  # fan_in = 576, fan_out = 1152
    fan_in, fan_out = 576, 1152
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = cls(seed=0)(shape).astype(np.float64)
    assert abs(w.mean()) < 0.02 * math.sqrt(scale / n)
    assert w.var() == pytest.approx(scale / n, rel=0.03)
    if uniform:
        assert np.abs(w).max() <= math.sqrt(3 * scale / n)
    else:  # truncated at two (pre-correction) standard deviations
        assert np.abs(w).max() <= 2 * math.sqrt(scale / n) / 0.87962566103423978 + 1e-7


def test_variance_scaling_options():
    w = VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=0)((200, 500))
    assert w.var() == pytest.approx(3.0 / 500, rel=0.03)
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"
    for bad in [dict(scale=0.0), dict(mode="fan"), dict(distribution="gamma")]:
        with pytest.raises(ValueError):
            VarianceScaling(**bad)


def test_fans_for_conv_kernels():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5, 7)) == (5, 7)
    assert initializers.compute_fans((4,)) == (4, 4)
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((2, 3, 3, 16, 32)) == (288, 576)
    limit = math.sqrt(6.0 / (144 + 288))
    w = GlorotUniform(seed=3)((3, 3, 16, 32))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (2, 3, 4), (3, 3, 4, 6)])
def test_orthogonal(shape):
    w = Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 2.0
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-10)
    with pytest.raises(ValueError, match="at least 2 dims"):
        Orthogonal()((4,))


def test_identity_constant_zeros_ones():
    np.testing.assert_array_equal(Identity()((2, 2)), np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="2-D"):
        Identity()((2, 2, 2))
    np.testing.assert_array_equal(Constant(7)((2,), dtype="int32"), [7, 7])
    np.testing.assert_array_equal(Constant([1.0, 2.0])((2, 2)), [[1, 2], [1, 2]])
    assert Constant(np.float32(0.5)).get_config() == {"value": 0.5}
    assert Zeros()((2, 3), dtype="int64").dtype == np.int64
    assert Ones()(3).tolist() == [1.0, 1.0, 1.0]


def test_random_distributions():
    w = RandomNormal(mean=1.0, stddev=2.0, seed=0)((200_000,)).astype(np.float64)
    assert w.mean() == pytest.approx(1.0, abs=0.03) and w.std() == pytest.approx(2.0, rel=0.01)
    w = RandomUniform(2.0, 4.0, seed=0)((100_000,))
    assert w.min() >= 2.0 and w.max() < 4.0 and w.mean() == pytest.approx(3.0, abs=0.01)
    w = TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((100_000,)).astype(np.float64)
    assert np.abs(w - 1.0).max() <= 1.0 + 1e-6
    assert w.std() == pytest.approx(0.5 * 0.87962566103423978, rel=0.01)
    with pytest.raises(ValueError, match="float"):
        RandomNormal()((2,), dtype="int32")


def test_seeded_instance_is_deterministic_and_unseeded_is_not():
    np.testing.assert_array_equal(HeNormal(seed=5)((4, 4)), HeNormal(seed=5)((4, 4)))
    init = HeNormal(seed=5)
    np.testing.assert_array_equal(init((4, 4)), init((4, 4)))
    assert not np.array_equal(HeNormal(seed=5)((4, 4)), HeNormal(seed=6)((4, 4)))
    init = HeNormal()
    assert not np.array_equal(init((4, 4)), init((4, 4)))
    with pytest.raises(ValueError, match="seed"):
        HeNormal(seed=1.5)


def test_set_random_seed_reproducibility_and_global_state_untouched():
    from numdeep.utils import set_random_seed

    np.random.seed(1234)
    before = np.random.get_state()
    inits = [GlorotUniform(), Orthogonal(), RandomNormal(), TruncatedNormal(), HeNormal()]
    set_random_seed(42)
    a = [init((5, 3)) for init in inits]
    set_random_seed(42)
    b = [init((5, 3)) for init in inits]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    seeded = [GlorotUniform(seed=0)((5, 3)), Orthogonal(seed=0)((3, 3))]
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]
    assert seeded[0].shape == (5, 3)
    nd_random.set_seed(None)


def test_get_variants():
    assert isinstance(initializers.get("glorot_uniform"), GlorotUniform)
    assert isinstance(initializers.get("GlorotUniform"), GlorotUniform)
    assert isinstance(initializers.get("zeros"), Zeros)
    assert isinstance(initializers.get("orthogonal"), Orthogonal)
    assert isinstance(initializers.get(HeNormal), HeNormal)
    assert initializers.get(None) is None
    inst = LecunNormal(seed=2)
    assert initializers.get(inst) is inst

    def fn(shape, dtype=None):
        return np.full(shape, 3.0, dtype=dtype or "float32")

    assert initializers.get(fn) is fn
    cfg = {"module": "keras.initializers", "class_name": "VarianceScaling",
           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": None},
           "registered_name": None}
    vs = initializers.get(cfg)
    assert (vs.scale, vs.mode, vs.distribution) == (2.0, "fan_out", "uniform")
    with pytest.raises(ValueError, match="Unknown initializer.*glorot_uniform"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError):
        initializers.get(3)
    with pytest.raises(ValueError):
        initializers.serialize(fn)
