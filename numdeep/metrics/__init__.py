"""Stateful metrics with Keras 3 names: accumulate over batches in variables, report a Tensor.

Families: ``base`` (``Metric``), ``reduction`` (``Mean``, ``Sum``, ``MeanMetricWrapper``),
``accuracy``, ``regression`` (errors, cosine similarity, ``R2Score``), ``probabilistic``
(cross-entropies, KL divergence, Poisson), ``hinge``, ``confusion`` (counts, precision,
recall), ``auc``, ``sensitivity`` (a rate at a constraint on another), ``f_score``, ``iou`` and
``correlation``. ``fit`` turns every result into a Python float for its logs.

Example:
    >>> import numpy as np
    >>> from numdeep import metrics
    >>> m = metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.name, float(m.result())
    ('accuracy', 0.5)
"""

from numdeep import losses as _losses
from numdeep import registry
from numdeep.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
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
from numdeep.metrics.auc import AUC, AUCCurve, AUCSummationMethod
from numdeep.metrics.base import Metric, _snake
from numdeep.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from numdeep.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from numdeep.metrics.f_score import F1Score, FBetaScore
from numdeep.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
from numdeep.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from numdeep.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from numdeep.metrics.reduction import Mean, MeanMetricWrapper, Sum
from numdeep.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
)
from numdeep.metrics.sensitivity import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)

CLASSES = (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, CosineSimilarity, LogCoshError, R2Score, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge, TruePositives, FalsePositives, TrueNegatives,
    FalseNegatives, Precision, Recall, AUC, SensitivityAtSpecificity, SpecificityAtSensitivity,
    PrecisionAtRecall, RecallAtPrecision, FBetaScore, F1Score, IoU, BinaryIoU, MeanIoU,
    OneHotIoU, OneHotMeanIoU, PearsonCorrelation, ConcordanceCorrelation,
)
FUNCTIONS = (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, pearson_correlation,
    concordance_correlation, mean_squared_error, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_logarithmic_error, log_cosh, huber, hinge,
    squared_hinge, categorical_hinge, kl_divergence, poisson, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, binary_focal_crossentropy,
    categorical_focal_crossentropy,
)

__all__ = [c.__name__ for c in CLASSES] + [f.__name__ for f in FUNCTIONS] + [
    "Metric", "MeanMetricWrapper", "AUCCurve", "AUCSummationMethod", "cosine_similarity",
    "get", "serialize", "deserialize",
]

_KIND = registry.Kind("metric", "keras.metrics", base=Metric)
_KIND.register(Metric)
_KIND.register(MeanMetricWrapper)
for _cls in CLASSES:
    _KIND.register(_cls)
for _fn in FUNCTIONS:
    _KIND.register(_fn)


# Names that build a metric class, as Keras's metrics.get does (the metric keeps the typed
# name): every class's snake_case name and the short aliases.
_ALIASES = {_snake(c.__name__): c for c in CLASSES}
_ALIASES.update(
    mse=MeanSquaredError, MSE=MeanSquaredError, mae=MeanAbsoluteError, MAE=MeanAbsoluteError,
    mape=MeanAbsolutePercentageError, MAPE=MeanAbsolutePercentageError,
    msle=MeanSquaredLogarithmicError, MSLE=MeanSquaredLogarithmicError, bce=BinaryCrossentropy,
    BCE=BinaryCrossentropy, auc=AUC, f1_score=F1Score, fbeta_score=FBetaScore, iou=IoU,
    kld=KLDivergence, KLD=KLDivergence, logcosh=LogCoshError, log_cosh=LogCoshError,
    r2_score=R2Score,
)
_NEEDS_ARGUMENTS = (IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, SensitivityAtSpecificity,
                    SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision)


class _LossValues:
    """A ``Loss`` as a metric function (its per-sample values); picklable."""

    def __init__(self, loss, name):
        self.loss, self.__name__ = loss, name

    def __call__(self, y_true, y_pred):
        return self.loss._call_with_mask(y_true, _losses.base.to_pred(y_pred))[0].data


def _loss_metric(loss, name):
    fn = getattr(type(loss), "fn", None)
    if fn is not None and hasattr(loss, "_fn_kwargs"):
        # A built-in loss: its function by name (configs save it as a loss function entry).
        return MeanMetricWrapper(fn, name=name, **loss._fn_kwargs)
    return MeanMetricWrapper(_LossValues(loss, name), name=name)


def serialize(metric):
    """Return the Keras 3 config dict of a metric (``None`` for ``None``).

    Example:
        >>> from numdeep import metrics
        >>> metrics.serialize(metrics.AUC(name="auc"))["class_name"]
        'AUC'
    """
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
            ``'binary_crossentropy'``, ...) or class name; any other loss name (the loss
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
        return _from_name(identifier, loss, output_shape)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = _KIND.get(identifier)
    if obj is None or isinstance(obj, Metric):
        return obj
    return MeanMetricWrapper(obj)


def _from_name(name, loss, output_shape):
    if name.lower() in ("accuracy", "acc"):
        return accuracy_for(name, loss, output_shape)
    cls = _KIND.classes.get(name) or _ALIASES.get(name)
    user = registry.get_registered_object(name)
    if user is not None:
        return user() if isinstance(user, type) else MeanMetricWrapper(user, name=name)
    if cls is not None and cls not in (Metric, MeanMetricWrapper):
        if cls in _NEEDS_ARGUMENTS:
            raise ValueError(f"Metric {name!r} needs constructor arguments (such as "
                             f"num_classes); pass an instance, e.g. metrics.{cls.__name__}(...).")
        return cls() if name == cls.__name__ else cls(name=name)
    try:
        return _loss_metric(_losses.resolve(name), name)
    except ValueError:
        known = sorted(set(_ALIASES) | {"accuracy", "acc"})
        raise ValueError(f"Unknown metric {name!r}. Known names: {', '.join(known)}, any loss "
                         "name, or a class name such as 'AUC'.") from None
