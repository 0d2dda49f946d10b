"""Loss functions with Keras 3 names, arguments, defaults and reductions.

Every loss comes as a function (``mean_squared_error(y_true, y_pred)``) returning per-sample losses
(averaged over the last axis where Keras does so) and as a class (``MeanSquaredError()``) whose
call adds ``sample_weight`` and the reduction. ``y_true`` is data (a NumPy array or array-like);
``y_pred`` is a Tensor (arrays are accepted) and the result is differentiable with respect to it.

Conventions:
    * Shapes are never broadcast silently: ``y_true`` must have ``y_pred``'s shape, except that a
      trailing axis of size 1 may be added or dropped (``(N,)`` vs ``(N, 1)``), as in Keras.
    * For rank-1 predictions ``(N,)`` each element is one sample (Keras would average the whole
      batch into one value; the reduced loss is the same).
    * Probability inputs are clipped to ``[1e-7, 1 - 1e-7]`` once; ``from_logits=True`` uses the
      fused log-sum-exp ops, finite for any finite logits. NaN predictions give a NaN loss.
    * Label problems (one-hot labels for the sparse loss, class ids out of range, ...) raise a
      ``ValueError`` naming the loss, the expected label format and the offending values.

Example:
    >>> import numpy as np
    >>> from numdeep import losses
    >>> loss = losses.get("sparse_categorical_crossentropy")
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]], dtype="float32")
    >>> round(loss(np.array([0, 1]), probs).item(), 4)
    0.1643
"""

import math

import numpy as np

from numdeep import ops
from numdeep.autograd import Tensor
from numdeep.backend import floatx, xp_of

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity", "reduce_weighted_values",
    "get", "serialize", "deserialize",
]

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----- input standardization ---------------------------------------------------------------------
def _to_pred(y_pred, dtype=None):
    if not isinstance(y_pred, Tensor):
        data = xp_of(y_pred).asarray(y_pred)
        if data.dtype.kind != "f":
            data = data.astype(floatx())
        y_pred = ops.as_tensor(data)
    if dtype is not None and y_pred.dtype != dtype:
        y_pred = y_pred.astype(dtype)
    return y_pred


def _to_true(y_true, y_pred):
    if isinstance(y_true, Tensor):
        y_true = y_true.data
    return xp_of(y_pred.data).asarray(y_true)


def _float_true(name, y_true, y_pred):
    y = _to_true(y_true, y_pred)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name}: y_true must be numeric; received dtype {y.dtype}.")
    return y if y.dtype == y_pred.dtype else y.astype(y_pred.dtype)


def _match_shape(name, y, shape):
    """Return ``y`` reshaped to ``shape`` when only a trailing size-1 axis differs, else raise."""
    if y.shape == shape:
        return y
    if (y.shape[:-1] == shape and y.shape[-1:] == (1,)) or (
            y.shape == shape[:-1] and shape[-1:] == (1,)):
        return y.reshape(shape)
    raise ValueError(
        f"{name}: y_true shape {y.shape} is incompatible with y_pred shape {shape}. The shapes "
        "must be equal, except that a trailing axis of size 1 may differ (e.g. (N,) vs (N, 1)); "
        "other differences are refused rather than broadcast (which could turn (N,) vs (N, 1) "
        "into an (N, N) loss)."
    )


def _prepare(name, y_true, y_pred):
    y_pred = _to_pred(y_pred)
    return _match_shape(name, _float_true(name, y_true, y_pred), y_pred.shape), y_pred


def _mean_last(x, axis=-1):
    return x if x.ndim <= 1 else ops.mean(x, axis=axis)


def _check_range(name, y, lo, hi, expected):
    if y.size:
        ymin, ymax = y.min(), y.max()
        if ymin < lo or ymax > hi:
            raise ValueError(f"{name} expects {expected}; received labels with min {ymin} and "
                             f"max {ymax}.")


# ----- regression losses -------------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_pred - y_true) ** 2`` over the last axis.

    Args:
        y_true: targets, shape of ``y_pred`` (a trailing size-1 axis may differ).
        y_pred: predictions (Tensor).

    Returns:
        Per-sample losses, shape ``y_pred.shape[:-1]`` (rank-1 input: one loss per element).
    """
    y_true, y_pred = _prepare("MeanSquaredError", y_true, y_pred)
    return _mean_last(ops.square(y_pred - y_true))


def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_pred - y_true|`` over the last axis (see ``mean_squared_error``)."""
    y_true, y_pred = _prepare("MeanAbsoluteError", y_true, y_pred)
    return _mean_last(ops.abs(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` over the last axis."""
    y_true, y_pred = _prepare("MeanAbsolutePercentageError", y_true, y_pred)
    scale = 100.0 / np.maximum(np.abs(y_true), EPSILON)
    return _mean_last(ops.abs((y_pred - y_true) * scale))


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2`` (last axis)."""
    y_true, y_pred = _prepare("MeanSquaredLogarithmicError", y_true, y_pred)
    log_true = np.log(np.maximum(y_true, EPSILON) + 1.0)
    return _mean_last(ops.square(ops.log(ops.maximum(y_pred, EPSILON) + 1.0) - log_true))


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 e**2`` for ``|e| <= delta``, else ``delta * (|e| - 0.5 delta)``.

    Args:
        y_true: targets.
        y_pred: predictions (Tensor).
        delta: where the loss changes from quadratic to linear.

    Returns:
        Per-sample losses (mean over the last axis).
    """
    y_true, y_pred = _prepare("Huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return _mean_last(ops.where(abs_error.data <= delta, quadratic, linear))


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, stable for large errors."""
    y_true, y_pred = _prepare("LogCosh", y_true, y_pred)
    x = y_pred - y_true
    # NOTE: log(cosh(x)) = x + softplus(-2x) - log(2) never overflows, unlike cosh(x).
    return _mean_last(x + ops.softplus(-2.0 * x) - math.log(2.0))


def poisson(y_true, y_pred):
    """Mean of ``y_pred - y_true * log(y_pred + 1e-7)`` over the last axis."""
    y_true, y_pred = _prepare("Poisson", y_true, y_pred)
    return _mean_last(y_pred - y_true * ops.log(y_pred + EPSILON))


def _hinge_labels(y):
    # Keras converts {0, 1} labels to {-1, 1}; other labels are used as given.
    return 2.0 * y - 1.0 if bool(((y == 0) | (y == 1)).all()) else y


def hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = _prepare("Hinge", y_true, y_pred)
    return _mean_last(ops.relu(1.0 - _hinge_labels(y_true) * y_pred))


def squared_hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the last axis."""
    y_true, y_pred = _prepare("SquaredHinge", y_true, y_pred)
    return _mean_last(ops.square(ops.relu(1.0 - _hinge_labels(y_true) * y_pred)))


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis."""
    y_true, y_pred = _prepare("CategoricalHinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(neg - pos + 1.0)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to ``[1e-7, 1]``."""
    y_true, y_pred = _prepare("KLDivergence", y_true, y_pred)
    y_true = np.clip(y_true, EPSILON, 1.0)
    return ops.sum(y_true * (np.log(y_true) - ops.log(ops.clip(y_pred, EPSILON, 1.0))), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis`` (-1 = same direction, 1 = opposite).

    Args:
        y_true: targets.
        y_pred: predictions (Tensor).
        axis: the axis holding the vectors.

    Returns:
        Per-sample losses (``axis`` reduced).
    """
    y_true, y_pred = _prepare("CosineSimilarity", y_true, y_pred)
    tiny = EPSILON * EPSILON  # norms are clamped at 1e-7, as Keras's l2 normalization does
    t = y_true / np.sqrt(np.maximum(np.sum(y_true * y_true, axis=axis, keepdims=True), tiny))
    sq = ops.sum(ops.square(y_pred), axis=axis, keepdims=True)
    return -ops.sum(t * (y_pred / ops.sqrt(ops.maximum(sq, tiny))), axis=axis)


# ----- cross-entropies ---------------------------------------------------------------------------
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    Args:
        y_true: labels in ``[0, 1]``, shape of ``y_pred`` (a trailing size-1 axis may differ).
        y_pred: probabilities, or logits when ``from_logits=True`` (Tensor).
        from_logits: whether ``y_pred`` holds logits (stable fused path).
        label_smoothing: ``y_true * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.

    Returns:
        Per-sample losses.
    """
    name = "BinaryCrossentropy"
    y_true, y_pred = _prepare(name, y_true, y_pred)
    _check_range(name, y_true, 0, 1, "labels in [0, 1] (use hinge for -1/1 labels, "
                 "sparse_categorical_crossentropy for class ids)")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = ops.sigmoid_binary_cross_entropy(y_pred, y_true)
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return _mean_last(values, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Args:
        y_true: one-hot or probability labels with ``y_pred``'s shape.
        y_pred: probabilities (renormalized over ``axis``, as Keras does), or logits when
            ``from_logits=True`` (Tensor).
        from_logits: whether ``y_pred`` holds logits (stable fused log-sum-exp path).
        label_smoothing: ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis.

    Returns:
        Per-sample losses (``axis`` reduced).
    """
    name = "CategoricalCrossentropy"
    y_pred = _to_pred(y_pred)
    y_true = _to_true(y_true, y_pred)
    shape = y_pred.shape
    if y_true.shape != shape:
        if y_true.shape == shape[:-1] or (y_true.shape == shape[:-1] + (1,) and shape[-1] > 1):
            raise ValueError(
                f"{name} expects one-hot labels with the shape of y_pred {shape}; received "
                f"labels of shape {y_true.shape}, which look like integer class ids. Use "
                "loss='sparse_categorical_crossentropy' for integer labels, or one-hot encode "
                "them with numdeep.utils.to_categorical."
            )
        raise ValueError(f"{name} expects one-hot labels with the shape of y_pred {shape}; "
                         f"received labels of shape {y_true.shape}.")
    y_true = _float_true(name, y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / shape[axis]
    if from_logits:
        if axis in (-1, y_pred.ndim - 1):
            return ops.softmax_cross_entropy(y_pred, y_true)
        log_prob = ops.log_softmax(y_pred, axis=axis)
    else:
        p = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
        log_prob = ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))
    return -ops.sum(y_true * log_prob, axis=axis)


def _sparse_labels(name, y, shape, ignore_class):
    """Validate integer class ids for ``y_pred`` of ``shape``; return them as an integer array."""
    num_classes = shape[-1]
    if y.shape == shape and num_classes > 1:
        raise ValueError(
            f"{name} expects integer class ids of shape {shape[:-1]}; received labels of shape "
            f"{y.shape}, the shape of y_pred, which look one-hot encoded. Use "
            "loss='categorical_crossentropy' for one-hot labels, or pass y.argmax(-1)."
        )
    if y.ndim == len(shape) and y.shape[-1:] == (1,):
        y = y.reshape(y.shape[:-1])
    if y.shape != shape[:-1]:
        raise ValueError(f"{name} expects integer class ids of shape {shape[:-1]} (or "
                         f"{shape[:-1] + (1,)}) for y_pred of shape {shape}; received labels of "
                         f"shape {y.shape}.")
    if y.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            ids = y.astype(np.intp)
        bad = ids != y
        if bad.any():
            raise ValueError(f"{name} expects integer class ids; received non-integer label "
                             f"values such as {np.unique(y[bad])[:5].tolist()}.")
        y = ids
    elif y.dtype.kind == "b":
        y = y.astype(np.intp)  # a boolean array would index as a mask
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{name} expects integer class ids; received labels of dtype {y.dtype}.")
    valid = y if ignore_class is None else y[y != ignore_class]
    if valid.size and (valid.min() < 0 or valid.max() >= num_classes):
        bad = valid[(valid < 0) | (valid >= num_classes)]
        raise ValueError(
            f"{name}: class ids must be in [0, {num_classes}) because y_pred has {num_classes} "
            f"classes (last axis of shape {shape}); received out-of-range labels with min "
            f"{bad.min()} and max {bad.max()}. Check the number of output units, or shift "
            "1-based labels to start at 0."
        )
    return y


def _sparse_ce(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample sparse cross-entropy and the mask of counted entries (None: all count)."""
    name = "SparseCategoricalCrossentropy"
    y_pred = _to_pred(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"{name} supports only axis=-1 (classes last); received axis={axis}.")
    if y_pred.ndim == 0:
        raise ValueError(f"{name} needs y_pred of rank >= 1; received a scalar.")
    labels = _sparse_labels(name, _to_true(y_true, y_pred), y_pred.shape, ignore_class)
    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = labels * mask
    if from_logits:
        values = ops.sparse_softmax_cross_entropy(y_pred, labels)
    else:
        # One fused op: renormalise by the row sum as Keras does (so a NaN anywhere in a row
        # reaches the loss), clip once, log; the tutorial's softmax + sparse CE hot path.
        values = ops.sparse_cross_entropy_from_probs(y_pred, labels, EPSILON)
    if mask is not None:
        values = values * mask.astype(values.dtype)
    return values, mask


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy between integer class ids and predicted class probabilities.

    Args:
        y_true: integer class ids of shape ``y_pred.shape[:-1]`` (or with a trailing 1).
        y_pred: probabilities (e.g. a softmax output), or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits (stable fused path).
        ignore_class: a label value whose entries contribute 0 (and are not counted).
        axis: the class axis; only -1 is supported.

    Returns:
        Per-sample losses of shape ``y_pred.shape[:-1]``.
    """
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis)[0]


# ----- reduction ---------------------------------------------------------------------------------
def _weights_like(sample_weight, values):
    w = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    w = xp_of(values.data).asarray(w, dtype=values.dtype)
    given = w.shape
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    elif 0 < w.ndim < values.ndim:
        w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    try:
        ok = np.broadcast_shapes(w.shape, values.shape) == values.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"sample_weight of shape {given} cannot weight per-sample losses of "
                         f"shape {values.shape}; pass one weight per sample, shape "
                         f"{values.shape[:1]}.")
    return w


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size",
                           mask=None):
    """Weight per-sample losses and reduce them (Keras semantics).

    Args:
        values: per-sample losses (Tensor).
        sample_weight: optional weights broadcastable per sample (``(N,)``, ``(N, 1)``, ...).
        reduction: ``'sum_over_batch_size'``/``'mean'`` (weighted sum / number of losses),
            ``'sum'``, ``'mean_with_sample_weight'`` (weighted sum / sum of weights), or
            ``'none'``/``None``.
        mask: optional boolean array of counted entries; ``'sum_over_batch_size'`` then divides
            by the number of counted entries.

    Returns:
        A scalar Tensor, or the weighted per-sample Tensor for ``'none'``.
    """
    weights = None if sample_weight is None else _weights_like(sample_weight, values)
    if mask is not None:
        m = mask.astype(values.dtype)
        weights = m if weights is None else weights * m
    if weights is not None:
        values = values * weights
    if reduction is None or reduction == "none":
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(xp_of(weights).broadcast_to(weights, values.shape).sum())
    elif mask is not None:
        divisor = float(mask.sum())
    else:
        divisor = values.size
    return total * (1.0 / divisor) if divisor else total * 0.0


# ----- classes -----------------------------------------------------------------------------------
def _snake(name):
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out


class Loss:
    """Base class of losses: per-sample ``call`` plus sample weighting and reduction.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses (a Tensor).

    Args:
        name: the loss name (defaults to the snake_case class name).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'`` or ``'none'``/``None``.
        dtype: optional float dtype to compute in (``y_pred`` is cast to it).

    Call arguments:
        y_true: targets (array-like; not differentiated).
        y_pred: predictions (Tensor).
        sample_weight: optional per-sample weights, e.g. shape ``(N,)``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> class Quartic(losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 4).mean(axis=-1)
        >>> Quartic()(np.zeros((2, 1)), np.array([[1.0], [2.0]])).item()
        8.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: invalid reduction {reduction!r}; expected "
                             f"one of {REDUCTIONS}.")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = None if dtype is None else np.dtype(dtype).name

    def __call__(self, y_true, y_pred, sample_weight=None):
        # A padding mask on the prediction leaves padded steps out of the loss, as in Keras.
        keras_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _to_pred(y_pred, self.dtype)
        values, mask = self._call_with_mask(y_true, y_pred)
        if keras_mask is not None and np.shape(keras_mask) == values.shape:
            keras_mask = np.asarray(keras_mask, dtype=bool)
            mask = keras_mask if mask is None else mask & keras_mask
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        """Return the per-sample losses (a Tensor)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        """Return the constructor arguments."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Build the loss from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """Wrap a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses as a Loss.

    ``y_true`` reaches ``fn`` as an array of ``y_pred``'s dtype, a trailing size-1 axis adjusted
    to ``y_pred``'s shape where that makes the shapes equal.

    Args:
        fn: the loss function.
        reduction: see ``Loss``.
        name: defaults to ``fn.__name__``.
        dtype: see ``Loss``.
        **kwargs: extra keyword arguments for ``fn``.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"LossFunctionWrapper needs a callable; received {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y = _float_true(self.name, y_true, y_pred)
        try:
            y = _match_shape(self.name, y, y_pred.shape)
        except ValueError:
            pass  # a custom loss may pair other shapes on purpose
        out = self.fn(y, y_pred, **self._fn_kwargs)
        return out if isinstance(out, Tensor) else ops.as_tensor(out)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, **self._fn_kwargs}


class _Builtin(Loss):
    """A numdeep loss: the class form of a module-level loss function ``fn``."""

    fn = None

    def __init__(self, reduction, name, dtype, **fn_kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


_R = "sum_over_batch_size"


class MeanSquaredError(_Builtin):
    """Mean of squared errors (``'mse'``); see ``mean_squared_error``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> losses.MeanSquaredError()(np.array([[0.0], [1.0]]), np.array([[1.0], [3.0]])).item()
        2.5
    """

    fn = staticmethod(mean_squared_error)

    def __init__(self, reduction=_R, name="mean_squared_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsoluteError(_Builtin):
    """Mean of absolute errors (``'mae'``); see ``mean_absolute_error``."""

    fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction=_R, name="mean_absolute_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsolutePercentageError(_Builtin):
    """Mean absolute percentage error (``'mape'``); see ``mean_absolute_percentage_error``."""

    fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction=_R, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanSquaredLogarithmicError(_Builtin):
    """Mean squared logarithmic error (``'msle'``); see ``mean_squared_logarithmic_error``."""

    fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction=_R, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction, name, dtype)


class Huber(_Builtin):
    """Huber loss, quadratic near 0 and linear beyond ``delta``; see ``huber``.

    Args:
        delta: the switch point (> 0).
        reduction, name, dtype: see ``Loss``.
    """

    fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction=_R, name="huber_loss", dtype=None):
        if not delta > 0:
            raise ValueError(f"Huber: `delta` must be > 0. Received: delta={delta}")
        super().__init__(reduction, name, dtype, delta=float(delta))


class LogCosh(_Builtin):
    """Logarithm of the hyperbolic cosine of the error; see ``log_cosh``."""

    fn = staticmethod(log_cosh)

    def __init__(self, reduction=_R, name="log_cosh", dtype=None):
        super().__init__(reduction, name, dtype)


def _check_smoothing(who, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: `label_smoothing` must be in [0, 1]. "
                         f"Received: label_smoothing={label_smoothing}")
    return float(label_smoothing)


class BinaryCrossentropy(_Builtin):
    """Binary cross-entropy for labels in ``[0, 1]``; see ``binary_crossentropy``.

    Args:
        from_logits: whether predictions are logits (recommended: stable fused path).
        label_smoothing: float in ``[0, 1]``; labels become ``y * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> bce = losses.BinaryCrossentropy(from_logits=True)
        >>> round(bce(np.array([1.0, 0.0]), np.array([2.0, -1.0])).item(), 4)
        0.2201
    """

    fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_R,
                 name="binary_crossentropy", dtype=None):
        label_smoothing = _check_smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(reduction, name, dtype, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_Builtin):
    """Cross-entropy for one-hot (or soft) labels; see ``categorical_crossentropy``.

    Args:
        from_logits: whether predictions are logits.
        label_smoothing: float in ``[0, 1]``; labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis.
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> cce = losses.CategoricalCrossentropy()
        >>> round(cce(np.array([[0, 1, 0]]), np.array([[0.05, 0.9, 0.05]])).item(), 4)
        0.1054
    """

    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_R,
                 name="categorical_crossentropy", dtype=None):
        label_smoothing = _check_smoothing("CategoricalCrossentropy", label_smoothing)
        super().__init__(reduction, name, dtype, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Builtin):
    """Cross-entropy for integer class ids; see ``sparse_categorical_crossentropy``.

    With ``ignore_class``, entries with that label contribute 0 and the default reduction
    averages over the remaining entries only.

    Args:
        from_logits: whether predictions are logits.
        ignore_class: optional label value to ignore (e.g. a padding id).
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> scce = losses.SparseCategoricalCrossentropy(from_logits=True)
        >>> round(scce(np.array([2]), np.array([[1.0, 1.0, 3.0]])).item(), 4)
        0.2395
    """

    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, ignore_class=None, reduction=_R,
                 name="sparse_categorical_crossentropy", dtype=None):
        if ignore_class is not None:
            ignore_class = int(ignore_class)
        super().__init__(reduction, name, dtype, from_logits=bool(from_logits),
                         ignore_class=ignore_class)

    def _call_with_mask(self, y_true, y_pred):
        return _sparse_ce(y_true, y_pred, **self._fn_kwargs)


class KLDivergence(_Builtin):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``; see ``kl_divergence``."""

    fn = staticmethod(kl_divergence)

    def __init__(self, reduction=_R, name="kl_divergence", dtype=None):
        super().__init__(reduction, name, dtype)


class Poisson(_Builtin):
    """Poisson negative log-likelihood (up to a constant); see ``poisson``."""

    fn = staticmethod(poisson)

    def __init__(self, reduction=_R, name="poisson", dtype=None):
        super().__init__(reduction, name, dtype)


class Hinge(_Builtin):
    """Hinge loss for labels ``-1/1`` (``0/1`` are converted); see ``hinge``."""

    fn = staticmethod(hinge)

    def __init__(self, reduction=_R, name="hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class SquaredHinge(_Builtin):
    """Squared hinge loss; see ``squared_hinge``."""

    fn = staticmethod(squared_hinge)

    def __init__(self, reduction=_R, name="squared_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class CategoricalHinge(_Builtin):
    """Categorical hinge loss for one-hot labels; see ``categorical_hinge``."""

    fn = staticmethod(categorical_hinge)

    def __init__(self, reduction=_R, name="categorical_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class CosineSimilarity(_Builtin):
    """Negative cosine similarity along ``axis``; see ``cosine_similarity``.

    Args:
        axis: the axis holding the vectors.
        reduction, name, dtype: see ``Loss``.
    """

    fn = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction=_R, name="cosine_similarity", dtype=None):
        super().__init__(reduction, name, dtype, axis=axis)


# ----- lookup and serialization ------------------------------------------------------------------
_CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
            SquaredHinge, CategoricalHinge, CosineSimilarity)
_FN_TO_CLASS = {cls.fn: cls for cls in _CLASSES}
_ALIASES = {fn.__name__: cls for fn, cls in _FN_TO_CLASS.items()} | {
    "mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError, "huber_loss": Huber, "logcosh": LogCosh,
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "kld": KLDivergence,
    "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
}
_REGISTRY = {cls.__name__: cls for cls in _CLASSES} | _ALIASES


def serialize(loss):
    """Return the Keras 3 config dict of a numdeep loss.

    Args:
        loss: a built-in ``Loss`` instance.

    Returns:
        ``{'module': 'keras.losses', 'class_name': ..., 'config': ..., 'registered_name': None}``.
    """
    if not isinstance(loss, _CLASSES):
        raise ValueError(f"Cannot serialize {loss!r}: only numdeep's built-in losses have a "
                         "portable config.")
    return {"module": "keras.losses", "class_name": type(loss).__name__,
            "config": loss.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Build a loss from a Keras config dict ``{'class_name': ..., 'config': ...}``.

    Only registered classes (and ``custom_objects``) are built; a Keras function entry
    (``{'class_name': 'function', 'config': 'mse'}``) resolves by name.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with a 'class_name' key. Received: {config!r}")
    inner = config.get("config")
    if config["class_name"] == "function" and isinstance(inner, str):
        return get(inner, custom_objects)
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(inner or {}))


def _lookup(name, custom_objects=None):
    registry = _REGISTRY | dict(custom_objects or {})
    if name not in registry:
        known = sorted(k for k in _REGISTRY if k[0].islower())
        raise ValueError(f"Unknown loss: {name!r}. Known names: {', '.join(known)} (or the class "
                         "names, e.g. 'SparseCategoricalCrossentropy').")
    return registry[name]


def get(identifier, custom_objects=None):
    """Resolve a loss from a name, config dict, instance, class or function.

    Args:
        identifier: ``None`` (returns None); a string (``'mse'``,
            ``'sparse_categorical_crossentropy'``, ``'MeanSquaredError'``, ...); a Keras config
            dict; a ``Loss`` instance (returned as is) or class (instantiated); or a callable
            ``fn(y_true, y_pred)`` returning per-sample losses (wrapped in
            ``LossFunctionWrapper``; numdeep's own loss functions map to their classes).
        custom_objects: optional ``{name: Loss subclass}`` extra names.

    Returns:
        A ``Loss`` instance.

    Example:
        >>> from numdeep import losses
        >>> losses.get("mse")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size', dtype=None)
        >>> losses.get("binary_crossentropy").get_config()["from_logits"]
        False
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        cls = _lookup(identifier, custom_objects)
        return cls() if isinstance(cls, type) else get(cls)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        cls = _FN_TO_CLASS.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
