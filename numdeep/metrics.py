"""Stateful metrics with Keras 3 names: accumulate over batches, report a Python float.

A metric is updated with ``update_state(y_true, y_pred, sample_weight=None)`` on raw arrays
(Tensors are read through ``.data``; no graph is built), read with ``result()`` and cleared with
``reset_state()``. State is kept in Python floats (or small NumPy count arrays), so histories hold
plain numbers.

Example:
    >>> import numpy as np
    >>> from numdeep import metrics
    >>> m = metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.name, m.result()
    ('accuracy', 0.5)
"""

import math

import numpy as np

from numdeep import losses as _losses
from numdeep.autograd import Tensor
from numdeep.backend import to_numpy

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "RootMeanSquaredError", "Precision", "Recall", "AUC", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
]

_NEG_INF = -1e10  # Keras's value for "below every threshold" (top_k filtering)


# ----- array helpers -----------------------------------------------------------------------------
def _np(x):
    return to_numpy(x.data if isinstance(x, Tensor) else x)


def _rank_align(y_true, y_pred):
    """Drop a trailing size-1 axis from the higher-rank array when ranks differ by one (Keras)."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1:] == (1,):
        y_pred = y_pred.reshape(y_pred.shape[:-1])
    return y_true, y_pred


def _same_shape(name, y_true, y_pred):
    y_true, y_pred = _rank_align(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true shape {y_true.shape} is incompatible with y_pred shape "
                         f"{y_pred.shape}; they must be equal up to a trailing axis of size 1.")
    return y_true, y_pred


def _class_ids(name, y_true, shape):
    if y_true.ndim == len(shape) and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1])
    if y_true.shape != shape[:-1]:
        raise ValueError(f"{name} expects integer class ids of shape {shape[:-1]} for y_pred of "
                         f"shape {shape}; received labels of shape {y_true.shape}.")
    return y_true


def _weights(sample_weight, shape):
    """``sample_weight`` (per sample, or broadcastable) as float64 broadcast to ``shape``."""
    w = np.asarray(_np(sample_weight), dtype=np.float64)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    elif 0 < w.ndim < len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(f"sample_weight of shape {np.shape(sample_weight)} cannot weight values "
                         f"of shape {shape}; pass one weight per sample.") from None


def _div(a, b):
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


# ----- metric functions (NumPy in, NumPy out) ----------------------------------------------------
def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0 (elementwise)."""
    y_true, y_pred = _same_shape("Accuracy", _np(y_true), _np(y_pred))
    return (y_true == y_pred).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true`` (labels 0/1), elementwise."""
    y_true, y_pred = _same_shape("BinaryAccuracy", _np(y_true), _np(y_pred))
    return (y_true == (y_pred > threshold)).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of one-hot ``y_true`` equals the arg-max of ``y_pred``."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"CategoricalAccuracy expects one-hot labels with the shape of y_pred "
                         f"{y_pred.shape}; received labels of shape {y_true.shape}. Use "
                         "sparse_categorical_accuracy for integer class ids.")
    return (y_true.argmax(-1) == y_pred.argmax(-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg-max of ``y_pred`` over the last axis."""
    y_pred = _np(y_pred)
    y_true = _class_ids("SparseCategoricalAccuracy", _np(y_true), y_pred.shape)
    return (y_true == y_pred.argmax(-1)).astype(np.float32)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the true class's score is among the ``k`` largest (ties count as in)."""
    y_pred = _np(y_pred)
    y_true = _class_ids("SparseTopKCategoricalAccuracy", _np(y_true), y_pred.shape)
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
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"TopKCategoricalAccuracy expects one-hot labels with the shape of "
                         f"y_pred {y_pred.shape}; received {y_true.shape}.")
    return sparse_top_k_categorical_accuracy(y_true.argmax(-1), y_pred, k)


def _mean_last(x):
    return x if x.ndim <= 1 else x.mean(axis=-1)


def _squared_error(y_true, y_pred):
    y_true, y_pred = _same_shape("MeanSquaredError", _np(y_true), _np(y_pred))
    return _mean_last(np.square(y_pred - y_true))


def _absolute_error(y_true, y_pred):
    y_true, y_pred = _same_shape("MeanAbsoluteError", _np(y_true), _np(y_pred))
    return _mean_last(np.abs(y_pred - y_true))


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis).data


# ----- base classes ------------------------------------------------------------------------------
def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Metric:
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

    @classmethod
    def from_config(cls, config):
        """Build the metric from ``get_config()``'s dict."""
        return cls(**config)

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
        values = np.asarray(_np(values))
        if sample_weight is None:
            n = values.shape[0] if values.ndim else 1
            per_sample = values.size // n if n else 1
            self.total += float(values.sum()) / per_sample
            self.count += n
            return
        w = np.asarray(_np(sample_weight), dtype=np.float64)
        if w.ndim == 0 and values.ndim:
            w = np.full(values.shape[:1], float(w))
        values, w = _rank_align(values, w)
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
        values = np.asarray(_np(values), dtype=np.float64)
        if sample_weight is not None:
            values = values * _weights(sample_weight, values.shape)
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
        y_true, y_pred = _rank_align(_np(y_true), _np(y_pred))
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values.data if isinstance(values, Tensor) else values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": self._fn, **self._fn_kwargs}


class _BuiltinMean(MeanMetricWrapper):
    """A MeanMetricWrapper whose function is fixed by the class."""

    fn = None

    def __init__(self, name, dtype, **kwargs):
        super().__init__(type(self).fn, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class Accuracy(_BuiltinMean):
    """Fraction of predictions exactly equal to the labels (use ``'accuracy'`` in ``compile``
    to get the right variant chosen from the loss)."""

    fn = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(_BuiltinMean):
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


class CategoricalAccuracy(_BuiltinMean):
    """Fraction of samples whose predicted arg-max matches the one-hot label."""

    fn = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(_BuiltinMean):
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


class TopKCategoricalAccuracy(_BuiltinMean):
    """Fraction of samples whose one-hot class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
    """

    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=int(k))


class SparseTopKCategoricalAccuracy(_BuiltinMean):
    """Fraction of samples whose integer class is among the ``k`` highest scores.

    Args:
        k: how many top scores count.
        name, dtype: see ``Metric``.
    """

    fn = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=int(k))


class MeanSquaredError(_BuiltinMean):
    """Mean squared error over all samples seen."""

    fn = staticmethod(_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(_BuiltinMean):
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
        y_true, y_pred = _same_shape("RootMeanSquaredError", _np(y_true), _np(y_pred))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def result(self):
        return math.sqrt(super().result())


# ----- confusion-matrix metrics ------------------------------------------------------------------
def _confusion_counts(y_pred, pos_w, neg_w, thresholds):
    """(tp, fp, fn, tn) per ascending threshold; a prediction is positive when > threshold.

    ``y_pred``, ``pos_w`` and ``neg_w`` are 1-D, or 2-D ``(N, L)`` for per-label counts, which
    then have shape ``(T, L)``.
    """
    nb = len(thresholds) + 1
    idx = np.searchsorted(thresholds, y_pred, side="left")  # thresholds strictly below each pred
    labels = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    if y_pred.ndim == 2:
        idx = idx + nb * np.arange(labels)
    idx = idx.ravel()

    def above(w):
        hist = np.bincount(idx, weights=w.ravel(), minlength=nb * labels).reshape(labels, nb)
        return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

    tp, fp = above(pos_w), above(neg_w)
    pos, neg = pos_w.sum(axis=0), neg_w.sum(axis=0)
    if y_pred.ndim == 1:
        tp, fp = tp[:, 0], fp[:, 0]
    return tp, fp, pos - tp, neg - fp


def _filter_top_k(x, k):
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: lower index first, as Keras
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, x, _NEG_INF)


class _PrecisionRecall(Metric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        t = (0.5 if top_k is None else _NEG_INF) if thresholds is None else thresholds
        t = np.asarray(t, dtype=np.float64)
        if thresholds is not None and ((t < 0).any() or (t > 1).any()):
            raise ValueError(f"{type(self).__name__}: threshold values must be in [0, 1]. "
                             f"Received: thresholds={thresholds}")
        self.thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self._single = t.ndim == 0
        self._order = np.argsort(t.ravel())
        self._sorted = t.ravel()[self._order]
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = np.zeros(self._sorted.size)
        self.false_positives = np.zeros(self._sorted.size)
        self.false_negatives = np.zeros(self._sorted.size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate true/false positives and false negatives of one batch."""
        name = type(self).__name__
        y_true, y_pred = _same_shape(name, _np(y_true), np.asarray(_np(y_pred), np.float64))
        w = np.ones(y_pred.shape) if sample_weight is None else _weights(sample_weight,
                                                                          y_pred.shape)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred, w = (a[..., self.class_id] for a in (y_true, y_pred, w))
        is_pos = y_true.astype(bool).ravel()
        w = w.ravel()
        tp, fp, fn, _ = _confusion_counts(y_pred.ravel(), w * is_pos, w * ~is_pos, self._sorted)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def _finish(self, values):
        out = np.empty_like(values)
        out[self._order] = values
        return float(out[0]) if self._single else out.tolist()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)``: the fraction of predicted positives that are positive.

    A prediction is positive when it is above the threshold (0.5 by default), or, with
    ``top_k``, among the ``k`` highest scores of its row.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a list of results.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column) of multi-class/multi-label outputs.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.Precision()(np.array([0, 1, 1, 1]), np.array([1.0, 1.0, 0.0, 0.0]))
        0.5
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives
        return self._finish(_div(tp, tp + self.false_positives))


class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)``: the fraction of positives predicted positive.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a list of results.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.Recall()(np.array([0, 1, 1, 1]), np.array([1.0, 0.0, 1.0, 1.0]))
        0.6666666666666666
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives
        return self._finish(_div(tp, tp + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from bucketed thresholds (as Keras).

    Predictions are counted against ``num_thresholds`` thresholds spread evenly over ``[0, 1]``;
    the area is a trapezoid sum (ROC) or the Davis-Goadrich interpolation (PR).

    Args:
        num_thresholds: number of thresholds (> 1).
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        name, dtype: see ``Metric``.
        thresholds: explicit interior thresholds (overrides ``num_thresholds``).
        multi_label: treat each column of a ``(N, L)`` output as its own label and average
            their AUCs (else all entries are pooled).
        num_labels: accepted for Keras compatibility (the count comes from the data).
        label_weights: optional per-label weights for the multi-label average.
        from_logits: apply a sigmoid to predictions first.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.AUC(num_thresholds=3)(np.array([0, 0, 1, 1]), np.array([0.0, 0.5, 0.3, 0.9]))
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve, method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: invalid curve {curve!r}; expected 'ROC' or 'PR'.")
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid summation_method {summation_method!r}; expected "
                             "'interpolation', 'minoring' or 'majoring'.")
        if thresholds is not None:
            interior = sorted(float(t) for t in thresholds)
            num_thresholds = len(interior) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1. Received: {num_thresholds}")
            interior = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = _losses.EPSILON
        self._thresholds = np.array([-eps] + interior + [1.0 + eps])
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, method
        self._init_thresholds = thresholds
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else list(label_weights)
        self.from_logits = bool(from_logits)
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self):
        """The thresholds used, endpoints included."""
        return self._thresholds.tolist()

    def reset_state(self):
        # Counts are created lazily: their shape depends on the number of labels.
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the per-threshold confusion counts of one batch."""
        y_true, y_pred = _same_shape("AUC", _np(y_true), np.asarray(_np(y_pred), np.float64))
        if self.from_logits:
            y_pred = _sigmoid(y_pred)
        w = np.ones(y_pred.shape) if sample_weight is None else _weights(sample_weight,
                                                                          y_pred.shape)
        y_true = y_true.astype(np.float64)
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC(multi_label=True) needs y_pred of shape (N, L); "
                                 f"received {y_pred.shape}.")
        else:
            y_true, y_pred, w = y_true.ravel(), y_pred.ravel(), w.ravel()
        counts = _confusion_counts(y_pred, y_true * w, (1.0 - y_true) * w, self._thresholds)
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.false_negatives, \
                self.true_negatives = counts
        else:
            self.true_positives = self.true_positives + counts[0]
            self.false_positives = self.false_positives + counts[1]
            self.false_negatives = self.false_negatives + counts[2]
            self.true_negatives = self.true_negatives + counts[3]

    def result(self):
        if self.true_positives is None:
            return 0.0
        tp, fp = self.true_positives, self.false_positives
        fn, tn = self.false_negatives, self.true_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            area = _interpolated_pr_auc(tp, fp, fn)
        else:
            recall = _div(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _div(fp, fp + tn), recall
            else:
                x, y = recall, _div(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            area = ((x[:-1] - x[1:]) * heights).sum(axis=0)
        if not self.multi_label:
            return float(area)
        if self.label_weights is None:
            return float(area.mean())
        lw = np.asarray(self.label_weights, dtype=np.float64)
        return float(_div((area * lw).sum(), lw.sum()))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self.label_weights, "from_logits": self.from_logits}
        if self._init_thresholds is not None:
            config["thresholds"] = list(self._init_thresholds)
        return config


def _interpolated_pr_auc(tp, fp, fn):
    """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006, as Keras)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    slope = _div(dtp, np.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.where(both, _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
    ratio = np.where(ratio > 0, ratio, 1.0)
    increments = _div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    return increments.sum(axis=0)


# ----- accuracy resolution, lookup and serialization ---------------------------------------------
class _InferredAccuracy(MeanMetricWrapper):
    """``'accuracy'`` whose variant (binary/sparse/categorical) is chosen from the first batch's
    shapes, as Keras does when the loss does not decide it."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(None, name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._fn is None:
            t, p = np.shape(_np(y_true)), np.shape(_np(y_pred))
            if len(p) <= 1 or p[-1] == 1:
                self._fn = binary_accuracy
            elif len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1):
                self._fn = sparse_categorical_accuracy
            else:
                self._fn = categorical_accuracy
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _accuracy_for(name, loss, output_shape):
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


_CLASSES = (Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
            MeanAbsoluteError, RootMeanSquaredError, Precision, Recall, AUC)
_ALIASES = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError, "root_mean_squared_error": RootMeanSquaredError,
    "auc": AUC, "precision": Precision, "recall": Recall,
}
_REGISTRY = {cls.__name__: cls for cls in _CLASSES}


def _loss_metric(loss, name):
    def per_sample(y_true, y_pred):
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float32)
        return loss.call(y_true, Tensor(y_pred)).data

    per_sample.__name__ = name
    return MeanMetricWrapper(per_sample, name=name)


def serialize(metric):
    """Return the Keras 3 config dict of a built-in metric instance."""
    if not isinstance(metric, _CLASSES):
        raise ValueError(f"Cannot serialize {metric!r}: only numdeep's built-in metrics have a "
                         "portable config.")
    return {"module": "keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Build a metric from a Keras config dict ``{'class_name': ..., 'config': ...}``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with a 'class_name' key. Received: {config!r}")
    registry = _REGISTRY | dict(custom_objects or {})
    if config["class_name"] not in registry:
        raise ValueError(f"Unknown metric class {config['class_name']!r}. Known classes: "
                         f"{', '.join(sorted(_REGISTRY))}.")
    return registry[config["class_name"]].from_config(dict(config.get("config") or {}))


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
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, _losses.Loss):
        return _loss_metric(identifier, identifier.name)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_for(identifier, loss, output_shape)
        if identifier in _REGISTRY:
            return _REGISTRY[identifier]()
        if identifier in _ALIASES:
            return _ALIASES[identifier](name=identifier)
        if identifier == "cosine_similarity":
            return MeanMetricWrapper(_cosine_similarity, name=identifier)
        try:
            return _loss_metric(_losses.get(identifier), identifier)
        except ValueError:
            known = sorted(set(_ALIASES) | {"accuracy", "acc", "cosine_similarity"})
            raise ValueError(f"Unknown metric {identifier!r}. Known names: {', '.join(known)}, "
                             "any loss name, or a class name such as 'AUC'.") from None
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
