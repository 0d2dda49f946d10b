"""The ``Loss`` contract as Keras defines it: the dtype a loss computes in, padding masks, the
reductions, Keras's configs, the compile-time ``'crossentropy'`` and rank alignment."""

import numpy as np
import pytest

from numdeep import losses
from numdeep.autograd import Tensor


class Squared(losses.Loss):
    def call(self, y_true, y_pred):
        return (y_true - y_pred) ** 2


Y_TRUE = np.array([1.0, 0.0, 1.0, 0.0])
Y_PRED = np.array([0.1, 0.2, 0.3, 0.4])
MASK = np.array([True, False, True, True])


def test_a_loss_computes_in_its_dtype():
    out = Squared()(Y_TRUE, Y_PRED)  # float64 inputs, floatx loss, as in Keras
    assert out.dtype == np.float32 and Squared().dtype == "float32"
    assert Squared(dtype="float64")(Y_TRUE, Y_PRED.astype(np.float32)).dtype == np.float64
    # Integer labels reach a subclass's call in the loss's dtype too.
    assert Squared()(Y_TRUE.astype(np.int32), Y_PRED).dtype == np.float32
    with pytest.raises(AttributeError):
        Squared().dtype = "float16"


@pytest.mark.parametrize("uprank", ["none", "mask", "ys"])
def test_padding_mask_is_aligned_and_averaged_over_kept_entries(uprank):
    mask, y_true, y_pred = MASK, Y_TRUE, Y_PRED
    if uprank == "mask":
        mask = mask[:, None]
    elif uprank == "ys":
        y_true, y_pred = y_true[:, None], y_pred[:, None]
    w = np.array([0.4, 0.3, 0.2, 0.1])
    pred = Tensor(y_pred)
    pred._keras_mask = mask
    kept = MASK
    expected = (w[kept] * (Y_TRUE[kept] - Y_PRED[kept]) ** 2).sum() / kept.sum()
    np.testing.assert_allclose(Squared()(y_true, pred, sample_weight=w).item(), expected,
                               rtol=1e-6)
    pred._keras_mask = np.zeros(mask.shape, dtype=bool)
    assert Squared()(y_true, pred).item() == 0.0  # everything masked: 0, not NaN


def test_reductions_and_the_invalid_reduction_message():
    values = (Y_TRUE - Y_PRED) ** 2
    np.testing.assert_allclose(Squared(reduction=None)(Y_TRUE, Y_PRED).data, values, rtol=1e-6)
    np.testing.assert_allclose(Squared(reduction="sum")(Y_TRUE, Y_PRED).item(), values.sum(),
                               rtol=1e-6)
    np.testing.assert_allclose(Squared()(Y_TRUE, Y_PRED).item(), values.mean(), rtol=1e-6)
    assert Squared()(Y_TRUE, Y_PRED, sample_weight=np.zeros(4)).item() == 0.0
    with pytest.raises(ValueError, match="Squared: Invalid value for argument `reduction`"):
        Squared(reduction="abc")


def test_configs_are_keras_configs():
    assert losses.Huber(reduction="sum", name="huber").get_config() == {
        "name": "huber", "reduction": "sum"}  # Keras saves no delta
    assert losses.CosineSimilarity(axis=2, reduction="sum", name="cos").get_config() == {
        "name": "cos", "reduction": "sum"}
    assert losses.SparseCategoricalCrossentropy(ignore_class=0).get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": 0}
    bce = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    assert (bce.from_logits, bce.label_smoothing, bce.axis) == (True, 0.2, -1)
    assert "dtype" not in losses.MeanSquaredError(dtype="float64").get_config()


def test_crossentropy_picks_the_variant_from_the_shapes():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype=np.float32)
    ids = np.array([0, 2])
    loss = losses.resolve("crossentropy")
    assert loss.name == "crossentropy" and losses.resolve("ce").name == "ce"
    sparse = losses.sparse_categorical_crossentropy(ids, probs).data.mean()
    np.testing.assert_allclose(loss(ids, probs).item(), sparse, rtol=1e-6)
    np.testing.assert_allclose(loss(ids[:, None], probs).item(), sparse, rtol=1e-6)
    np.testing.assert_allclose(loss(np.eye(3)[ids], probs).item(), sparse, rtol=1e-6)
    binary = np.array([[0.8], [0.3]], dtype=np.float32)
    np.testing.assert_allclose(loss(np.array([1, 0]), binary).item(),
                               -np.log([0.8, 0.7]).mean(), rtol=1e-6)


def test_squeeze_or_expand_to_same_rank():
    a, b = losses.squeeze_or_expand_to_same_rank(np.ones((3,)), np.ones((3, 1)))
    assert a.shape == b.shape == (3, 1)
    a, b = losses.squeeze_or_expand_to_same_rank(np.ones((3, 2)), np.ones((3, 2, 1)))
    assert a.shape == b.shape == (3, 2)
    a, b = losses.squeeze_or_expand_to_same_rank(np.ones((3,)), np.ones((3, 1)),
                                                 expand_rank_1=False)
    assert a.shape == b.shape == (3,)
    a, b = losses.squeeze_or_expand_to_same_rank(np.ones((3, 2)), np.ones((3,)))
    assert a.shape == (3, 2) and b.shape == (3,)
