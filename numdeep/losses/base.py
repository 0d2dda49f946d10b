"""The ``Loss`` base class, ``LossFunctionWrapper``, input standardization and the reductions.

Conventions every loss follows:
    * Shapes are never broadcast silently: ``y_true`` must have ``y_pred``'s shape, except that a
      trailing axis of size 1 may be added or dropped (``(N,)`` vs ``(N, 1)``), as in Keras.
    * For rank-1 predictions ``(N,)`` each element is one sample (Keras would average the whole
      batch into one value; the reduced loss is the same).
    * Label problems (one-hot labels for the sparse loss, class ids out of range, ...) raise a
      ``ValueError`` naming the loss, the expected label format and the offending values.
"""

import re

import numpy as np

from numdeep import registry, tree
from numdeep.autograd import Tensor
from numdeep.autograd.function import NoGradient
from numdeep.autograd.primitives.movement import Reshape
from numdeep.backend import floatx, unique_name, xp_of
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
        f"{name}: `y_true` and `y_pred` must have the same shape; received y_true shape "
        f"{y.shape} and y_pred shape {shape}. Only a trailing axis of size 1 may differ (e.g. "
        "(N,) vs (N, 1)); other differences are refused rather than broadcast (which could turn "
        "(N,) vs (N, 1) into an (N, N) loss)."
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


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank alignment of two tensors whose ranks differ by one: the longer one loses a
    trailing axis of size 1, or, when the other is rank 1 (and ``expand_rank_1``), that one gains
    it. Other pairs are returned unchanged.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> a, b = losses.squeeze_or_expand_to_same_rank(np.ones((3, 2, 1)), np.ones((3, 2)))
        >>> a.shape, b.shape
        ((3, 2), (3, 2))
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


# ----- reduction ---------------------------------------------------------------------------------
def _weights_like(sample_weight, values):
    w = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    w = xp_of(values.data).asarray(w, dtype=values.dtype)
    given = shape = w.shape
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        shape = w.shape[:-1]
    elif 0 < w.ndim < values.ndim:
        shape = w.shape + (1,) * (values.ndim - w.ndim)
    try:
        ok = np.broadcast_shapes(shape, values.shape) == values.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"sample_weight of shape {given} cannot weight per-sample losses of "
                         f"shape {values.shape}; pass one weight per sample, shape "
                         f"{values.shape[:1]}.")
    # The reshape is an op: a training plan then weights each batch with its own weights (a
    # reshaped view made with NumPy would be a new, batch-sized array outside the ops).
    return w if shape == given else Reshape.apply(w, shape=shape)


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
    by_weight = reduction == "mean_with_sample_weight" and weights is not None
    counted = weights if by_weight else mask
    if isinstance(counted, Tensor):
        # Weights or a mask made by ops: the divisor they give stays inside an op too, so a
        # training plan computes it again for each batch (a Python float would be frozen).
        return total * InverseTotal.apply(counted, shape=values.shape, dtype=values.dtype)
    if by_weight:
        divisor = float(xp_of(weights).broadcast_to(weights, values.shape).sum())
    elif mask is not None:
        divisor = float(mask.sum())
    else:
        divisor = values.size
    return total * (1.0 / divisor) if divisor else total * 0.0


def _aligned_mask(mask, shape):
    """A prediction's padding mask as a boolean Tensor of the losses' ``shape`` (a trailing
    size-1 axis dropped or added); ``None`` when it does not describe these losses."""
    given = tuple(np.shape(mask.data if isinstance(mask, Tensor) else mask))
    if given == shape or (given[-1:] == (1,) and given[:-1] == shape) or \
            (shape[-1:] == (1,) and given == shape[:-1]):
        return AlignedMask.apply(mask, shape=shape)
    return None


class AlignedMask(NoGradient):
    """A Keras mask as booleans of the losses' ``shape`` (the same entries, reshaped). An op,
    so that a training plan masks each batch's losses with that batch's mask."""

    def forward(self, mask):
        return self.xp.asarray(mask, dtype=bool).reshape(self.shape)


class BothMasks(NoGradient):
    """Entries counted by both masks (a loss's own mask and the prediction's Keras mask)."""

    def forward(self, a, b):
        return self.xp.logical_and(a, b)


class InverseTotal(NoGradient):
    """``1 / sum(counted)`` (counted broadcast to ``shape``) as a 0-d array of ``dtype``, 0
    when the sum is 0: the factor of a masked mean. Computed as the eager reduction computes
    it, a Python float divided in double precision, so both give the same bits."""

    def forward(self, counted):
        divisor = float(self.xp.broadcast_to(counted, self.shape).sum()) \
            if counted.dtype != bool else float(counted.sum())
        return self.xp.asarray(1.0 / divisor if divisor else 0.0, dtype=self.dtype)


# ----- classes -----------------------------------------------------------------------------------
def _snake(name):
    # Keras's to_snake_case: "CTC" -> "ctc", "MeanSquaredError" -> "mean_squared_error".
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Loss(registry.Configurable):
    """Base class of losses: per-sample ``call`` plus sample weighting and reduction.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses (a Tensor).

    Args:
        name: the loss name (defaults to the snake_case class name).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'`` or ``'none'``/``None``.
        dtype: the float dtype to compute in (``y_pred`` and numeric labels are cast to it);
            default ``floatx()``, as in Keras.

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
            raise ValueError(f"{type(self).__name__}: Invalid value for argument `reduction`. "
                             f"Expected one of {REDUCTIONS}. Received: reduction={reduction!r}")
        self.name = name or unique_name(_snake(type(self).__name__))
        self.reduction = reduction
        self._dtype = None if dtype is None else np.dtype(getattr(dtype, "name", dtype)).name

    @property
    def dtype(self):
        """The dtype the loss computes in (predictions are cast to it): the one given, else
        ``floatx()``."""
        return self._dtype or floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        if tree.is_nested(y_pred):
            # One loss over a structure of outputs (a custom function given for a tuple or
            # dict of outputs): every leaf is converted, the function sees the structure.
            y_pred = tree.map_structure(lambda p: to_pred(p, self.dtype), y_pred)
            y_true = tree.map_structure(_true_like, y_true, y_pred)
            values = self.call(y_true, y_pred)
            return reduce_weighted_values(values, sample_weight, self.reduction, None)
        # A padding mask on the prediction leaves padded steps out of the loss, as in Keras.
        keras_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = to_pred(y_pred, self.dtype)
        values, mask = self._call_with_mask(y_true, y_pred)
        if keras_mask is not None:
            keras_mask = _aligned_mask(keras_mask, values.shape)
            if keras_mask is not None:
                mask = keras_mask if mask is None else BothMasks.apply(mask, keras_mask)
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def _call_with_mask(self, y_true, y_pred):
        # As in Keras, a subclass's call sees numeric labels in the loss's dtype.
        y = xp_of(y_pred.data).asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
        if y.dtype.kind in "biuf":
            y = y.astype(y_pred.dtype, copy=False)
            y_true = Tensor(y) if isinstance(y_true, Tensor) else y
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        """Return the per-sample losses (a Tensor)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        """Return the Keras config: ``name`` and ``reduction`` (Keras keeps no dtype there)."""
        return {"name": self.name, "reduction": self.reduction}


def _true_like(y_true, y_pred):
    """A label leaf as an array of its prediction's dtype (numeric labels only)."""
    y = xp_of(y_pred.data).asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    return y.astype(y_pred.dtype, copy=False) if y.dtype.kind in "biuf" else y


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
        if tree.is_nested(y_pred):
            out = self.fn(y_true, y_pred, **self._fn_kwargs)
            return out if isinstance(out, Tensor) else ops.as_tensor(out)
        y = float_true(self.name, y_true, y_pred)
        try:
            y = match_shape(self.name, y, y_pred.shape)
        except ValueError:
            pass  # a custom loss may pair other shapes on purpose
        out = self.fn(y, y_pred, **self._fn_kwargs)
        return out if isinstance(out, Tensor) else ops.as_tensor(out)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn, **self._fn_kwargs}
