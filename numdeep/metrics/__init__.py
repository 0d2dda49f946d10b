"""Stateful metrics with Keras 3 names: accumulate over batches, report a Python float.

Families: ``base`` (``Metric``, ``Mean``, ``Sum``, ``MeanMetricWrapper``), ``accuracy``,
``regression`` and ``confusion`` (precision, recall, AUC). State is kept in Python floats (or
small NumPy count arrays), so histories hold plain numbers.

Example:
    >>> import numpy as np
    >>> from numdeep import metrics
    >>> m = metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.name, m.result()
    ('accuracy', 0.5)
"""

import numpy as np

from numdeep import losses as _losses
from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    accuracy_for,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from numdeep.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from numdeep.metrics.confusion import AUC, Precision, Recall
from numdeep.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    RootMeanSquaredError,
    cosine_similarity,
)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "RootMeanSquaredError", "Precision", "Recall", "AUC", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
]

CLASSES = (Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
           TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
           MeanAbsoluteError, RootMeanSquaredError, Precision, Recall, AUC)
_KIND = registry.Kind("metric", "keras.metrics", base=Metric)
_KIND.register(Metric)
for _cls in CLASSES:
    _KIND.register(_cls)
for _fn in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
            top_k_categorical_accuracy, sparse_top_k_categorical_accuracy):
    _KIND.register(_fn)
# Names that build a metric class (with the typed name), as Keras's metrics.get does.
_ALIASES = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError, "root_mean_squared_error": RootMeanSquaredError,
    "auc": AUC, "precision": Precision, "recall": Recall,
}


def _loss_metric(loss, name):
    def per_sample(y_true, y_pred):
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float32)
        return loss.call(y_true, Tensor(y_pred)).data

    per_sample.__name__ = name
    return MeanMetricWrapper(per_sample, name=name)


def serialize(metric):
    """Return the Keras 3 config dict of a built-in metric instance (``None`` for ``None``)."""
    if metric is not None and not isinstance(metric, CLASSES):
        raise ValueError(f"Cannot serialize {metric!r}: only numdeep's built-in metrics have a "
                         "portable config.")
    return _KIND.serialize(metric)


def deserialize(config, custom_objects=None):
    """Build a metric from a Keras config dict ``{'class_name': ..., 'config': ...}``."""
    return _KIND.deserialize(config, custom_objects)


def get(identifier, loss=None, output_shape=None):
    """Resolve a metric from a name, config dict, instance, class or function.

    Args:
        identifier: ``'accuracy'``/``'acc'`` (variant chosen from ``loss``: sparse categorical,
            categorical or binary cross-entropy; otherwise binary when ``output_shape[-1] == 1``,
            else decided from the first batch's label/prediction shapes; the metric keeps the
            name typed); a metric name (``'mse'``, ``'auc'``, ``'precision'``,
            ``'top_k_categorical_accuracy'``, ...) or class name; any loss name (the loss
            averaged as a metric); a config dict; a ``Metric`` instance (returned as is) or
            class; a ``Loss`` instance; or a function ``fn(y_true, y_pred)`` of per-sample values.
        loss: the loss of the output this metric watches (string, ``Loss`` or function).
        output_shape: that output's shape, e.g. ``(None, 10)``.

    Returns:
        A ``Metric`` instance.

    Example:
        >>> from numdeep import metrics
        >>> type(metrics.get("acc", loss="binary_crossentropy")).__name__
        'BinaryAccuracy'
        >>> metrics.get("mse").name
        'mse'
    """
    if isinstance(identifier, _losses.Loss):
        return _loss_metric(identifier, identifier.name)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return accuracy_for(identifier, loss, output_shape)
        if identifier in _KIND.classes:
            return _KIND.classes[identifier]()
        if identifier in _ALIASES:
            return _ALIASES[identifier](name=identifier)
        if identifier == "cosine_similarity":
            return MeanMetricWrapper(cosine_similarity, name=identifier)
        try:
            return _loss_metric(_losses.get(identifier), identifier)
        except ValueError:
            known = sorted(set(_ALIASES) | {"accuracy", "acc", "cosine_similarity"})
            raise ValueError(f"Unknown metric {identifier!r}. Known names: {', '.join(known)}, "
                             "any loss name, or a class name such as 'AUC'.") from None
    obj = _KIND.get(identifier)
    if obj is None or isinstance(obj, Metric):
        return obj
    return MeanMetricWrapper(obj)
