"""Confusion-matrix metrics: counts at thresholds (direct and bucketed), precision and recall,
AUC (ROC, PR, PR-gain; pooled, multi-label, label weights) and the rate-at-rate metrics, against
NumPy references and Keras's documented values."""

import numpy as np
import pytest

from numdeep import metrics

RNG = np.random.default_rng(2)
Y = RNG.integers(0, 2, size=(40, 3))
S = RNG.uniform(size=(40, 3)).astype(np.float32)
W = RNG.uniform(0.5, 2.0, size=40)


def _counts(y, s, w, thresholds):
    w = np.broadcast_to(w[:, None], y.shape)
    rows = []
    for t in thresholds:
        pred, pos = s > t, y == 1
        rows.append([(w * (pred & pos)).sum(), (w * (pred & ~pos)).sum(),
                     (w * (~pred & ~pos)).sum(), (w * (~pred & pos)).sum()])
    return np.array(rows)  # columns tp, fp, tn, fn


@pytest.mark.parametrize("thresholds", [[0.15, 0.5, 0.85], [0.0, 0.25, 0.5, 0.75, 1.0]],
                         ids=["direct", "bucketed"])
def test_counts_at_thresholds_match_numpy(thresholds):
    ref = _counts(Y, S, W, thresholds)
    for j, cls in enumerate((metrics.TruePositives, metrics.FalsePositives,
                             metrics.TrueNegatives, metrics.FalseNegatives)):
        m = cls(thresholds=thresholds)
        m.update_state(Y[:25], S[:25], sample_weight=W[:25])
        m.update_state(Y[25:], S[25:], sample_weight=W[25:])
        np.testing.assert_allclose(m.result().numpy(), ref[:, j], rtol=1e-5)
    assert float(metrics.TruePositives()(Y, S)) == (S > 0.5)[Y == 1].sum()
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]. "
                                         r"Received: \[-1, 2\]"):
        metrics.FalsePositives(thresholds=[-1, 0.5, 2])


def test_precision_recall_thresholds_top_k_and_class_id():
    for t in (0.2, 0.5, 0.8):
        pred = S > t
        tp = (pred & (Y == 1)).sum()
        assert float(metrics.Precision(thresholds=t)(Y, S)) == pytest.approx(tp / pred.sum())
        assert float(metrics.Recall(thresholds=t)(Y, S)) == pytest.approx(tp / (Y == 1).sum())
    got = metrics.Precision(thresholds=[0.8, 0.2])(Y, S).numpy()
    assert got[0] == pytest.approx(float(metrics.Precision(0.8)(Y, S)))
    c = 1
    ref = ((S[:, c] > 0.5) & (Y[:, c] == 1)).sum() / (Y[:, c] == 1).sum()
    assert float(metrics.Recall(class_id=c)(Y, S)) == pytest.approx(ref)
    top1 = S == S.max(-1, keepdims=True)
    ref = (top1 & (Y == 1)).sum() / top1.sum()
    assert float(metrics.Precision(top_k=1)(Y, S)) == pytest.approx(ref)
    with pytest.raises(ValueError, match=r"When class_id is provided, y_pred must be a 2D array"):
        metrics.Precision(class_id=2)(Y[:, 0], S[:, 0])
    m = metrics.Precision(name="p", thresholds=[0.4, 0.9], top_k=15, class_id=12)
    assert [v.name for v in m.variables] == ["true_positives", "false_positives"]
    assert m.thresholds == [0.4, 0.9] and m.get_config()["top_k"] == 15


def _rank_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (len(pos) * len(neg))


def _average_precision(y, s):
    order = np.argsort(-s, kind="stable")
    y = y[order]
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    return (precision * y).sum() / y.sum()


def test_auc_close_to_exact_rank_auc_and_average_precision():
    n = 2000
    y = RNG.integers(0, 2, n)
    for noise in (0.3, 1.0, 3.0):
        score = 1 / (1 + np.exp(-(2 * y - 1 + noise * RNG.normal(size=n))))
        m = metrics.AUC()
        for chunk in np.array_split(np.arange(n), 7):
            m.update_state(y[chunk], score[chunk])
        assert float(m.result()) == pytest.approx(_rank_auc(y, score), abs=1e-2)
        pr = float(metrics.AUC(curve="PR")(y, score))
        assert pr == pytest.approx(_average_precision(y.astype(float), score), abs=2e-2)
    lo = float(metrics.AUC(summation_method="minoring")(y, score))
    hi = float(metrics.AUC(summation_method="majoring")(y, score))
    assert lo <= _rank_auc(y, score) + 1e-6 and hi >= _rank_auc(y, score) - 1e-6


# Keras's documented AUC example: thresholds [-eps, 0.5, 1 + eps].
AUC_TRUE, AUC_PRED, AUC_W = np.array([0, 0, 1, 1]), np.array([0, 0.5, 0.3, 0.9]), [1, 2, 3, 4]


@pytest.mark.parametrize("kwargs, weights, expected", [
    ({}, None, 0.75),
    ({}, AUC_W, 1.0 - 3 / 7 * 0.5),
    ({"summation_method": "majoring"}, AUC_W, 1.0),
    ({"summation_method": "minoring"}, AUC_W, 4 / 7),
    ({"curve": "PR", "summation_method": "majoring"}, AUC_W, 1.0),
    ({"curve": "PR", "summation_method": "minoring"}, AUC_W, 0.7 * 3 / 7),
    # Interpolated PR: precision slope 0.5, intercept 2 between the first two thresholds.
    ({"curve": "PR"}, AUC_W, (0.5 * (3 + 2 * np.log(2.5)) + 4) / 7),
    ({"curve": "PRGAIN", "summation_method": "majoring"}, AUC_W, 1.0),
    ({"curve": "PRGAIN", "summation_method": "minoring"}, AUC_W, 0.0),
    ({"curve": "PRGAIN"}, AUC_W, 0.5),
])
def test_auc_keras_worked_examples(kwargs, weights, expected):
    m = metrics.AUC(num_thresholds=3, **kwargs)
    assert float(m(AUC_TRUE, AUC_PRED, sample_weight=weights)) == pytest.approx(expected,
                                                                                 abs=1e-6)


def test_auc_multi_label_and_label_weights():
    ys = RNG.integers(0, 2, (400, 3))
    ss = ys + RNG.normal(size=(400, 3))
    per = [_rank_auc(ys[:, j], ss[:, j]) for j in range(3)]
    m = metrics.AUC(multi_label=True, from_logits=True)
    assert float(m(ys, ss)) == pytest.approx(np.mean(per), abs=1e-2)
    assert m.true_positives.shape == (200, 3)
    lw = np.array([0.5, 0.25, 0.25])
    got = float(metrics.AUC(multi_label=True, from_logits=True, label_weights=lw)(ys, ss))
    assert got == pytest.approx((np.array(per) * lw).sum(), abs=1e-2)
    m.reset_state()
    assert m.true_positives.numpy().sum() == 0.0


def test_pooled_auc_weights_each_column_by_its_label_weight():
    # The contract issue's defect: multi_label=False ignored label_weights. Pooled counts weigh
    # every entry of column j by label_weights[j], as Keras does.
    y = np.array([[0, 0], [0, 0], [1, 1], [1, 1]])
    s = np.array([[0.0, 0.1], [0.5, 0.2], [0.3, 0.3], [0.9, 0.4]], dtype=np.float32)
    lw = [0.75, 0.25]
    got = float(metrics.AUC(num_thresholds=5, label_weights=lw)(y, s))
    assert got == pytest.approx(1.0 - (1.0 - 0.375) * 0.375 / 2.0, abs=1e-6)
    repeated = float(metrics.AUC(num_thresholds=5)(np.repeat(y, [3, 1], axis=1)[:, :4],
                                                   np.repeat(s, [3, 1], axis=1)[:, :4]))
    assert got == pytest.approx(repeated, abs=1e-6)  # weight 3:1 == the column seen 3:1 times
    assert got != pytest.approx(float(metrics.AUC(num_thresholds=5)(y, s)), abs=1e-3)


def test_auc_arguments_and_config():
    with pytest.raises(ValueError, match='Invalid AUC curve value: "XY"'):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match='Invalid AUC summation method value: "sum"'):
        metrics.AUC(summation_method="sum")
    with pytest.raises(ValueError, match=r"`num_thresholds` must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="`num_labels` is needed only when"):
        metrics.AUC(num_labels=3)
    m = metrics.AUC(thresholds=[0.5, 0.25], curve="pr", summation_method="Majoring")
    assert m.num_thresholds == 4 and m.curve == metrics.AUCCurve.PR
    np.testing.assert_allclose(m.thresholds, [0.0, 0.25, 0.5, 1.0], atol=1e-6)
    config = m.get_config()
    assert config["curve"] == "PR" and config["thresholds"] == [0.25, 0.5]
    assert metrics.AUC.from_config(config).get_config() == config


def _best_rate(y, s, value, constrained, dependent, num_thresholds=200):
    thresholds = [0.0] + [(i + 1) / (num_thresholds - 1)
                          for i in range(num_thresholds - 2)] + [1.0]
    best = 0.0
    for t in thresholds:
        pred = s > t
        tp, fp = (pred & (y == 1)).sum(), (pred & (y == 0)).sum()
        tn, fn = (~pred & (y == 0)).sum(), (~pred & (y == 1)).sum()
        rates = {"sens": tp / max(tp + fn, 1), "spec": tn / max(tn + fp, 1),
                 "prec": tp / max(tp + fp, 1)}
        if rates[constrained] >= value:
            best = max(best, rates[dependent])
    return best


@pytest.mark.parametrize("cls, value, constrained, dependent", [
    (metrics.SensitivityAtSpecificity, 0.7, "spec", "sens"),
    (metrics.SpecificityAtSensitivity, 0.6, "sens", "spec"),
    (metrics.PrecisionAtRecall, 0.5, "sens", "prec"),
    (metrics.RecallAtPrecision, 0.75, "prec", "sens"),
])
def test_rate_at_rate_metrics_match_a_threshold_sweep(cls, value, constrained, dependent):
    y = RNG.integers(0, 2, 300)
    s = np.clip(0.5 * y + 0.6 * RNG.uniform(size=300), 0, 1).round(3).astype(np.float32)
    expected = _best_rate(y, s, value, constrained, dependent)
    assert float(cls(value)(y, s)) == pytest.approx(expected, abs=1e-6)
    m = cls(value, num_thresholds=100, class_id=1, name="x")
    assert len(m.variables) == 4 and m.get_config()["num_thresholds"] == 100
    with pytest.raises(ValueError, match=r"must be in the range \[0, 1\]"):
        cls(1.5)
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 0"):
        cls(value, num_thresholds=0)
