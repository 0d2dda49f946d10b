"""Tests for numdeep.metrics: values (hand, Keras docs, torch), accumulation, lookup."""

import numpy as np
import pytest

from numdeep import losses, metrics
from numdeep.autograd import Tensor

RNG = np.random.default_rng(0)


def _rank_auc(y, s):
    """Exact ROC AUC (Mann-Whitney U, ties counted half)."""
    pos, neg = s[y == 1], s[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (len(pos) * len(neg))


def _average_precision(y, s):
    order = np.argsort(-s, kind="stable")
    y = y[order]
    tp = np.cumsum(y)
    precision = tp / np.arange(1, len(y) + 1)
    return (precision * y).sum() / y.sum()


# ----- Keras documentation values ----------------------------------------------------------------
KERAS_DOC = [
    (metrics.BinaryAccuracy, {}, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
    (metrics.BinaryAccuracy, {}, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
     [1, 0, 0, 1], 0.5),
    (metrics.CategoricalAccuracy, {}, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (metrics.CategoricalAccuracy, {}, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.SparseCategoricalAccuracy, {}, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     None, 0.5),
    (metrics.SparseCategoricalAccuracy, {}, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.TopKCategoricalAccuracy, {"k": 1}, [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 1}, [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (metrics.Accuracy, {}, [[1], [2], [3], [4]], [[0], [2], [3], [4]], None, 0.75),
    (metrics.MeanSquaredError, {}, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.25),
    (metrics.MeanAbsoluteError, {}, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.5),
    (metrics.RootMeanSquaredError, {}, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.5),
    (metrics.RootMeanSquaredError, {}, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.70710677),
    (metrics.Precision, {}, [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
    (metrics.Precision, {}, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (metrics.Precision, {"top_k": 2}, [0, 0, 1, 1], [1, 1, 1, 1], None, 0.0),
    (metrics.Precision, {"top_k": 4}, [0, 0, 1, 1], [1, 1, 1, 1], None, 0.5),
    (metrics.Recall, {}, [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
    (metrics.Recall, {}, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (metrics.AUC, {"num_thresholds": 3}, [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
    (metrics.AUC, {"num_thresholds": 3}, [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
]


@pytest.mark.parametrize("cls, kwargs, y_true, y_pred, sample_weight, expected", KERAS_DOC,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(KERAS_DOC)])
def test_keras_documented_values(cls, kwargs, y_true, y_pred, sample_weight, expected):
    m = cls(**kwargs)
    m.update_state(np.array(y_true), np.array(y_pred, dtype=np.float32),
                   sample_weight=sample_weight)
    result = m.result()
    assert type(result) is float
    assert result == pytest.approx(expected, abs=1e-6)


# ----- accuracies --------------------------------------------------------------------------------
def test_accuracies_match_hand_computation_and_accumulate():
    m = metrics.SparseCategoricalAccuracy()
    total = hits = 0
    for n in (32, 32, 7):
        p = RNG.normal(size=(n, 10))
        y = RNG.integers(0, 10, n)
        m.update_state(y, p)
        hits += (p.argmax(-1) == y).sum()
        total += n
    assert m.result() == pytest.approx(hits / total)
    assert m.count == total
    m.reset_state()
    assert m.result() == 0.0
    m.update_state(np.array([1]), Tensor(np.array([[0.0, 1.0]])))  # Tensors are accepted
    assert m.result() == 1.0


def test_categorical_accuracy_against_torch():
    torch = pytest.importorskip("torch")
    p = RNG.normal(size=(50, 7)).astype(np.float32)
    y = RNG.integers(0, 7, 50)
    for k in (1, 3, 5):
        top = torch.topk(torch.tensor(p), k, dim=-1).indices.numpy()
        ref = (top == y[:, None]).any(-1).mean()
        assert metrics.SparseTopKCategoricalAccuracy(k=k)(y, p) == pytest.approx(ref)
        assert metrics.TopKCategoricalAccuracy(k=k)(np.eye(7)[y], p) == pytest.approx(ref)
    ref = (torch.tensor(p).argmax(-1).numpy() == y).mean()
    assert metrics.CategoricalAccuracy()(np.eye(7)[y], p) == pytest.approx(ref)


def test_top_k_ties_count_as_in_and_large_k():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    assert metrics.SparseTopKCategoricalAccuracy(k=1)(np.array([1, 2]), p) == 1.0
    assert metrics.SparseTopKCategoricalAccuracy(k=5)(np.array([0, 0]), p) == 1.0
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 3\)"):
        metrics.SparseTopKCategoricalAccuracy(k=2)(np.array([0, 3]), p)


def test_binary_accuracy_shapes_and_threshold():
    y = np.array([1, 0, 1, 1])
    p = np.array([[0.7], [0.2], [0.4], [0.9]])
    for yt, yp in ((y, p), (y[:, None], p), (y, p[:, 0]), (y[:, None], p[:, 0])):
        assert metrics.BinaryAccuracy()(yt, yp) == 0.75  # never an (N, N) comparison
    assert metrics.BinaryAccuracy(threshold=0.3)(y, p) == 1.0
    with pytest.raises(ValueError, match=r"BinaryAccuracy: y_true shape \(3,\) is incompatible"):
        metrics.BinaryAccuracy()(y[:3], p)


def test_label_format_errors():
    p = RNG.uniform(size=(4, 3))
    with pytest.raises(ValueError, match=r"CategoricalAccuracy expects one-hot.*\(4, 3\).*"
                                         r"sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy()(np.array([0, 1, 2, 0]), p)
    with pytest.raises(ValueError, match=r"SparseCategoricalAccuracy expects integer class ids "
                                         r"of shape \(4,\)"):
        metrics.SparseCategoricalAccuracy()(np.eye(3)[[0, 1, 2, 0]], p)


# ----- means and sample weights ------------------------------------------------------------------
def test_mean_and_sum_with_weights():
    m = metrics.Mean()
    m.update_state([1.0, 3.0])
    m.update_state(np.array([[2.0, 4.0], [6.0, 8.0]]))  # per-sample means 3 and 7
    assert m.result() == pytest.approx((1 + 3 + 3 + 7) / 4)
    m.reset_state()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[3.0, 0.0, 1.0])
    assert m.result() == pytest.approx(6.0 / 4.0)
    m.update_state(5.0)
    assert m.result() == pytest.approx(11.0 / 5.0)
    s = metrics.Sum()
    s.update_state([1.0, 2.0], sample_weight=[2.0, 0.5])
    s.update_state(np.ones((2, 3)))
    assert s.result() == pytest.approx(9.0)
    assert type(s.result()) is float


def test_weighted_regression_metrics_match_numpy():
    y, p = RNG.normal(size=(20, 3)), RNG.normal(size=(20, 3))
    w = RNG.uniform(size=20)
    per = ((y - p) ** 2).mean(-1)
    assert metrics.MeanSquaredError()(y, p, sample_weight=w) == pytest.approx(
        (per * w).sum() / w.sum())
    assert metrics.RootMeanSquaredError()(y, p) == pytest.approx(np.sqrt(per.mean()))
    mae = metrics.MeanAbsoluteError()
    mae.update_state(y[:10], p[:10])
    mae.update_state(y[10:], p[10:])
    assert mae.result() == pytest.approx(np.abs(y - p).mean())


# ----- precision / recall / AUC ------------------------------------------------------------------
def test_precision_recall_thresholds_and_class_id():
    y = RNG.integers(0, 2, size=(40, 3))
    p = RNG.uniform(size=(40, 3))
    for t in (0.2, 0.5, 0.8):
        pred = p > t
        tp = (pred & (y == 1)).sum()
        assert metrics.Precision(thresholds=t)(y, p) == pytest.approx(tp / pred.sum())
        assert metrics.Recall(thresholds=t)(y, p) == pytest.approx(tp / (y == 1).sum())
    got = metrics.Precision(thresholds=[0.8, 0.2])(y, p)
    assert isinstance(got, list) and got[0] == pytest.approx(metrics.Precision(0.8)(y, p))
    c = 1
    pred = p[:, c] > 0.5
    ref = (pred & (y[:, c] == 1)).sum() / (y[:, c] == 1).sum()
    assert metrics.Recall(class_id=c)(y, p) == pytest.approx(ref)
    top1 = p == p.max(-1, keepdims=True)
    ref = (top1 & (y == 1)).sum() / top1.sum()
    assert metrics.Precision(top_k=1)(y, p) == pytest.approx(ref)
    with pytest.raises(ValueError, match=r"threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=1.5)


def test_auc_close_to_exact_rank_auc():
    n = 2000
    y = RNG.integers(0, 2, n)
    for noise in (0.3, 1.0, 3.0):
        score = 1 / (1 + np.exp(-(2 * y - 1 + noise * RNG.normal(size=n))))
        m = metrics.AUC()
        for chunk in np.array_split(np.arange(n), 7):  # accumulation over batches
            m.update_state(y[chunk], score[chunk])
        assert m.result() == pytest.approx(_rank_auc(y, score), abs=1e-2)
        pr = metrics.AUC(curve="PR")(y, score)
        assert pr == pytest.approx(_average_precision(y.astype(float), score), abs=2e-2)
    separable = np.where(y == 1, 0.9, 0.1)
    assert metrics.AUC()(y, separable) == pytest.approx(1.0)
    assert metrics.AUC(curve="PR")(y, separable) == pytest.approx(1.0)


def test_auc_against_torch_free_reference_options():
    y = RNG.integers(0, 2, 500)
    logits = 2 * y - 1 + RNG.normal(size=500)
    exact = _rank_auc(y, logits)
    assert metrics.AUC(from_logits=True)(y, logits) == pytest.approx(exact, abs=1e-2)
    lo = metrics.AUC(summation_method="minoring")(y, 1 / (1 + np.exp(-logits)))
    hi = metrics.AUC(summation_method="majoring")(y, 1 / (1 + np.exp(-logits)))
    assert lo <= exact + 1e-9 and hi >= exact - 1e-9
    # multi-label: the mean of per-column AUCs.
    ys = RNG.integers(0, 2, (400, 3))
    ss = ys + RNG.normal(size=(400, 3))
    m = metrics.AUC(multi_label=True, from_logits=True)
    ref = np.mean([_rank_auc(ys[:, j], ss[:, j]) for j in range(3)])
    assert m(ys, ss) == pytest.approx(ref, abs=1e-2)
    # explicit thresholds, weights, reset
    m = metrics.AUC(thresholds=[0.25, 0.5, 0.75])
    assert m.num_thresholds == 5 and len(m.thresholds) == 5
    m.update_state([0, 1], [0.3, 0.9], sample_weight=[1.0, 2.0])
    assert m.result() == pytest.approx(1.0)
    m.reset_state()
    assert m.result() == 0.0
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")


# ----- lookup ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["accuracy", "acc"])
@pytest.mark.parametrize("loss, expected", [
    ("sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    (losses.SparseCategoricalCrossentropy(from_logits=True), "SparseCategoricalAccuracy"),
    ("categorical_crossentropy", "CategoricalAccuracy"),
    (losses.categorical_crossentropy, "CategoricalAccuracy"),
    ("binary_crossentropy", "BinaryAccuracy"),
    ("bce", "BinaryAccuracy"),
])
def test_accuracy_resolved_from_loss_keeps_typed_name(name, loss, expected):
    m = metrics.get(name, loss=loss)
    assert type(m).__name__ == expected and m.name == name


def test_accuracy_resolution_without_a_deciding_loss():
    m = metrics.get("accuracy", loss="mse", output_shape=(None, 1))
    assert isinstance(m, metrics.BinaryAccuracy)
    assert metrics.get("accuracy", loss=losses.BinaryCrossentropy(from_logits=True)).get_config()[
        "threshold"] == 0.0
    p = np.array([[0.1, 0.9], [0.8, 0.2]])
    sparse = metrics.get("accuracy", loss="mse", output_shape=(None, 2))
    sparse.update_state(np.array([1, 1]), p)
    assert sparse.result() == 0.5
    onehot = metrics.get("acc", loss=lambda t, p: (t - p) ** 2)
    onehot.update_state(np.array([[0, 1], [0, 1]]), p)
    assert onehot.result() == 0.5 and onehot.name == "acc"
    binary = metrics.get("accuracy")
    binary.update_state(np.array([1, 0]), np.array([[0.6], [0.7]]))
    assert binary.result() == 0.5


def test_get_names_classes_and_callables():
    assert metrics.get("mse").name == "mse" and isinstance(metrics.get("mse"),
                                                           metrics.MeanSquaredError)
    assert metrics.get("mean_absolute_error").name == "mean_absolute_error"
    assert isinstance(metrics.get("auc"), metrics.AUC) and metrics.get("auc").name == "auc"
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert metrics.get("top_k_categorical_accuracy").get_config()["k"] == 5
    assert isinstance(metrics.get("precision"), metrics.Precision)
    inst = metrics.Recall()
    assert metrics.get(inst) is inst and metrics.get(None) is None
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    y, p = RNG.integers(0, 2, (8, 1)).astype(float), RNG.uniform(0.1, 0.9, (8, 1))
    bce = metrics.get("binary_crossentropy")  # any loss name: the loss averaged as a metric
    assert bce.name == "binary_crossentropy"
    ref = losses.BinaryCrossentropy()(y, p).item()
    assert bce(y, p) == pytest.approx(ref)
    assert metrics.get(losses.BinaryCrossentropy())(y, p) == pytest.approx(ref)
    assert metrics.get("cosine_similarity")(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])) == 1.0

    def my_metric(y_true, y_pred):
        return np.abs(y_true - y_pred)

    custom = metrics.get(my_metric)
    assert custom.name == "my_metric" and custom(y, p) == pytest.approx(np.abs(y - p).mean())
    with pytest.raises(ValueError, match=r"Unknown metric 'accuarcy'.*accuracy"):
        metrics.get("accuarcy")


@pytest.mark.parametrize("cls", metrics.CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    m = cls(name="custom")
    config = m.get_config()
    assert config["name"] == "custom"
    assert cls.from_config(config).get_config() == config
    assert metrics.deserialize(metrics.serialize(m)).get_config() == config
