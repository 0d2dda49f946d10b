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


# ----- masks, renormalization, manual builds --------------------------------------------------
def test_masked_batch_statistics_ignore_padded_steps():
    # The contract issue's example (Keras's test_bachnorm_ignore_masked_values): numdeep gave
    # moving means [0.75, 2.5] by averaging the padding in.
    padded = np.array([[[1, 5], [2, 5], [0, 0], [0, 0]]] * 10, dtype="float32")
    inputs = nd.Input((None, 2))
    bn = L.BatchNormalization(momentum=0.0)
    model = nd.Model(inputs, bn(L.Masking(mask_value=0.0)(inputs)))
    model.compile("rmsprop", loss="mse")
    model.fit(padded, padded, batch_size=10, epochs=2, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.data, [1.5, 5.0], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.data, [0.25, 0.0], atol=1e-6)


def test_masked_batch_norm_normalizes_every_position_with_the_kept_statistics():
    x = np.random.default_rng(0).standard_normal((3, 4, 2)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]], dtype=bool)
    bn = L.BatchNormalization(momentum=0.0, center=False, scale=False)
    y = bn(x, training=True, mask=mask).data
    kept = x[mask]
    np.testing.assert_allclose(y, (x - kept.mean(0)) / np.sqrt(kept.var(0) + 1e-3), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(bn.moving_mean.data, kept.mean(0), rtol=1e-5)
    # A fully masked batch gives zeros for zero inputs (no NaN), as in Keras.
    zeros = L.BatchNormalization(center=False, scale=False)
    np.testing.assert_array_equal(zeros(np.zeros((4, 5)), mask=np.zeros(4), training=True).data,
                                  0)
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        bn(x, training=True, mask=np.ones((3, 4, 2)))


def test_masked_batch_norm_gradcheck_float64():
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal((3, 4, 2)), rng.random((3, 4)) > 0.4
    bn = L.BatchNormalization(dtype="float64")
    bn(x)

    def fn(x, g, b):
        old = bn.gamma, bn.beta, bn.moving_mean.data.copy(), bn.moving_variance.data.copy()
        bn.gamma, bn.beta = g, b
        try:
            return bn.call(x, training=True, mask=mask)
        finally:
            bn.gamma, bn.beta = old[0], old[1]
            bn.moving_mean.data[...], bn.moving_variance.data[...] = old[2], old[3]

    assert gradcheck(fn, [x, rng.standard_normal(2), rng.standard_normal(2)])


def test_manual_build_then_set_weights_keeps_the_weights():
    bn = L.BatchNormalization()
    bn.build((None, 2))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, 2.0]),
                    np.array([4.0, 1.0])])
    x = np.array([[1.0, 2.0], [3.0, 6.0]], dtype="float32")
    expected = (x - [1.0, 2.0]) / np.sqrt(np.array([4.0, 1.0]) + 1e-3) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-6)
    np.testing.assert_array_equal(bn.gamma.data, [2.0, 1.0])


def test_renorm_corrects_with_the_renorm_statistics():
    bn = L.BatchNormalization(epsilon=1e-3, momentum=0.9, renorm=True, renorm_momentum=0.8,
                              moving_variance_initializer=nd.initializers.Constant(4.0))
    bn.build((None, 3))
    assert [w.name for w in bn.non_trainable_weights] == [
        "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    np.testing.assert_allclose(bn.moving_stddev.data, 2.0)
    rng = np.random.default_rng(0)
    renorm_mean, renorm_std = rng.normal(size=3), np.abs(rng.normal(1.0, 0.5, 3))
    gamma, beta = rng.normal(1.0, 0.1, 3), rng.normal(0.0, 0.1, 3)
    for w, v in ((bn.renorm_mean, renorm_mean), (bn.renorm_stddev, renorm_std),
                 (bn.gamma, gamma), (bn.beta, beta)):
        w.assign(v)
    x = np.array([[4.0, 6.0, 2.0], [8.0, -2.0, 5.0], [6.0, 4.0, 3.0]], dtype="float32")
    mean, std = x.mean(0), np.sqrt(x.var(0) + 1e-3)
    r, d = std / renorm_std, (mean - renorm_mean) / renorm_std
    expected = ((x - mean) / std * r + d) * gamma + beta
    np.testing.assert_allclose(bn(x, training=True).data, expected, atol=1e-5)
    np.testing.assert_allclose(bn.renorm_mean.data, renorm_mean * 0.8 + mean * 0.2, atol=1e-6)
    np.testing.assert_allclose(bn.renorm_stddev.data, renorm_std * 0.8 + std * 0.2, atol=1e-6)
    moving_std = 2.0 * 0.9 + std * 0.1
    np.testing.assert_allclose(bn.moving_stddev.data, moving_std, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.data, moving_std ** 2 - 1e-3, atol=1e-5)
    clipped = L.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 1.0,
                                                                 "dmax": 0.0})
    y = clipped(x, training=True).data  # r = 1, d = 0: plain batch normalization
    np.testing.assert_allclose(y, (x - mean) / std, atol=1e-5)
    with pytest.raises(ValueError, match="Received invalid keys"):
        L.BatchNormalization(renorm=True, renorm_clipping={"random_key": 1.0})
    config = L.BatchNormalization(renorm=True, renorm_clipping={"dmax": 5.0}).get_config()
    assert config["renorm_clipping"] == {"dmax": 5.0}
    assert L.BatchNormalization.from_config(config).get_config() == config


def test_renorm_gradients_reach_gamma_and_beta():
    # r and d are constants (Keras's stop_gradient), so only gamma's and beta's gradients have a
    # finite-difference counterpart.
    rng = np.random.default_rng(0)
    bn = L.BatchNormalization(renorm=True, dtype="float64")
    x = rng.standard_normal((6, 2))
    bn(x)
    bn.renorm_stddev.assign([2.0, 0.5])

    def fn(g, b):
        old = bn.gamma, bn.beta, [w.data.copy() for w in bn.non_trainable_weights]
        bn.gamma, bn.beta = g, b
        try:
            return bn.call(x, training=True)
        finally:
            bn.gamma, bn.beta = old[0], old[1]
            for w, v in zip(bn.non_trainable_weights, old[2]):
                w.data[...] = v

    assert gradcheck(fn, [rng.standard_normal(2), rng.standard_normal(2)])


def test_constraints_are_attached():
    bn = L.BatchNormalization(gamma_constraint="non_neg")
    bn.build((None, 3))
    assert isinstance(bn.gamma.constraint, nd.constraints.NonNeg) and bn.beta.constraint is None
    assert bn.get_config()["gamma_constraint"]["class_name"] == "NonNeg"
    with pytest.raises(ValueError, match="synchronized=True"):
        L.BatchNormalization(synchronized=True)
