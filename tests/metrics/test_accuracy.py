"""Accuracy metrics: Keras's documented values, accumulation, label checks (class ids past the
last class are an error), top-k against torch, and ``'accuracy'`` resolved from the loss."""

import numpy as np
import pytest

from numdeep import losses, metrics
from numdeep.autograd import Tensor

RNG = np.random.default_rng(0)

KERAS_DOC = [
    (metrics.BinaryAccuracy, {}, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
    (metrics.BinaryAccuracy, {}, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
     [1, 0, 0, 1], 0.5),
    (metrics.CategoricalAccuracy, {}, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.SparseCategoricalAccuracy, {}, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.TopKCategoricalAccuracy, {"k": 1}, [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 1}, [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 1, "from_sorted_ids": True}, [2, 1],
     [[1, 0, 3], [1, 2, 3]], [0.7, 0.3], 0.3),
    (metrics.Accuracy, {}, [[1], [2], [3], [4]], [[0], [2], [3], [4]], None, 0.75),
    (metrics.Accuracy, {}, [[1, 2], [3, 4]], [[0, 2], [3, 4]], [[1, 0], [0, 1]], 0.5),
]


@pytest.mark.parametrize("cls, kwargs, y_true, y_pred, sample_weight, expected", KERAS_DOC,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(KERAS_DOC)])
def test_keras_documented_values(cls, kwargs, y_true, y_pred, sample_weight, expected):
    m = cls(**kwargs)
    m.update_state(np.array(y_true), np.array(y_pred, dtype=np.float32),
                   sample_weight=sample_weight)
    assert float(m.result()) == pytest.approx(expected, abs=1e-6)


def test_accuracies_accumulate_and_reset():
    m = metrics.SparseCategoricalAccuracy()
    total = hits = 0
    for n in (32, 32, 7):
        p = RNG.normal(size=(n, 10))
        y = RNG.integers(0, 10, n)
        m.update_state(y, p)
        hits += (p.argmax(-1) == y).sum()
        total += n
    assert float(m.result()) == pytest.approx(hits / total)
    assert float(m.count.numpy()) == total
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state(np.array([1]), Tensor(np.array([[0.0, 1.0]])))  # Tensors are accepted
    assert float(m.result()) == 1.0


def test_sparse_class_id_past_the_last_class_is_an_error():
    m = metrics.SparseCategoricalAccuracy()
    with pytest.raises(ValueError, match=r"SparseCategoricalAccuracy: class ids must be in "
                                         r"\[0, 3\) because y_pred has 3 classes.*up to 5"):
        m.update_state(np.array([0, 5]), RNG.uniform(size=(2, 3)))
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 3\)"):
        metrics.SparseTopKCategoricalAccuracy(k=2)(np.array([0, 3]), RNG.uniform(size=(2, 3)))
    with pytest.raises(ValueError, match=r"non-integer label values such as \[0.5\]"):
        m.update_state(np.array([0.5, 1.0]), RNG.uniform(size=(2, 3)))
    # A negative id (padding, as ignore_class uses) never matches.
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([-1, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert float(m.result()) == 0.5


def test_categorical_accuracy_points_integer_labels_to_the_sparse_metric():
    with pytest.raises(ValueError, match=r"CategoricalAccuracy expects one-hot.*\(4, 3\).*"
                                         r"sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy()(np.array([0, 1, 2, 0]), RNG.uniform(size=(4, 3)))


def test_sparse_labels_holding_one_id_per_prediction_take_its_shape():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([[0], [0]]), np.array([[[0.9, 0.1, 0.0], [0.8, 0.15, 0.05]]]))
    assert float(m.result()) == 1.0
    with pytest.raises(ValueError, match=r"integer class ids of shape \(4,\)"):
        m.update_state(np.eye(3)[[0, 1, 2, 0]], RNG.uniform(size=(4, 3)))


def test_top_k_against_torch_and_ties():
    torch = pytest.importorskip("torch")
    p = RNG.normal(size=(50, 7)).astype(np.float32)
    y = RNG.integers(0, 7, 50)
    for k in (1, 3, 5):
        top = torch.topk(torch.tensor(p), k, dim=-1).indices.numpy()
        ref = (top == y[:, None]).any(-1).mean()
        assert float(metrics.SparseTopKCategoricalAccuracy(k=k)(y, p)) == pytest.approx(ref)
        assert float(metrics.TopKCategoricalAccuracy(k=k)(np.eye(7)[y], p)) == pytest.approx(ref)
    ties = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    assert float(metrics.SparseTopKCategoricalAccuracy(k=1)(np.array([1, 2]), ties)) == 1.0
    assert float(metrics.SparseTopKCategoricalAccuracy(k=5)(np.array([0, 0]), ties)) == 1.0


def test_binary_accuracy_shapes_threshold_and_booleans():
    y = np.array([1, 0, 1, 1])
    p = np.array([[0.7], [0.2], [0.4], [0.9]])
    for yt, yp in ((y, p), (y[:, None], p), (y, p[:, 0]), (y[:, None], p[:, 0])):
        assert float(metrics.BinaryAccuracy()(yt, yp)) == 0.75  # never an (N, N) comparison
    assert float(metrics.BinaryAccuracy(threshold=0.3)(y, p)) == 1.0
    assert float(metrics.BinaryAccuracy()(y.astype(bool), p > 0.5)) == 0.75
    with pytest.raises(ValueError, match=r"BinaryAccuracy: y_true shape \(3,\) is incompatible"):
        metrics.BinaryAccuracy()(y[:3], p)


def test_configs():
    m = metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    assert m.get_config() == {"name": "sparse_top_k_categorical_accuracy", "dtype": "float32",
                              "k": 1, "from_sorted_ids": True}
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()
    assert metrics.BinaryAccuracy(threshold=0.3).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.3}
    assert len(metrics.Accuracy().variables) == 2


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
    assert isinstance(metrics.get("accuracy", loss="mse", output_shape=(None, 1)),
                      metrics.BinaryAccuracy)
    logits = metrics.get("accuracy", loss=losses.BinaryCrossentropy(from_logits=True))
    assert logits.get_config()["threshold"] == 0.0
    p = np.array([[0.1, 0.9], [0.8, 0.2]])
    sparse = metrics.get("accuracy", loss="mse", output_shape=(None, 2))
    sparse.update_state(np.array([1, 1]), p)
    assert float(sparse.result()) == 0.5
    onehot = metrics.get("acc", loss=lambda t, p: (t - p) ** 2)
    onehot.update_state(np.array([[0, 1], [0, 1]]), p)
    assert float(onehot.result()) == 0.5 and onehot.name == "acc"
    binary = metrics.get("accuracy")
    binary.update_state(np.array([1, 0]), np.array([[0.6], [0.7]]))
    assert float(binary.result()) == 0.5
