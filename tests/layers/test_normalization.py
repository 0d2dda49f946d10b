import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor, gradcheck
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, n_weights",
    [
        (lambda: L.BatchNormalization(), (4, 5), 4),
        (lambda: L.BatchNormalization(), (2, 4, 4, 3), 4),
        (lambda: L.BatchNormalization(axis=1), (2, 3, 4, 4), 4),
        (lambda: L.BatchNormalization(center=False), (4, 5), 3),
        (lambda: L.BatchNormalization(scale=False, gamma_regularizer="l2"), (4, 5), 3),
        (lambda: L.BatchNormalization(axis=[1, 2], momentum=0.9, epsilon=1e-5), (2, 3, 4), 4),
    ],
)
def test_check_layer(make, in_shape, n_weights):
    check_layer(make, in_shape, in_shape, n_weights)


def test_keras_weights_order_defaults_and_config():
    bn = L.BatchNormalization()
    bn(np.zeros((2, 3), "float32"))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert not bn.moving_mean.requires_grad and bn.count_params() == 12
    config = bn.get_config()
    assert (config["axis"], config["momentum"], config["epsilon"]) == (-1, 0.99, 1e-3)
    assert config["center"] and config["scale"]
    np.testing.assert_array_equal(bn.moving_variance.data, 1)


def test_training_uses_batch_stats_and_updates_moving_averages():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 3)) * [1.0, 2.0, 3.0] + [1.0, -2.0, 5.0]).astype("float32")
    bn = L.BatchNormalization(momentum=0.5)
    y = bn(x, training=True).data
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(0), x.var(0) / (x.var(0) + 1e-3), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.data, 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.data, 0.5 + 0.5 * x.var(0), rtol=1e-5)
    for _ in range(30):
        bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.data, x.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.data, x.var(0), rtol=1e-4)


def test_inference_uses_moving_statistics():
    bn = L.BatchNormalization(epsilon=1e-3)
    x = np.array([[1.0, 2.0], [3.0, 6.0]], dtype="float32")
    bn(x)
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, 2.0]),
                    np.array([4.0, 1.0])])
    expected = (x - [1.0, 2.0]) / np.sqrt(np.array([4.0, 1.0]) + 1e-3) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(bn(x, training=False).data, expected, rtol=1e-6)
    before = bn.get_weights()
    bn(x, training=False)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)  # inference never touches the statistics


def test_frozen_layer_runs_in_inference_mode_even_when_training():
    bn = L.BatchNormalization()
    x = np.random.default_rng(0).standard_normal((8, 2)).astype("float32") + 3
    bn(x)
    bn.trainable = False
    np.testing.assert_allclose(bn(x, training=True).data, bn(x, training=False).data)
    np.testing.assert_array_equal(bn.moving_mean.data, 0)
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_matches_torch_batchnorm2d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 5, 3)).astype("float32") * 2 + 1
    ours = L.BatchNormalization(momentum=0.9, epsilon=1e-5)
    theirs = torch.nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        theirs.bias.copy_(torch.tensor([0.0, -1.0, 1.0]))
    ours(x)
    ours.gamma.data[...] = [1.0, 2.0, 0.5]
    ours.beta.data[...] = [0.0, -1.0, 1.0]
    tx = torch.tensor(x).permute(0, 3, 1, 2)
    y = theirs.train()(tx).permute(0, 2, 3, 1).detach().numpy()
    np.testing.assert_allclose(ours(x, training=True).data, y, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.data, theirs.running_mean.numpy(), rtol=1e-5)
    # torch's running variance is unbiased (n / (n - 1)); Keras's (and ours) is biased.
    n = x.size // 3
    torch_var = 0.9 + 0.1 * x.var(axis=(0, 1, 2)) * n / (n - 1)
    np.testing.assert_allclose(theirs.running_var.numpy(), torch_var, rtol=1e-5)
    with torch.no_grad():
        theirs.running_var.copy_(torch.from_numpy(ours.moving_variance.data))
    y = theirs.eval()(tx).permute(0, 2, 3, 1).detach().numpy()
    np.testing.assert_allclose(ours(x, training=False).data, y, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_layer_gradcheck_float64(training):
    bn = L.BatchNormalization(axis=1, dtype="float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3))
    bn(x)
    bn.moving_variance.data[...] = [0.5, 2.0]

    def fn(x, g, b):
        old = bn.gamma, bn.beta, bn.moving_mean.data.copy(), bn.moving_variance.data.copy()
        bn.gamma, bn.beta = g, b
        try:
            return bn.call(x, training=training)
        finally:
            bn.gamma, bn.beta = old[0], old[1]
            bn.moving_mean.data[...], bn.moving_variance.data[...] = old[2], old[3]

    assert gradcheck(fn, [x, rng.standard_normal(2), rng.standard_normal(2)])


def test_training_a_small_cnn_with_batchnorm():
    nd.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    model = nd.Sequential([
        L.Conv2D(4, 3, padding="same", input_shape=(8, 8, 1)),
        L.BatchNormalization(),
        L.ReLU(),
        L.GlobalAveragePooling2D(),
        L.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.data, 0)  # updated by fit's training steps
    stats = [w.copy() for w in bn.get_weights()[2:]]
    model.predict(x, verbose=0)
    for a, b in zip(stats, bn.get_weights()[2:]):
        np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match="momentum"):
        L.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"'bn'.*axis 0"):
        L.BatchNormalization(axis=0, name="bn")(np.zeros((2, 3), "float32"))
    bn = L.BatchNormalization(name="bn2")
    bn(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"'bn2'.*axis 1.*value 3.*\(2, 4\)"):
        bn(np.zeros((2, 4), "float32"))
    assert isinstance(bn(Tensor(np.zeros((2, 3), "float64"))), Tensor)
