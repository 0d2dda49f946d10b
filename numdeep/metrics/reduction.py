"""Reduction metrics: ``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the mean of a per-sample
function, which most built-in metrics are).

Values and sample weights are aligned as Keras does: a trailing size-1 axis is squeezed (or a
rank-1 partner expanded), values with more axes than the weights are averaged (``Mean``) or
summed (``Sum``) down to the weights' rank, and every sample then counts with its weight.
"""

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.metrics.base import Metric, as_array, float_array, rank_align


def _mask_weights(sample_weight, mask, dtype):
    # A padding mask on the predictions drops padded steps (Keras's apply_mask, "sum" flavour).
    if mask is None:
        return sample_weight
    mask = np.asarray(as_array(mask)).astype(dtype)
    if sample_weight is None:
        return mask
    mask, sample_weight = rank_align(mask, float_array(sample_weight, dtype))
    return sample_weight * mask


def reduce_to_samplewise(values, sample_weight, reduce, dtype):
    """Per-sample values (``values`` weighted and reduced to rank <= 1) and the weights
    broadcast to them (``None`` without weights)."""
    values = float_array(values, dtype)
    if sample_weight is not None:
        weights = float_array(sample_weight, dtype)
        values, weights = rank_align(values, weights)
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {np.shape(as_array(sample_weight))} cannot "
                             f"weight values of shape {values.shape}; pass one weight per "
                             f"sample.") from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    else:
        weights = None
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """Weighted sum of the values seen so far.

    Args:
        name: metric name.
        dtype: dtype of the state and result.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        """Add ``sum(values * sample_weight)``."""
        values, _ = reduce_to_samplewise(values, sample_weight, np.sum, self.dtype)
        self.total.assign_add(values.sum())

    def result(self):
        return self._result(self.total.data)


class Mean(Metric):
    """Weighted mean of the values seen so far.

    Values of rank > 1 are first averaged per sample (over all but the first axis); with
    ``sample_weight`` the result is ``sum(w * v) / sum(w)``.

    Args:
        name: metric name.
        dtype: dtype of the state and result.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.Mean()
        >>> m.update_state([1.0, 3.0])
        >>> m.update_state([5.0], sample_weight=[2.0])
        >>> float(m.result())
        3.5
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (array-like), optionally weighted by ``sample_weight``."""
        if type(values) is float and type(sample_weight) in (int, float):
            # fit's loss tracker: one Python float per step, weighted by the batch size.
            self.total.assign_add(values * sample_weight)
            self.count.assign_add(sample_weight)
            return
        values, weights = reduce_to_samplewise(values, sample_weight, np.mean, self.dtype)
        self.total.assign_add(values.sum())
        if weights is not None:
            self.count.assign_add(weights.sum())
        else:
            self.count.assign_add(values.shape[0] if values.ndim else 1)

    def result(self):
        count = self.count.data
        return self._result(self.total.data / count if count else 0.0)


class MeanMetricWrapper(Mean):
    """Mean over samples of ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` receives NumPy arrays (ranks aligned as Keras does) and returns per-sample values
    (an array, or a Tensor whose data is used).

    Args:
        fn: the function computing per-sample values.
        name: metric name (defaults to ``fn.__name__``).
        dtype: dtype of the state and result.
        **kwargs: extra keyword arguments for ``fn``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.MeanMetricWrapper(lambda t, p: np.abs(t - p), name="l1")
        >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        >>> float(m.result())
        0.25
    """

    _align = True  # a user's function gets ranks aligned; the built-in ones align themselves

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"),
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate ``fn`` over one batch."""
        mask = getattr(y_pred, "_keras_mask", None)
        y_true, y_pred = np.asarray(as_array(y_true)), np.asarray(as_array(y_pred))
        if self._align:
            y_true, y_pred = rank_align(y_true, y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = _mask_weights(sample_weight, mask, self.dtype)
        values_mask = getattr(values, "_keras_mask", None)
        if values_mask is not None and sample_weight is not None:
            # As in Keras, a mask the function puts on its values (ignored entries) only
            # reweights: without sample weights every entry still counts.
            sample_weight = _mask_weights(sample_weight, values_mask, self.dtype)
        super().update_state(values.data if isinstance(values, Tensor) else values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": self._fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.get("fn")
        if isinstance(fn, dict | str):
            config["fn"] = registry.kind("metric").deserialize(fn)
        return cls(**config)


class FunctionMean(MeanMetricWrapper):
    """A ``MeanMetricWrapper`` whose function is fixed by the class (the built-in metrics):
    its config is its constructor arguments, without ``fn``."""

    fn = None
    _align = False

    def __init__(self, name, dtype, **kwargs):
        super().__init__(type(self).fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
