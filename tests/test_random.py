"""``numdeep.random`` (Keras's ``keras.random``): seeding semantics, argument checks, dtypes and
the distributions' numbers."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import random
from numdeep.random import SeedGenerator


def test_int_seed_is_stateless_and_generator_advances():
    a = random.normal((4,), seed=3).numpy()
    assert np.array_equal(a, random.normal((4,), seed=3).numpy())
    assert not np.array_equal(a, random.normal((4,), seed=4).numpy())
    gen = SeedGenerator(7)
    first, second = random.uniform((4,), seed=gen), random.uniform((4,), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    again = SeedGenerator(7)
    np.testing.assert_array_equal(random.uniform((4,), seed=again).numpy(), first.numpy())
    assert gen.state.numpy().tolist() == [7, 2] and gen.state.dtype == np.int64


def test_seed_generator_state_values_and_config():
    gen = SeedGenerator(seed=5, name="sg")
    seed = gen.next()
    before = gen.state.value
    gen.next()
    assert seed.numpy().tolist() == [5, 0] and before.numpy().tolist() == [5, 1]
    assert gen.get_config() == {"seed": 5, "name": "sg"}
    assert SeedGenerator.from_config(gen.get_config()).state.numpy().tolist() == [5, 0]
    with pytest.raises(ValueError, match="Argument `seed` must be an integer"):
        SeedGenerator(seed="x")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        SeedGenerator(bad=1)
    with pytest.raises(ValueError, match="must be either an integer or an instance"):
        random.draw_seed(1.5)
    assert random.draw_seed(2**64 - 1).numpy().tolist() == [-1, 0]


def test_set_random_seed_makes_unseeded_draws_repeat_without_touching_np_random():
    state = np.random.get_state()[1].copy()
    nd.utils.set_random_seed(11)
    a = random.normal((3,)).numpy()
    b = random.normal((3,)).numpy()
    nd.utils.set_random_seed(11)
    np.testing.assert_array_equal(random.normal((3,)).numpy(), a)
    np.testing.assert_array_equal(random.normal((3,)).numpy(), b)
    assert not np.array_equal(a, b)
    assert np.array_equal(np.random.get_state()[1], state)


def test_validation_and_dtypes():
    with pytest.raises(ValueError, match="`keras.random.uniform` requires a floating point"):
        random.uniform((2,), dtype="int64")
    with pytest.raises(ValueError, match="`keras.random.randint` requires an integer"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="should be a 2-D tensor"):
        random.categorical(np.ones(5), 2)
    assert random.normal((2,), dtype="float16").dtype == np.float16
    assert random.randint((2,), 0, 9, dtype="uint8").dtype == np.uint8
    assert random.categorical(np.zeros((2, 3)), 4, dtype="int16").dtype == np.int16
    assert random.uniform((2,)).dtype == np.float32


def test_distributions_have_their_moments():
    x = random.normal((20000,), mean=2.0, stddev=3.0, seed=0).numpy()
    assert abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    u = random.uniform((20000,), minval=-1.0, maxval=3.0, seed=0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = random.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=0).numpy()
    assert t.min() >= 0.0 and t.max() <= 2.0
    g = random.gamma((20000,), alpha=3.0, seed=0).numpy()
    assert abs(g.mean() - 3.0) < 0.1
    b = random.beta((20000,), alpha=2.0, beta=6.0, seed=0).numpy()
    assert abs(b.mean() - 0.25) < 0.01
    n = random.binomial((20000,), counts=10, probabilities=0.3, seed=0).numpy()
    assert n.dtype == np.float32 and abs(n.mean() - 3.0) < 0.05
    r = random.randint((20000,), 2, 5, seed=0).numpy()
    assert set(np.unique(r).tolist()) == {2, 3, 4}


def test_categorical_frequencies_follow_softmax_and_skip_impossible_classes():
    logits = np.array([[np.log(0.2), np.log(0.8), -np.inf]])
    draws = random.categorical(logits, 20000, seed=1).numpy()
    assert draws.shape == (1, 20000) and 2 not in draws
    assert abs((draws == 1).mean() - 0.8) < 0.02
    huge = np.eye(3) * 1e5 + 1e6  # no overflow: Gumbel-max needs no exponentials
    assert (random.categorical(huge, 5, seed=0).numpy() == np.arange(3)[:, None]).all()


def test_dropout_scales_kept_entries_and_differentiates():
    x = nd.Tensor(np.ones((50, 40)), requires_grad=True)
    y = random.dropout(x, rate=0.25, seed=0)
    values = np.unique(y.numpy())
    assert set(values.tolist()) <= {0.0, 4.0 / 3.0}
    assert abs((y.numpy() == 0).mean() - 0.25) < 0.03
    nd.ops.sum(y).backward()
    np.testing.assert_allclose(x.grad, y.numpy())  # d(sum(x * mask))/dx = mask
    shared = random.dropout(np.ones((2, 3, 4)), 0.5, noise_shape=[None, 1, 4], seed=1).numpy()
    assert (shared == shared[:, :1, :]).all()
    assert (random.dropout(np.ones((3,)), 1.0, seed=0).numpy() == 0).all()


def test_shuffle_permutes_along_an_axis():
    x = np.arange(20).reshape(4, 5)
    y = random.shuffle(x, axis=1, seed=0).numpy()
    assert sorted(y[0].tolist()) == list(range(5)) and (y[:, :1] % 5 == y[0, 0]).all()


def test_random_ops_record_in_a_functional_model():
    inputs = nd.Input((6,))
    outputs = random.dropout(inputs, 0.5, seed=SeedGenerator(3))
    model = nd.Model(inputs, outputs)
    a = model(np.ones((2, 6), "float32")).numpy()
    b = model(np.ones((2, 6), "float32")).numpy()
    assert set(np.unique(a).tolist()) <= {0.0, 2.0} and not np.array_equal(a, b)
