"""Loss functions with Keras 3 names and arguments: each returns per-sample losses (averaged over
the last axis where Keras does so), differentiable with respect to ``y_pred``.

Probability inputs are clipped to ``[1e-7, 1 - 1e-7]`` once; ``from_logits=True`` uses the fused
log-sum-exp ops, finite for any finite logits. NaN predictions give a NaN loss.
"""

import math

import numpy as np

from numdeep.losses.base import (
    EPSILON,
    check_range,
    float_true,
    mean_last,
    prepare,
    to_pred,
    to_true,
)
from numdeep.ops import eager as ops


# ----- regression losses -------------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_pred - y_true) ** 2`` over the last axis.

    Args:
        y_true: targets, shape of ``y_pred`` (a trailing size-1 axis may differ).
        y_pred: predictions (Tensor).

    Returns:
        Per-sample losses, shape ``y_pred.shape[:-1]`` (rank-1 input: one loss per element).
    """
    y_true, y_pred = prepare("MeanSquaredError", y_true, y_pred)
    return mean_last(ops.square(y_pred - y_true))


def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_pred - y_true|`` over the last axis (see ``mean_squared_error``)."""
    y_true, y_pred = prepare("MeanAbsoluteError", y_true, y_pred)
    return mean_last(ops.abs(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` over the last axis."""
    y_true, y_pred = prepare("MeanAbsolutePercentageError", y_true, y_pred)
    scale = 100.0 / np.maximum(np.abs(y_true), EPSILON)
    return mean_last(ops.abs((y_pred - y_true) * scale))


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2`` (last axis)."""
    y_true, y_pred = prepare("MeanSquaredLogarithmicError", y_true, y_pred)
    log_true = np.log(np.maximum(y_true, EPSILON) + 1.0)
    return mean_last(ops.square(ops.log(ops.maximum(y_pred, EPSILON) + 1.0) - log_true))


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 e**2`` for ``|e| <= delta``, else ``delta * (|e| - 0.5 delta)``.

    Args:
        y_true: targets.
        y_pred: predictions (Tensor).
        delta: where the loss changes from quadratic to linear.

    Returns:
        Per-sample losses (mean over the last axis).
    """
    y_true, y_pred = prepare("Huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return mean_last(ops.where(abs_error.data <= delta, quadratic, linear))


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, stable for large errors."""
    y_true, y_pred = prepare("LogCosh", y_true, y_pred)
    x = y_pred - y_true
    # NOTE: log(cosh(x)) = x + softplus(-2x) - log(2) never overflows, unlike cosh(x).
    return mean_last(x + ops.softplus(-2.0 * x) - math.log(2.0))


def poisson(y_true, y_pred):
    """Mean of ``y_pred - y_true * log(y_pred + 1e-7)`` over the last axis."""
    y_true, y_pred = prepare("Poisson", y_true, y_pred)
    return mean_last(y_pred - y_true * ops.log(y_pred + EPSILON))


def _hinge_labels(y):
    # Keras converts {0, 1} labels to {-1, 1}; other labels are used as given.
    return 2.0 * y - 1.0 if bool(((y == 0) | (y == 1)).all()) else y


def hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = prepare("Hinge", y_true, y_pred)
    return mean_last(ops.relu(1.0 - _hinge_labels(y_true) * y_pred))


def squared_hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the last axis."""
    y_true, y_pred = prepare("SquaredHinge", y_true, y_pred)
    return mean_last(ops.square(ops.relu(1.0 - _hinge_labels(y_true) * y_pred)))


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis."""
    y_true, y_pred = prepare("CategoricalHinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(neg - pos + 1.0)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to ``[1e-7, 1]``."""
    y_true, y_pred = prepare("KLDivergence", y_true, y_pred)
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
    y_true, y_pred = prepare("CosineSimilarity", y_true, y_pred)
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
    y_true, y_pred = prepare(name, y_true, y_pred)
    check_range(name, y_true, 0, 1, "labels in [0, 1] (use hinge for -1/1 labels, "
                 "sparse_categorical_crossentropy for class ids)")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = ops.sigmoid_binary_cross_entropy(y_pred, y_true)
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return mean_last(values, axis)


def onehot_labels(name, y_true, y_pred):
    """``(y_true, y_pred)`` for a categorical loss: float one-hot (or soft) labels of
    ``y_pred``'s shape, or a ``ValueError`` that points integer labels to the sparse loss."""
    y_pred = to_pred(y_pred)
    y_true = to_true(y_true, y_pred)
    shape = y_pred.shape
    if y_true.shape != shape:
        hint = ""
        if y_true.shape == shape[:-1] or (y_true.shape == shape[:-1] + (1,) and shape[-1] > 1):
            hint = (", which look like integer class ids. Use "
                    "loss='sparse_categorical_crossentropy' for integer labels, or one-hot "
                    "encode them with numdeep.utils.to_categorical")
        raise ValueError(f"{name}: `y_true` and `y_pred` must have the same shape (one-hot "
                         f"labels); received labels of shape {y_true.shape} for y_pred of shape "
                         f"{shape}{hint}.")
    return float_true(name, y_true, y_pred), y_pred


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
    y_true, y_pred = onehot_labels(name, y_true, y_pred)
    shape = y_pred.shape
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


def sparse_labels(name, y, shape, ignore_class):
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


def sparse_ce_and_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample sparse cross-entropy and the mask of counted entries (None: all count)."""
    name = "SparseCategoricalCrossentropy"
    y_pred = to_pred(y_pred)
    if y_pred.ndim == 0:
        raise ValueError(f"{name} needs y_pred of rank >= 1; received a scalar.")
    if not -y_pred.ndim <= axis < y_pred.ndim:
        raise ValueError(f"{name}: axis={axis} is out of range for y_pred of shape "
                         f"{y_pred.shape}.")
    y_true = to_true(y_true, y_pred)
    axis %= y_pred.ndim
    if axis != y_pred.ndim - 1:
        # Classes on another axis (channels-first): the labels' singleton there is dropped,
        # and the classes move last, where the fused ops expect them.
        if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
            y_true = y_true.squeeze(axis)
        y_pred = ops.moveaxis(y_pred, axis, -1)
    labels = sparse_labels(name, y_true, y_pred.shape, ignore_class)
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
        axis: the class axis (e.g. 1 for channels-first outputs).

    Returns:
        Per-sample losses of shape ``y_pred.shape[:-1]``.
    """
    return sparse_ce_and_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


def crossentropy(y_true, y_pred):
    """The cross-entropy that fits the shapes, as Keras's ``compile(loss='crossentropy')``
    chooses it: binary for a single output unit, sparse categorical for integer labels (one
    axis fewer than ``y_pred``, or a trailing axis of 1), categorical otherwise.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]], dtype="float32")
        >>> losses.crossentropy(np.array([0, 1]), probs).numpy().round(4)
        array([0.1054, 0.2231], dtype=float32)
    """
    y_pred = to_pred(y_pred)
    shape, true_shape = y_pred.shape, np.shape(to_true(y_true, y_pred))
    if shape[-1:] == (1,):
        return binary_crossentropy(y_true, y_pred)
    if len(true_shape) < len(shape) or (true_shape[-1:] == (1,) and shape[-1] > 1):
        return sparse_categorical_crossentropy(y_true, y_pred)
    return categorical_crossentropy(y_true, y_pred)
