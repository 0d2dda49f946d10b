import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import gradcheck
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape, n_weights",
    [
        (lambda: L.Dense(4), (3, 5), (3, 4), 2),
        (lambda: L.Dense(4, use_bias=False, activation="tanh"), (3, 5), (3, 4), 1),
        (lambda: L.Dense(2, kernel_regularizer="l2", activity_regularizer="l1"), (2, 3, 5),
         (2, 3, 2), 2),
        (lambda: L.Activation("relu"), (3, 5), (3, 5), 0),
        (lambda: L.Flatten(), (2, 3, 4), (2, 12), 0),
        (lambda: L.Reshape((2, -1)), (2, 12), (2, 2, 6), 0),
        (lambda: L.Dropout(0.3, seed=1), (4, 5), (4, 5), 0),
        (lambda: L.LeakyReLU(), (3, 5), (3, 5), 0),
        (lambda: L.ReLU(max_value=1.0), (3, 5), (3, 5), 0),
        (lambda: L.ELU(), (3, 5), (3, 5), 0),
        (lambda: L.Softmax(), (3, 5), (3, 5), 0),
        (lambda: L.Rescaling(0.5, offset=1.0), (3, 5), (3, 5), 0),
        (lambda: L.Normalization(mean=[0.0] * 5, variance=[4.0] * 5), (3, 5), (3, 5), 2),
        (lambda: L.Identity(), (3, 5), (3, 5), 0),
    ],
)
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


def test_dense_gradcheck_float64():
    layer = L.Dense(3, activation="tanh", dtype="float64")
    x = nd.Tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    layer(x)
    assert gradcheck(lambda x, k, b: layer.activation(x @ k + b), [x, layer.kernel, layer.bias])


def test_dense_matches_manual_neuron_math():
    layer = L.Dense(2, activation="sigmoid")
    x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    y = layer(x).data
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-(x @ w + b))), rtol=1e-6)


def test_dense_rejects_bad_units_and_wrong_input():
    with pytest.raises(ValueError, match="units"):
        L.Dense(0)
    layer = L.Dense(2)
    layer(np.zeros((1, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"layer 'dense.*expected axis -1.*value 3.*\(1, 4\)"):
        layer(np.zeros((1, 4), dtype="float32"))


def test_dropout_is_identity_at_inference_and_scaled_in_training():
    layer = L.Dropout(0.25, seed=3)
    x = np.ones((1000, 10), dtype="float32")
    np.testing.assert_array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="rate"):
        L.Dropout(1.0)


def test_dropout_seeded_masks_reproducible():
    x = np.ones((4, 8), dtype="float32")
    a = L.Dropout(0.5, seed=7)(x, training=True).data
    b = L.Dropout(0.5, seed=7)(x, training=True).data
    np.testing.assert_array_equal(a, b)


def test_activity_regularizer_adds_loss():
    layer = L.Dense(2, activity_regularizer=nd.regularizers.L1(0.1), kernel_initializer="ones")
    layer(np.ones((4, 3), dtype="float32"))
    (penalty,) = layer.losses
    # Keras divides the activity penalty by the batch size.
    assert float(penalty.data) == pytest.approx(0.1 * 4 * 2 * 3 / 4)


def test_reshape_rejects_incompatible_target():
    with pytest.raises(ValueError, match="cannot reshape"):
        L.Reshape((5,))(np.zeros((2, 12), dtype="float32"))


def test_normalization_adapt_standardises():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4)).astype("float32")
    norm = L.Normalization()
    norm.adapt(data)
    out = norm(data).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-3)
    assert [w.name for w in norm.non_trainable_weights] == ["mean", "variance"]


def test_unknown_layer_kwarg_is_a_clear_error():
    with pytest.raises(TypeError, match="unexpected keyword.*unitz"):
        L.Dense(3, unitz=4)


def test_trainable_false_freezes_weights():
    layer = L.Dense(2)
    layer(np.zeros((1, 3), dtype="float32"))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize("make", [
    lambda: L.GaussianNoise(0.5, seed=1),
    lambda: L.GaussianDropout(0.3, seed=1),
    lambda: L.ActivityRegularization(l1=0.01, l2=0.02),
])
def test_noise_and_activity_layers(make):
    check_layer(make, (4, 5), (4, 5), 0)


def test_gaussian_noise_only_in_training_and_seeded():
    x = np.zeros((500, 4), dtype="float32")
    a = L.GaussianNoise(0.5, seed=3)(x, training=True).data
    b = L.GaussianNoise(0.5, seed=3)(x, training=True).data
    np.testing.assert_array_equal(a, b)
    assert abs(a.std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="stddev"):
        L.GaussianNoise(-1.0)


def test_activity_regularization_penalty():
    layer = L.ActivityRegularization(l2=0.5)
    layer(np.full((2, 3), 2.0, dtype="float32"))
    (penalty,) = layer.losses
    assert float(penalty.data) == pytest.approx(0.5 * 4.0 * 6 / 2)
