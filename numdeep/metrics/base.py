"""The ``Metric`` base class, ``Mean``, ``Sum`` and ``MeanMetricWrapper``, and the array helpers
every metric family uses (labels aligned as Keras does, sample weights, safe division).

A metric is updated with ``update_state(y_true, y_pred, sample_weight=None)`` on raw arrays
(Tensors are read through ``.data``; no graph is built), read with ``result()`` and cleared with
``reset_state()``.
"""

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.backend import to_numpy

NEG_INF = -1e10  # Keras's value for "below every threshold" (top_k filtering)


# ----- array helpers -----------------------------------------------------------------------------
def as_array(x):
    return to_numpy(x.data if isinstance(x, Tensor) else x)


def rank_align(y_true, y_pred):
    """Drop a trailing size-1 axis from the higher-rank array when ranks differ by one (Keras)."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1:] == (1,):
        y_pred = y_pred.reshape(y_pred.shape[:-1])
    return y_true, y_pred


def same_shape(name, y_true, y_pred):
    y_true, y_pred = rank_align(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true shape {y_true.shape} is incompatible with y_pred shape "
                         f"{y_pred.shape}; they must be equal up to a trailing axis of size 1.")
    return y_true, y_pred


def class_ids(name, y_true, shape):
    if y_true.ndim == len(shape) and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1])
    if y_true.shape != shape[:-1]:
        raise ValueError(f"{name} expects integer class ids of shape {shape[:-1]} for y_pred of "
                         f"shape {shape}; received labels of shape {y_true.shape}.")
    return y_true


def sample_weights_for(sample_weight, shape):
    """``sample_weight`` (per sample, or broadcastable) as float64 broadcast to ``shape``."""
    w = np.asarray(as_array(sample_weight), dtype=np.float64)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    elif 0 < w.ndim < len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(f"sample_weight of shape {np.shape(sample_weight)} cannot weight values "
                         f"of shape {shape}; pass one weight per sample.") from None


def safe_div(a, b):
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


# ----- base classes ------------------------------------------------------------------------------
def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Metric(registry.Configurable):
    """Base class of stateful metrics.

    Subclasses set their configuration, then call ``super().__init__`` (which calls
    ``reset_state()``), and implement ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: the metric name used in logs (defaults to the snake_case class name).
        dtype: accepted for Keras config compatibility; results are Python floats.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def update_state(self, *args, **kwargs):
        """Accumulate statistics from one batch."""
        raise NotImplementedError

    def result(self):
        """Return the metric value (a Python float)."""
        raise NotImplementedError

    def reset_state(self):
        """Clear the accumulated statistics."""
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """Return the constructor arguments."""
        return {"name": self.name, "dtype": self.dtype}


    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """Weighted mean of the values seen so far.

    Values of rank > 1 are first averaged per sample (over all but the first axis); with
    ``sample_weight`` the result is ``sum(w * v) / sum(w)``.

    Args:
        name: metric name.
        dtype: see ``Metric``.

    Example:
        >>> from numdeep import metrics
        >>> m = metrics.Mean()
        >>> m.update_state([1.0, 3.0])
        >>> m.update_state([5.0], sample_weight=[2.0])
        >>> m.result()
        3.5
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (array-like), optionally weighted by ``sample_weight``."""
        if type(values) is float and type(sample_weight) in (int, float):
            # fit's loss tracker: one Python float per step, weighted by the batch size.
            self.total += values * sample_weight
            self.count += sample_weight
            return
        values = np.asarray(as_array(values))
        if sample_weight is None:
            n = values.shape[0] if values.ndim else 1
            per_sample = values.size // n if n else 1
            self.total += float(values.sum()) / per_sample
            self.count += n
            return
        w = np.asarray(as_array(sample_weight), dtype=np.float64)
        if w.ndim == 0 and values.ndim:
            w = np.full(values.shape[:1], float(w))
        values, w = rank_align(values, w)
        if values.ndim > w.ndim:
            values = values.mean(axis=tuple(range(w.ndim, values.ndim)))
        w = np.broadcast_to(w, values.shape)
        if w.ndim > 1:
            values = (values * w).mean(axis=tuple(range(1, w.ndim)))
            w = w.mean(axis=tuple(range(1, w.ndim)))
        else:
            values = values * w
        self.total += float(values.sum())
        self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """Weighted sum of the values seen so far.

    Args:
        name: metric name.
        dtype: see ``Metric``.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        """Add ``sum(values * sample_weight)``."""
        values = np.asarray(as_array(values), dtype=np.float64)
        if sample_weight is not None:
            values = values * sample_weights_for(sample_weight, values.shape)
        self.total += float(values.sum())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """Mean over samples of ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` receives NumPy arrays (a trailing size-1 axis aligned as Keras does) and returns
    per-sample values (an array, or a Tensor whose data is used).

    Args:
        fn: the function computing per-sample values.
        name: metric name (defaults to ``fn.__name__``).
        dtype: see ``Metric``.
        **kwargs: extra keyword arguments for ``fn``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.MeanMetricWrapper(lambda t, p: np.abs(t - p), name="l1")
        >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        >>> m.result()
        0.25
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate ``fn`` over one batch."""
        y_true, y_pred = rank_align(as_array(y_true), as_array(y_pred))
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values.data if isinstance(values, Tensor) else values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": self._fn, **self._fn_kwargs}


class BuiltinMean(MeanMetricWrapper):
    """A MeanMetricWrapper whose function is fixed by the class."""

    fn = None

    def __init__(self, name, dtype, **kwargs):
        super().__init__(type(self).fn, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}
