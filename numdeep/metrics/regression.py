"""Regression metrics: mean squared/absolute/percentage/logarithmic errors, root mean squared
error, cosine similarity, log-cosh error (each the running mean of the loss function of the same
name) and the coefficient of determination ``R2Score``."""

import warnings

import numpy as np

from numdeep import losses as _losses
from numdeep.metrics.base import Metric, as_array, float_array, rank_align, safe_div
from numdeep.metrics.reduction import FunctionMean, Mean


class _values:  # noqa: N801 - used like a decorator-made function
    """A loss function as a metric function: the per-sample losses' array (picklable, unlike a
    closure, so metrics pickle)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = fn.__name__

    def __call__(self, y_true, y_pred, **kwargs):
        return self.fn(y_true, y_pred, **kwargs).data


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity between ``y_true`` and ``y_pred`` along ``axis`` (1 = same direction).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.cosine_similarity(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])).round(4)
        array([0.7071])
    """
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis).data


class MeanSquaredError(FunctionMean):
    """Mean of ``(y_true - y_pred) ** 2`` over all samples seen.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> float(metrics.MeanSquaredError()(np.array([[0, 1], [0, 0]]),
        ...                                  np.array([[1.0, 1.0], [0.0, 0.0]])))
        0.25
    """

    fn = staticmethod(_values(_losses.mean_squared_error))

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(FunctionMean):
    """Mean of ``|y_true - y_pred|`` over all samples seen."""

    fn = staticmethod(_values(_losses.mean_absolute_error))

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsolutePercentageError(FunctionMean):
    """Mean of ``100 * |y_true - y_pred| / max(|y_true|, 1e-7)`` over all samples seen."""

    fn = staticmethod(_values(_losses.mean_absolute_percentage_error))

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name, dtype)


class MeanSquaredLogarithmicError(FunctionMean):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2`` over all samples seen."""

    fn = staticmethod(_values(_losses.mean_squared_logarithmic_error))

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name, dtype)


class LogCoshError(FunctionMean):
    """Mean of ``log(cosh(y_pred - y_true))`` over all samples seen."""

    fn = staticmethod(_values(_losses.log_cosh))

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name, dtype)


class CosineSimilarity(FunctionMean):
    """Mean cosine similarity between labels and predictions along ``axis``.

    Args:
        name, dtype: see ``Metric``.
        axis: the axis holding the vectors (not part of the config, as in Keras).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.CosineSimilarity()
        >>> float(m(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])))
        0.5
    """

    fn = staticmethod(cosine_similarity)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over all samples seen.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.RootMeanSquaredError()
        >>> round(float(m(np.array([0.0, 0.0]), np.array([3.0, 4.0]))), 4)
        3.5355
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate squared errors of one batch."""
        y_true, y_pred = rank_align(float_array(y_true, self.dtype),
                                    float_array(y_pred, self.dtype))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def result(self):
        return self._result(np.sqrt(super().result().data))


class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output column, aggregated.

    Args:
        class_aggregation: ``'uniform_average'`` (mean over columns),
            ``'variance_weighted_average'`` (weighted by each column's variance) or ``None``
            (one score per column).
        num_regressors: the number of independent variables, for the adjusted R2 (0: plain).
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.R2Score()
        >>> y = np.array([[1.0], [4.0], [3.0]])
        >>> round(float(m(y, np.array([[2.0], [4.0], [4.0]]))), 4)
        0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        allowed = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in allowed:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of "
                             f"{allowed}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={pred_shape} and "
                             f"y_true.shape={true_shape}.")
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim), "
                             f"with output_dim fully defined (not None). Received input shapes: "
                             f"y_pred.shape={pred_shape} and y_true.shape={true_shape}.")
        columns = (pred_shape[-1],)
        self.squared_sum = self.add_variable(columns, "zeros", name="squared_sum")
        self.sum = self.add_variable(columns, "zeros", name="sum")
        self.total_mse = self.add_variable(columns, "zeros", name="residual")
        self.count = self.add_variable(columns, "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the sums of one batch (inputs of shape ``(batch, outputs)``)."""
        y_true, y_pred = rank_align(float_array(y_true, self.dtype),
                                    float_array(y_pred, self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        w = np.asarray(1.0 if sample_weight is None else as_array(sample_weight), y_true.dtype)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, y_true.shape)
        weighted = y_true * w
        self.sum.assign_add(weighted.sum(axis=0))
        self.squared_sum.assign_add((y_true * weighted).sum(axis=0))
        self.total_mse.assign_add((np.square(y_true - y_pred) * w).sum(axis=0))
        self.count.assign_add(w.sum(axis=0))
        self.num_samples.assign_add(y_true.size)

    def result(self):
        if not self._built:
            return self._result(0.0)
        total_sum, count = self.sum.data, self.count.data
        with np.errstate(divide="ignore", invalid="ignore"):
            total = self.squared_sum.data - total_sum * (total_sum / count)
            raw = 1.0 - self.total_mse.data / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = safe_div((total * raw).sum(), total.sum())
        else:
            score = raw
        n, p = float(self.num_samples.data), self.num_regressors
        if p:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard "
                              "R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return self._result(score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
