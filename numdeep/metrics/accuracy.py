"""Accuracy metrics: exact, binary, categorical, sparse and top-k, as functions (NumPy in,
per-sample NumPy out) and as ``Mean`` metric classes; plus ``'accuracy'`` resolved to the right
variant from the loss, or from the first batch's shapes when the loss does not decide it.
"""

import numpy as np

from numdeep import losses as _losses
from numdeep.metrics.base import as_array, class_ids, same_shape
from numdeep.metrics.reduction import FunctionMean, MeanMetricWrapper


# ----- metric functions (NumPy in, NumPy out) ----------------------------------------------------
def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0 (elementwise)."""
    y_true, y_pred = same_shape("Accuracy", as_array(y_true), as_array(y_pred))
    return (y_true == y_pred).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true`` (labels 0/1), elementwise."""
    y_true, y_pred = same_shape("BinaryAccuracy", as_array(y_true), as_array(y_pred))
    return (y_true == (y_pred > threshold)).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of one-hot ``y_true`` equals the arg-max of ``y_pred``."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"CategoricalAccuracy expects one-hot labels with the shape of y_pred "
                         f"{y_pred.shape}; received labels of shape {y_true.shape}. Use "
                         "sparse_categorical_accuracy for integer class ids.")
    return (y_true.argmax(-1) == y_pred.argmax(-1)).astype(np.float32)


def _checked_ids(name, y_true, shape):
    """Integer class ids for ``y_pred`` of ``shape``: ids past the last class are an error (a
    wrong number of output units); negative ids (padding) simply never match."""
    ids = class_ids(name, np.asarray(y_true), shape)
    if ids.dtype.kind == "f":
        bad = ids[ids != np.floor(ids)]
        if bad.size:
            raise ValueError(f"{name} expects integer class ids; received non-integer label "
                             f"values such as {np.unique(bad)[:5].tolist()}.")
    num_classes = shape[-1]
    if ids.size and ids.max() >= num_classes:
        raise ValueError(f"{name}: class ids must be in [0, {num_classes}) because y_pred has "
                         f"{num_classes} classes (last axis of shape {shape}); received labels "
                         f"up to {ids.max()}. Check the number of output units, or shift 1-based "
                         f"labels to start at 0.")
    return ids


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg-max of ``y_pred`` over the last axis."""
    y_pred = as_array(y_pred)
    y_true = _checked_ids("SparseCategoricalAccuracy", as_array(y_true), y_pred.shape)
    return (y_true == y_pred.argmax(-1)).astype(np.float32)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the true class's score is among the ``k`` largest (ties count as in).

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score (the output of a
    top-k search) and a sample counts when its label is among the first ``k``.
    """
    name = "SparseTopKCategoricalAccuracy"
    y_pred = np.asarray(as_array(y_pred))
    if from_sorted_ids:
        y_true = class_ids(name, np.asarray(as_array(y_true)), y_pred.shape)
        return (y_true[..., None] == y_pred[..., :k]).any(-1).astype(np.float32)
    y_true = _checked_ids(name, as_array(y_true), y_pred.shape)
    num_classes = y_pred.shape[-1]
    if k >= num_classes:
        return (y_true >= 0).astype(np.float32)
    ids = y_true.reshape(-1).astype(np.intp)
    flat = y_pred.reshape(-1, num_classes)
    target = flat[np.arange(ids.size), np.maximum(ids, 0)]
    kth_largest = np.partition(flat, num_classes - k, axis=-1)[:, num_classes - k]
    hit = (target >= kth_largest) & (ids >= 0)
    return hit.reshape(y_true.shape).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Top-k accuracy for one-hot labels (see ``sparse_top_k_categorical_accuracy``)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"TopKCategoricalAccuracy expects one-hot labels with the shape of "
                         f"y_pred {y_pred.shape}; received {y_true.shape}.")
    return sparse_top_k_categorical_accuracy(y_true.argmax(-1), y_pred, k)


class Accuracy(FunctionMean):
    """Fraction of predictions exactly equal to the labels (use ``'accuracy'`` in ``compile``
    to get the right variant chosen from the loss)."""

    fn = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(FunctionMean):
    """Fraction of ``y_pred > threshold`` matching 0/1 labels.

    Args:
        name: metric name.
        dtype: see ``Metric``.
        threshold: decision threshold (use 0.0 for logits).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.BinaryAccuracy()
        >>> round(float(m(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]]))), 4)
        0.3333
    """

    fn = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name, dtype, threshold=float(threshold))


class CategoricalAccuracy(FunctionMean):
    """Fraction of samples whose predicted arg-max matches the one-hot label."""

    fn = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(FunctionMean):
    """Fraction of samples whose predicted arg-max equals the integer label.

    A label past the last class raises a ``ValueError`` (the output layer has too few units);
    a negative label (padding) never matches.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.SparseCategoricalAccuracy()
        >>> m.update_state(np.array([2, 1]), np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]))
        >>> float(m.result())
        0.5
    """

    fn = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(FunctionMean):
    """Fraction of samples whose one-hot class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
    """

    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=int(k))


class SparseTopKCategoricalAccuracy(FunctionMean):
    """Fraction of samples whose integer class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
        from_sorted_ids: ``y_pred`` holds class ids sorted by score (a top-k search's output)
            rather than scores.
    """

    fn = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(name, dtype, k=int(k), from_sorted_ids=bool(from_sorted_ids))

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:  # written only when set, as Keras does
            config["from_sorted_ids"] = True
        return config


# ----- accuracy resolution, lookup and serialization ---------------------------------------------
class _InferredAccuracy(MeanMetricWrapper):
    """``'accuracy'`` whose variant (binary/sparse/categorical) is chosen from the first batch's
    shapes, as Keras does when the loss does not decide it."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(None, name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._fn is None:
            t, p = np.shape(as_array(y_true)), np.shape(as_array(y_pred))
            if len(p) <= 1 or p[-1] == 1:
                self._fn = binary_accuracy
            elif len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1):
                self._fn = sparse_categorical_accuracy
            else:
                self._fn = categorical_accuracy
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def accuracy_for(name, loss, output_shape):
    try:
        loss_obj = _losses.resolve(loss)
    except ValueError:
        loss_obj = None
    if isinstance(loss_obj, _losses.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy(name=name)
    if isinstance(loss_obj, _losses.CategoricalCrossentropy):
        return CategoricalAccuracy(name=name)
    if isinstance(loss_obj, _losses.BinaryCrossentropy):
        logits = loss_obj.get_config()["from_logits"]
        return BinaryAccuracy(name=name, threshold=0.0 if logits else 0.5)
    if output_shape is not None and (len(output_shape) <= 1 or output_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    return _InferredAccuracy(name=name)
