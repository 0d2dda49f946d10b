"""Regression metrics: ``MeanSquaredError``, ``MeanAbsoluteError``, ``RootMeanSquaredError``."""

import math

import numpy as np

from numdeep import losses as _losses
from numdeep.metrics.base import BuiltinMean, Mean, as_array, same_shape


def _mean_last(x):
    return x if x.ndim <= 1 else x.mean(axis=-1)


def _squared_error(y_true, y_pred):
    y_true, y_pred = same_shape("MeanSquaredError", as_array(y_true), as_array(y_pred))
    return _mean_last(np.square(y_pred - y_true))


def _absolute_error(y_true, y_pred):
    y_true, y_pred = same_shape("MeanAbsoluteError", as_array(y_true), as_array(y_pred))
    return _mean_last(np.abs(y_pred - y_true))


def cosine_similarity(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis).data


class MeanSquaredError(BuiltinMean):
    """Mean squared error over all samples seen."""

    fn = staticmethod(_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(BuiltinMean):
    """Mean absolute error over all samples seen."""

    fn = staticmethod(_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name, dtype)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over all samples seen.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.RootMeanSquaredError()(np.array([0.0, 0.0]), np.array([3.0, 4.0]))
        3.5355339059327378
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate squared errors of one batch."""
        y_true, y_pred = same_shape("RootMeanSquaredError", as_array(y_true), as_array(y_pred))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def result(self):
        return math.sqrt(super().result())
