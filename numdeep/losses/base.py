"""The ``Loss`` base class, ``LossFunctionWrapper``, input standardization and the reductions.

Conventions every loss follows:
    * Shapes are never broadcast silently: ``y_true`` must have ``y_pred``'s shape, except that a
      trailing axis of size 1 may be added or dropped (``(N,)`` vs ``(N, 1)``), as in Keras.
    * For rank-1 predictions ``(N,)`` each element is one sample (Keras would average the whole
      batch into one value; the reduced loss is the same).
    * Label problems (one-hot labels for the sparse loss, class ids out of range, ...) raise a
      ``ValueError`` naming the loss, the expected label format and the offending values.
"""

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.backend import floatx, xp_of
from numdeep.ops import eager as ops

EPSILON = 1e-7


REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----- input standardization ---------------------------------------------------------------------
def to_pred(y_pred, dtype=None):
    if not isinstance(y_pred, Tensor):
        data = xp_of(y_pred).asarray(y_pred)
        if data.dtype.kind != "f":
            data = data.astype(floatx())
        y_pred = ops.as_tensor(data)
    if dtype is not None and y_pred.dtype != dtype:
        y_pred = y_pred.astype(dtype)
    return y_pred


def to_true(y_true, y_pred):
    if isinstance(y_true, Tensor):
        y_true = y_true.data
    return xp_of(y_pred.data).asarray(y_true)


def float_true(name, y_true, y_pred):
    y = to_true(y_true, y_pred)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name}: y_true must be numeric; received dtype {y.dtype}.")
    return y if y.dtype == y_pred.dtype else y.astype(y_pred.dtype)


def match_shape(name, y, shape):
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


def prepare(name, y_true, y_pred):
    y_pred = to_pred(y_pred)
    return match_shape(name, float_true(name, y_true, y_pred), y_pred.shape), y_pred


def mean_last(x, axis=-1):
    return x if x.ndim <= 1 else ops.mean(x, axis=axis)


def check_range(name, y, lo, hi, expected):
    if y.size:
        ymin, ymax = y.min(), y.max()
        if ymin < lo or ymax > hi:
            raise ValueError(f"{name} expects {expected}; received labels with min {ymin} and "
                             f"max {ymax}.")


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


class Loss(registry.Configurable):
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
        y_pred = to_pred(y_pred, self.dtype)
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
        y = float_true(self.name, y_true, y_pred)
        try:
            y = match_shape(self.name, y, y_pred.shape)
        except ValueError:
            pass  # a custom loss may pair other shapes on purpose
        out = self.fn(y, y_pred, **self._fn_kwargs)
        return out if isinstance(out, Tensor) else ops.as_tensor(out)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, **self._fn_kwargs}
