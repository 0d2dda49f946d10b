"""Overlap losses for segmentation: ``dice`` and ``tversky``, one minus a (weighted) ratio of the
soft intersection of labels and predictions to their sizes."""

from numdeep.losses.base import EPSILON, prepare
from numdeep.ops import eager as ops


def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 |y_true * y_pred| / (|y_true| + |y_pred|)``, sums over ``axis``.

    Args:
        y_true: targets (e.g. binary masks), shape of ``y_pred``.
        y_pred: predictions (Tensor).
        axis: the axes summed over (``None``: all, giving one loss for the batch; e.g.
            ``(1, 2, 3)`` for one loss per image).

    Returns:
        The losses (``axis`` reduced).

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> y_true = np.array([[1.0, 0.0], [1.0, 1.0]])
        >>> y_pred = np.array([[0.5, 0.5], [1.0, 0.0]], dtype="float32")
        >>> round(losses.dice(y_true, y_pred).item(), 4)
        0.4
    """
    y_true, y_pred = prepare("Dice", y_true, y_pred)
    intersection = ops.sum(y_pred * y_true, axis=axis)
    sizes = ops.sum(y_pred, axis=axis) + y_true.sum(axis=axis) + EPSILON
    return 1.0 - 2.0 * intersection / sizes


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha FP + beta FN)`` with soft counts, sums over ``axis``.

    Following Keras, ``FP`` sums ``(1 - y_pred) * y_true`` and ``FN`` sums
    ``y_pred * (1 - y_true)``; ``alpha = beta = 0.5`` gives the Dice loss.

    Args:
        y_true: targets, shape of ``y_pred``.
        y_pred: predictions (Tensor).
        alpha: weight of the ``FP`` term.
        beta: weight of the ``FN`` term.
        axis: the axes summed over (``None``: all).

    Returns:
        The losses (``axis`` reduced).

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> y_true = np.array([[1.0, 0.0], [1.0, 1.0]])
        >>> y_pred = np.array([[0.5, 0.5], [1.0, 0.0]], dtype="float32")
        >>> round(losses.tversky(y_true, y_pred, alpha=0.2, beta=0.8).item(), 4)
        0.3182
    """
    y_true, y_pred = prepare("Tversky", y_true, y_pred)
    tp = ops.sum(y_pred * y_true, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + EPSILON)
