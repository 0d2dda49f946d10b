"""F-scores and intersection-over-union metrics against NumPy references (per class, micro,
macro, weighted; ignored and out-of-range labels; weights)."""

import numpy as np
import pytest

from numdeep import metrics

RNG = np.random.default_rng(3)


def _fbeta_counts(y, s, threshold, w):
    pred = s > threshold if threshold is not None else \
        (s >= s.max(-1, keepdims=True)) & (np.abs(s) > 1e-9)
    pred = pred.astype(float)
    w = w[:, None]
    return ((pred * y * w).sum(0), (pred * (1 - y) * w).sum(0), ((1 - pred) * y * w).sum(0),
            (y * w).sum(0))


def _fbeta(tp, fp, fn, beta, eps=1e-7):
    p, r = tp / (tp + fp + eps), tp / (tp + fn + eps)
    return (1 + beta**2) * p * r / (beta**2 * p + r + eps)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_fbeta_matches_numpy(average, threshold):
    y = RNG.integers(0, 2, (30, 4)).astype(float)
    s = RNG.uniform(size=(30, 4))
    w = RNG.uniform(0.5, 2, 30)
    beta = 2.0
    m = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    m.update_state(y[:12], s[:12], sample_weight=w[:12])
    m.update_state(y[12:], s[12:], sample_weight=w[12:])
    tp, fp, fn, support = _fbeta_counts(y, s, threshold, w)
    if average == "micro":
        expected = _fbeta(tp.sum(), fp.sum(), fn.sum(), beta)
    else:
        expected = _fbeta(tp, fp, fn, beta)
        if average == "macro":
            expected = expected.mean()
        elif average == "weighted":
            expected = (expected * support / support.sum()).sum()
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)


def test_f1_is_fbeta_with_beta_one_and_argument_checks():
    y = RNG.integers(0, 2, (10, 3))
    s = RNG.uniform(size=(10, 3))
    np.testing.assert_allclose(metrics.F1Score(average="macro")(y, s).numpy(),
                               metrics.FBetaScore(average="macro", beta=1.0)(y, s).numpy())
    assert "beta" not in metrics.F1Score().get_config()
    with pytest.raises(ValueError, match="Invalid `average` argument value"):
        metrics.FBetaScore(average="samples")
    with pytest.raises(ValueError, match="It should be a Python float"):
        metrics.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="0 < threshold <= 1"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match=r"FBetaScore expects 2D inputs"):
        metrics.F1Score()(y[:, 0], s[:, 0])


def _confusion(t, p, n, w=None):
    cm = np.zeros((n, n))
    w = np.ones(len(t)) if w is None else w
    for a, b, c in zip(t, p, w):
        if 0 <= a < n and 0 <= b < n:
            cm[a, b] += c
    return cm


def _mean_iou(cm, ids):
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    valid = denom[ids] > 0
    return (tp[ids][valid] / denom[ids][valid]).sum() / max(valid.sum(), 1)


def test_iou_family_matches_numpy():
    t, p = RNG.integers(0, 4, 200), RNG.integers(-1, 5, 200)  # some predictions out of range
    cm = _confusion(t, p, 4)
    m = metrics.MeanIoU(num_classes=4)
    m.update_state(t[:80], p[:80])
    m.update_state(t[80:], p[80:])
    np.testing.assert_array_equal(m.total_cm.numpy(), cm)
    assert float(m.result()) == pytest.approx(_mean_iou(cm, [0, 1, 2, 3]), rel=1e-5)
    iou = metrics.IoU(num_classes=4, target_class_ids=[1, 3])
    assert float(iou(t, p)) == pytest.approx(_mean_iou(cm, [1, 3]), rel=1e-5)
    w = RNG.uniform(size=200)
    weighted = metrics.IoU(num_classes=4, target_class_ids=[0, 2], dtype="float32")
    assert float(weighted(t, p, sample_weight=w)) == pytest.approx(
        _mean_iou(_confusion(t, p, 4, w), [0, 2]), rel=1e-5)
    ignored = metrics.MeanIoU(num_classes=4, ignore_class=2)
    keep = t != 2
    assert float(ignored(t, p)) == pytest.approx(
        _mean_iou(_confusion(t[keep], p[keep], 4), [0, 1, 2, 3]), rel=1e-5)
    with pytest.raises(ValueError, match=r"Target class id 4 is out of range"):
        metrics.IoU(num_classes=4, target_class_ids=[4])


def test_binary_and_one_hot_iou():
    t = RNG.integers(0, 2, 50)
    s = RNG.uniform(size=50)
    ref = _mean_iou(_confusion(t, (s >= 0.3).astype(int), 2), [0, 1])
    assert float(metrics.BinaryIoU(threshold=0.3)(t, s)) == pytest.approx(ref, rel=1e-5)
    onehot, scores = np.eye(3)[RNG.integers(0, 3, 40)], RNG.uniform(size=(40, 3))
    cm = _confusion(onehot.argmax(-1), scores.argmax(-1), 3)
    assert float(metrics.OneHotMeanIoU(num_classes=3)(onehot, scores)) == pytest.approx(
        _mean_iou(cm, [0, 1, 2]), rel=1e-5)
    assert float(metrics.OneHotIoU(num_classes=3, target_class_ids=[2])(onehot, scores)) == \
        pytest.approx(_mean_iou(cm, [2]), rel=1e-5)
    assert metrics.BinaryIoU(target_class_ids=[1], threshold=0.1, name="b").get_config() == {
        "target_class_ids": [1], "threshold": 0.1, "name": "b", "dtype": "int32"}


def test_float_weights_on_integer_counts_warn():
    with pytest.warns(UserWarning, match=r"weight.*float.*int.*casting"):
        metrics.MeanIoU(num_classes=3)([0, 1], [0, 1], sample_weight=np.array([0.2, 0.3]))
