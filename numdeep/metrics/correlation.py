"""Correlation metrics: ``PearsonCorrelation`` and ``ConcordanceCorrelation``, computed per sample
along ``axis`` and averaged over the samples seen."""

import numpy as np

from numdeep.metrics.base import as_array, rank_align
from numdeep.metrics.reduction import FunctionMean


def _pair(y_true, y_pred):
    y_pred = np.asarray(as_array(y_pred))
    y_pred = y_pred.astype(y_pred.dtype if y_pred.dtype.kind == "f" else np.float32)
    return rank_align(np.asarray(as_array(y_true), dtype=y_pred.dtype), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient between ``y_true`` and ``y_pred`` along ``axis``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.pearson_correlation(np.array([[1.0, 2.0, 3.0]]),
        ...                             np.array([[2.0, 4.0, 7.0]])).round(4).tolist()
        [0.9934]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t = y_true - y_true.mean(axis=axis, keepdims=True)
    p = y_pred - y_pred.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = t / t.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along ``axis``, as Keras computes it.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.concordance_correlation(np.array([[0.0, 1.0, 0.5]]),
        ...                                 np.array([[0.1, 0.9, 0.5]])).round(4).tolist()
        [0.9756]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = y_true.mean(axis=axis, keepdims=True)
    pred_mean = y_pred.mean(axis=axis, keepdims=True)
    true_var = (y_true - true_mean).var(axis=axis, keepdims=True)
    pred_var = (y_pred - pred_mean).var(axis=axis, keepdims=True)
    # NOTE: Keras centres y_true on the prediction mean here; kept for identical values.
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + np.square(true_mean - pred_mean)
    return (2 * covar / (norm + 1e-7)).mean(axis=axis)


class PearsonCorrelation(FunctionMean):
    """Mean Pearson correlation between labels and predictions along ``axis``.

    Args:
        name, dtype: see ``Metric``.
        axis: the axis along which each correlation is computed.
    """

    fn = staticmethod(pearson_correlation)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class ConcordanceCorrelation(FunctionMean):
    """Mean concordance correlation between labels and predictions along ``axis``.

    Args:
        name, dtype: see ``Metric``.
        axis: the axis along which each coefficient is computed.
    """

    fn = staticmethod(concordance_correlation)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)
