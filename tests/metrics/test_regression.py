"""Regression metrics, the reduction metrics and the correlations: NumPy references with sample
weights, accumulation over batches, and the coefficient of determination."""

import numpy as np
import pytest

from numdeep import metrics

RNG = np.random.default_rng(1)
Y = RNG.normal(size=(20, 3))
P = RNG.normal(size=(20, 3))
W = RNG.uniform(size=20)


def _weighted(per):
    return (per * W).sum() / W.sum()


PER_SAMPLE = [
    (metrics.MeanSquaredError, lambda t, p: ((t - p) ** 2).mean(-1)),
    (metrics.MeanAbsoluteError, lambda t, p: np.abs(t - p).mean(-1)),
    (metrics.MeanAbsolutePercentageError,
     lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), 1e-7)).mean(-1)),
    (metrics.MeanSquaredLogarithmicError,
     lambda t, p: ((np.log1p(np.maximum(p, 1e-7)) - np.log1p(np.maximum(t, 1e-7))) ** 2).mean(-1)),
    (metrics.LogCoshError, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    (metrics.CosineSimilarity, lambda t, p: (t * p).sum(-1) / (
        np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1))),
]


@pytest.mark.parametrize("cls, ref", PER_SAMPLE, ids=lambda c: getattr(c, "__name__", ""))
def test_weighted_means_match_numpy_over_batches(cls, ref):
    m = cls()
    m.update_state(Y[:8], P[:8], sample_weight=W[:8])
    m.update_state(Y[8:], P[8:], sample_weight=W[8:])
    np.testing.assert_allclose(float(m.result()), _weighted(ref(Y, P)), rtol=2e-5)
    assert float(cls()(Y, P)) == pytest.approx(ref(Y, P).mean(), rel=2e-5)


def test_root_mean_squared_error():
    per = ((Y - P) ** 2).mean(-1)
    assert float(metrics.RootMeanSquaredError()(Y, P)) == pytest.approx(np.sqrt(per.mean()),
                                                                        rel=1e-6)
    m = metrics.RootMeanSquaredError()
    m.update_state(Y, P, sample_weight=W)
    assert float(m.result()) == pytest.approx(np.sqrt(_weighted(per)), rel=1e-6)


def test_mean_and_sum_follow_keras_weighting():
    m = metrics.Mean()
    m.update_state([1.0, 3.0])
    m.update_state(np.array([[2.0, 4.0], [6.0, 8.0]]))  # per-sample means 3 and 7
    assert float(m.result()) == pytest.approx((1 + 3 + 3 + 7) / 4)
    m.reset_state()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1, 1], [1, 0]])
    assert float(m.result()) == pytest.approx(3.0)
    m.reset_state()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1, 0]])  # broadcast over rows
    assert float(m.result()) == pytest.approx(3.0)
    s = metrics.Sum()
    s.update_state([1.0, 2.0], sample_weight=[2.0, 0.5])
    s.update_state(np.ones((2, 3)))
    assert float(s.result()) == pytest.approx(9.0)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) cannot weight values "
                                         r"of shape \(2,\)"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 1.0, 1.0])


def _r2(t, p, w=None, aggregation="uniform_average"):
    w = np.ones(t.shape[0]) if w is None else w
    mean = (w[:, None] * t).sum(0) / w.sum()
    ss_tot = (w[:, None] * (t - mean) ** 2).sum(0)
    ss_res = (w[:, None] * (t - p) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    if aggregation == "uniform_average":
        return raw.mean()
    if aggregation == "variance_weighted_average":
        return (raw * ss_tot).sum() / ss_tot.sum()
    return raw


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
def test_r2_score_matches_numpy(aggregation):
    p = Y + 0.5 * P
    m = metrics.R2Score(class_aggregation=aggregation)
    m.update_state(Y[:10], p[:10], sample_weight=W[:10])
    m.update_state(Y[10:], p[10:], sample_weight=W[10:])
    np.testing.assert_allclose(m.result().numpy(), _r2(Y, p, W, aggregation), rtol=1e-4)


def test_adjusted_r2_and_argument_checks():
    p = Y + 0.5 * P
    n, k = Y.size, 2
    m = metrics.R2Score(num_regressors=k)
    expected = 1 - (1 - _r2(Y, p)) * (n - 1) / (n - k - 1)
    assert float(m(Y, p)) == pytest.approx(expected, rel=1e-4)
    with pytest.warns(UserWarning, match="More independent predictors than datapoints"):
        metrics.R2Score(num_regressors=10)(Y[:2, :1], p[:2, :1])
    with pytest.raises(ValueError, match="Invalid value for argument `class_aggregation`"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs"):
        metrics.R2Score()(Y[:, 0, None, None], P[:, 0, None, None])


def test_correlations_match_numpy():
    t, p = RNG.normal(size=(6, 5)), RNG.normal(size=(6, 5))
    pearson = [np.corrcoef(a, b)[0, 1] for a, b in zip(t, p)]
    np.testing.assert_allclose(metrics.pearson_correlation(t, p), pearson, rtol=1e-6)
    m = metrics.PearsonCorrelation()
    m.update_state(t[:3], p[:3])
    m.update_state(t[3:], p[3:])
    assert float(m.result()) == pytest.approx(np.mean(pearson), rel=1e-5)
    # Keras's concordance formula (it centres y_true on the prediction mean in the covariance).
    tm, pm = t.mean(-1, keepdims=True), p.mean(-1, keepdims=True)
    ccc = (2 * (t - pm) * (p - pm) / (t.var(-1, keepdims=True) + p.var(-1, keepdims=True)
                                      + (tm - pm) ** 2 + 1e-7)).mean(-1)
    np.testing.assert_allclose(metrics.concordance_correlation(t, p), ccc, rtol=1e-6)
    assert metrics.ConcordanceCorrelation(axis=-1).get_config() == {
        "name": "concordance_correlation", "dtype": "float32", "axis": -1}
