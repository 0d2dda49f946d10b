"""Accuracy metrics: exact, binary, categorical, sparse and top-k, as functions (NumPy in,
per-sample NumPy out) and as ``Mean`` metric classes; plus ``'accuracy'`` resolved to the right
variant from the loss, or from the first batch's shapes when the loss does not decide it.
"""

import numpy as np

from numdeep import losses as _losses
from numdeep.metrics.base import BuiltinMean, MeanMetricWrapper, as_array, class_ids, same_shape


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


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg-max of ``y_pred`` over the last axis."""
    y_pred = as_array(y_pred)
    y_true = class_ids("SparseCategoricalAccuracy", as_array(y_true), y_pred.shape)
    return (y_true == y_pred.argmax(-1)).astype(np.float32)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the true class's score is among the ``k`` largest (ties count as in)."""
    y_pred = as_array(y_pred)
    y_true = class_ids("SparseTopKCategoricalAccuracy", as_array(y_true), y_pred.shape)
    num_classes = y_pred.shape[-1]
    if k >= num_classes:
        return np.ones(y_true.shape, np.float32)
    ids = y_true.reshape(-1).astype(np.intp)
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(f"SparseTopKCategoricalAccuracy: class ids must be in "
                         f"[0, {num_classes}); received min {ids.min()}, max {ids.max()}.")
    flat = y_pred.reshape(-1, num_classes)
    target = flat[np.arange(ids.size), ids]
    kth_largest = np.partition(flat, num_classes - k, axis=-1)[:, num_classes - k]
    return (target >= kth_largest).reshape(y_true.shape).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Top-k accuracy for one-hot labels (see ``sparse_top_k_categorical_accuracy``)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"TopKCategoricalAccuracy expects one-hot labels with the shape of "
                         f"y_pred {y_pred.shape}; received {y_true.shape}.")
    return sparse_top_k_categorical_accuracy(y_true.argmax(-1), y_pred, k)


class Accuracy(BuiltinMean):
    """Fraction of predictions exactly equal to the labels (use ``'accuracy'`` in ``compile``
    to get the right variant chosen from the loss)."""

    fn = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(BuiltinMean):
    """Fraction of ``y_pred > threshold`` matching 0/1 labels.

    Args:
        name: metric name.
        dtype: see ``Metric``.
        threshold: decision threshold (use 0.0 for logits).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.BinaryAccuracy()(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]]))
        0.3333333333333333
    """

    fn = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name, dtype, threshold=float(threshold))


class CategoricalAccuracy(BuiltinMean):
    """Fraction of samples whose predicted arg-max matches the one-hot label."""

    fn = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(BuiltinMean):
    """Fraction of samples whose predicted arg-max equals the integer label.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.SparseCategoricalAccuracy()
        >>> m.update_state(np.array([2, 1]), np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]))
        >>> m.result()
        0.5
    """

    fn = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(BuiltinMean):
    """Fraction of samples whose one-hot class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
    """

    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=int(k))


class SparseTopKCategoricalAccuracy(BuiltinMean):
    """Fraction of samples whose integer class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
    """

    fn = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=int(k))


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
        loss_obj = _losses.get(loss)
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
