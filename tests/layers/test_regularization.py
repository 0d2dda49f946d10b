"""Regularization layers: Dropout (rates, noise shapes, Keras's messages), AlphaDropout,
SpatialDropout1D/2D/3D, the Gaussian noise layers, their seed generators, and
ActivityRegularization."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor
from tests.helpers import check_layer

L = nd.layers


def test_dropout_identity_at_inference_and_scaled_in_training():
    layer = L.Dropout(0.25, seed=3)
    x = np.ones((1000, 10), dtype="float32")
    np.testing.assert_array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(L.Dropout(1.0)(x, training=True).data, 0.0)


def test_dropout_seeded_masks_reproducible_and_new_each_step():
    x = np.ones((4, 8), dtype="float32")
    layer = L.Dropout(0.5, seed=7)
    a = layer(x, training=True).data
    np.testing.assert_array_equal(a, L.Dropout(0.5, seed=7)(x, training=True).data)
    assert not np.array_equal(a, layer(x, training=True).data)


def test_dropout_gradient_flows_through_kept_units():
    x = Tensor(np.ones((50, 20), "float32"), requires_grad=True)
    y = L.Dropout(0.4, seed=0)(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.data)  # d(sum y)/dx = mask / (1 - rate) = y here


@pytest.mark.parametrize("rate", [-0.5, 1.5])
def test_rate_outside_unit_interval(rate):
    for cls in (L.Dropout, L.AlphaDropout, L.GaussianDropout):
        with pytest.raises(ValueError, match="Invalid value received for argument `rate`. "
                                             "Expected a float value between 0 and 1."):
            cls(rate=rate)


@pytest.mark.parametrize("noise_shape, match", [
    ("Invalid", "Expected a tuple or list of integers"),
    (5, "Expected an iterable of integers"),
    ((20, 1.5, 10), "Expected all elements to be integers or None"),
    ((20, -1, 10), "Expected all dimensions to be positive integers or None"),
    ((20, 0, 10), "Expected all dimensions to be positive integers or None"),
])
def test_noise_shape_validation(noise_shape, match):
    with pytest.raises(ValueError, match=match):
        L.Dropout(0.5, noise_shape=noise_shape)


def test_noise_shape_shares_the_mask():
    layer = L.Dropout(0.5, noise_shape=[None, 1, None], seed=1)
    assert layer.noise_shape == (None, 1, None)
    y = layer(np.ones((20, 5, 10), "float32"), training=True).data
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))


@pytest.mark.parametrize("make, n", [
    (lambda: L.Dropout(0.2), 1), (lambda: L.Dropout(0.0), 0), (lambda: L.AlphaDropout(0.2), 1),
    (lambda: L.SpatialDropout2D(0.2), 1), (lambda: L.GaussianNoise(0.1), 1),
    (lambda: L.GaussianNoise(0.0), 0), (lambda: L.GaussianDropout(0.3), 1),
])
def test_each_random_layer_owns_one_seed_generator(make, n):
    layer = make()
    assert layer.built
    assert len(nd.random.seed_generators_of(layer)) == n
    assert len(layer.non_trainable_variables) == n  # the generator's state is saved


def test_alpha_dropout_keeps_mean_and_variance():
    x = np.random.default_rng(0).standard_normal((200, 500)).astype("float32")
    layer = L.AlphaDropout(0.3, seed=1337)
    y = layer(x, training=True).data
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    np.testing.assert_array_equal(layer(x).data, x)
    # Dropped units all take the same value, a * (-alpha * scale) + b.
    rate, alpha_p = 0.3, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p + (-a * alpha_p * rate), atol=1e-5)
    assert abs(dropped.mean() - rate) < 0.01


def test_alpha_dropout_gradient_is_the_scale_on_kept_units():
    x = Tensor(np.full((40, 30), 3.0, "float32"), requires_grad=True)
    layer = L.AlphaDropout(0.5, noise_shape=(None, 1), seed=2)
    y = layer(x, training=True)
    y.sum().backward()
    a = ((0.5) * (1 + 0.5 * (1.6732632423543772 * 1.0507009873554805) ** 2)) ** -0.5
    kept = y.data[:, :1] > 0  # input 3 stays positive when kept; dropped units go negative
    np.testing.assert_allclose(x.grad, np.broadcast_to(np.where(kept, a, 0.0), x.shape),
                               rtol=1e-6)
    np.testing.assert_array_equal(y.data, np.broadcast_to(y.data[:, :1], y.shape))


@pytest.mark.parametrize("make, shape, first", [
    (lambda: L.SpatialDropout1D(0.5, seed=0), (8, 5, 6), False),
    (lambda: L.SpatialDropout2D(0.5, seed=0), (8, 3, 3, 6), False),
    (lambda: L.SpatialDropout3D(0.5, seed=0), (8, 3, 3, 3, 6), False),
    (lambda: L.SpatialDropout3D(0.5, data_format="channels_first", seed=0), (8, 6, 3, 3, 3),
     True),
])
def test_spatial_dropout_drops_whole_channels(make, shape, first):
    layer = make()
    assert layer.built  # no state to create: built at once, as in Keras
    x = np.ones(shape, "float32")
    y = layer(x, training=True).data
    corner = y[(slice(None), slice(None)) + (slice(0, 1),) * (len(shape) - 2)] if first else \
        y[(slice(None),) + (slice(0, 1),) * (len(shape) - 2)]
    np.testing.assert_array_equal(y, np.broadcast_to(corner, shape))
    assert set(np.unique(y).tolist()) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer(x).data, x)
    with pytest.raises(ValueError, match=f"expected ndim={len(shape)}"):
        layer(np.ones(shape[:-1], "float32"))


def test_spatial_dropout3d_check_layer_and_config():
    layer = check_layer(lambda: L.SpatialDropout3D(0.3, seed=1), (2, 3, 3, 3, 4),
                        (2, 3, 3, 3, 4), 0)
    config = layer.get_config()
    assert config["data_format"] == "channels_last" and "noise_shape" not in config


@pytest.mark.parametrize("make", [
    lambda: L.GaussianNoise(0.5, seed=1),
    lambda: L.GaussianDropout(0.3, seed=1),
    lambda: L.ActivityRegularization(l1=0.01, l2=0.02),
    lambda: L.AlphaDropout(0.2, seed=1),
])
def test_noise_and_activity_layers(make):
    check_layer(make, (4, 5), (4, 5), 0)


def test_gaussian_noise_only_in_training_and_seeded():
    x = np.zeros((500, 4), dtype="float32")
    a = L.GaussianNoise(0.5, seed=3)(x, training=True).data
    b = L.GaussianNoise(0.5, seed=3)(x, training=True).data
    np.testing.assert_array_equal(a, b)
    assert abs(a.std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="`stddev`. Expected a float value between 0 and 1"):
        L.GaussianNoise(-1.0)


def test_gaussian_dropout_noise_statistics():
    y = L.GaussianDropout(0.2, seed=0)(np.ones((300, 300), "float32"), training=True).data
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.std() - 0.5) < 0.01  # sqrt(0.2 / 0.8)


def test_activity_regularization_penalty():
    layer = L.ActivityRegularization(l2=0.5)
    layer(np.full((2, 3), 2.0, dtype="float32"))
    (penalty,) = layer.losses
    assert float(penalty.data) == pytest.approx(0.5 * 4.0 * 6 / 2)
