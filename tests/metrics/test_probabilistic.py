"""Probabilistic and hinge metrics: the running mean of the loss function of the same name,
Keras's numbers, and ``ignore_class`` as Keras applies it."""

import numpy as np
import pytest

from numdeep import losses, metrics

RNG = np.random.default_rng(4)
T_BIN = RNG.integers(0, 2, (12, 3))
P_UNIT = RNG.uniform(0.05, 0.95, (12, 3))
IDS = RNG.integers(0, 3, 12)
W = RNG.uniform(0.5, 2.0, 12)

PAIRS = [
    (metrics.BinaryCrossentropy(), losses.binary_crossentropy, T_BIN, P_UNIT),
    (metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
     lambda t, p: losses.binary_crossentropy(t, p, from_logits=True, label_smoothing=0.2),
     T_BIN, P_UNIT * 4 - 2),
    (metrics.CategoricalCrossentropy(), losses.categorical_crossentropy, np.eye(3)[IDS], P_UNIT),
    (metrics.SparseCategoricalCrossentropy(from_logits=True),
     lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=True), IDS, P_UNIT),
    (metrics.KLDivergence(), losses.kl_divergence, P_UNIT[:, ::-1], P_UNIT),
    (metrics.Poisson(), losses.poisson, T_BIN, P_UNIT),
    (metrics.Hinge(), losses.hinge, T_BIN, P_UNIT * 2 - 1),
    (metrics.SquaredHinge(), losses.squared_hinge, T_BIN, P_UNIT * 2 - 1),
    (metrics.CategoricalHinge(), losses.categorical_hinge, np.eye(3)[IDS], P_UNIT),
]


@pytest.mark.parametrize("metric, fn, y_true, y_pred", PAIRS, ids=lambda x: getattr(x, "name", ""))
def test_metric_is_the_weighted_mean_of_its_loss_function(metric, fn, y_true, y_pred):
    per = fn(y_true, y_pred.astype(np.float32)).data
    metric.update_state(y_true[:5], y_pred[:5], sample_weight=W[:5])
    metric.update_state(y_true[5:], y_pred[5:], sample_weight=W[5:])
    assert float(metric.result()) == pytest.approx((per * W).sum() / W.sum(), rel=1e-5)


def test_keras_values():
    y, p = np.array([[0, 1, 0], [0, 0, 1]]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    w = np.array([1.5, 2.0])
    assert float(metrics.CategoricalCrossentropy()(y, p, sample_weight=w)) == pytest.approx(
        1.338, abs=1e-3)
    logits = np.array([[1, 9, 0], [1, 8, 1]], dtype=np.float32)
    assert float(metrics.SparseCategoricalCrossentropy(from_logits=True)(
        np.array([1, 2]), logits, sample_weight=w)) == pytest.approx(4.0012, abs=1e-3)
    hinge_true = np.array([[-1, 1, -1, 1], [-1, -1, 1, 1]])
    hinge_pred = np.array([[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]])
    assert float(metrics.Hinge()(hinge_true, hinge_pred, sample_weight=w)) == pytest.approx(
        0.493, abs=1e-3)


def test_ignore_class_reweights_only_with_sample_weights_as_in_keras():
    y = np.array([0, 1, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    per = -np.log([0.95, 0.1])
    m = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    assert float(m(y, p)) == pytest.approx(per.sum() / 3, rel=1e-5)  # every entry counted
    m = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    w = np.array([0.5, 1.5, 2.0])
    assert float(m(y, p, sample_weight=w)) == pytest.approx((per * w[1:]).sum() / 3.5, rel=1e-5)


def test_configs_follow_keras():
    assert metrics.BinaryCrossentropy(name="bce", label_smoothing=0.2).get_config() == {
        "name": "bce", "dtype": "float32", "from_logits": False, "label_smoothing": 0.2}
    assert metrics.SparseCategoricalCrossentropy(ignore_class=3).get_config()["axis"] == -1
    assert metrics.Hinge(dtype="int32").get_config() == {"name": "hinge", "dtype": "int32"}
    assert metrics.CosineSimilarity(axis=1).get_config() == {"name": "cosine_similarity",
                                                             "dtype": "float32"}
