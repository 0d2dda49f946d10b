"""Cross-entropy variants that reweight examples: the binary and categorical focal
cross-entropies (down-weighting easy examples) and the generalized cross-entropy (robust to
noisy labels). Each returns per-sample losses, differentiable with respect to ``y_pred``."""

import numpy as np

from numdeep.losses.base import EPSILON, check_range, mean_last, prepare, to_pred, to_true
from numdeep.losses.functions import onehot_labels, sparse_labels
from numdeep.ops import eager as ops


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma``, averaged over ``axis``.

    ``p_t`` is the predicted probability of the true label, so confident correct predictions
    contribute little (Lin et al., 2017).

    Args:
        y_true: labels in ``[0, 1]``, shape of ``y_pred`` (a trailing size-1 axis may differ).
        y_pred: probabilities, or logits when ``from_logits=True`` (Tensor).
        apply_class_balancing: weight positives by ``alpha`` and negatives by ``1 - alpha``.
        alpha: the class-balancing weight of positives.
        gamma: the focusing parameter (0 gives the binary cross-entropy).
        from_logits: whether ``y_pred`` holds logits (the cross-entropy then uses the stable
            fused form).
        label_smoothing: labels become ``y * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.

    Returns:
        Per-sample losses.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
        >>> y_pred = np.array([[0.6, 0.4], [0.4, 0.6]], dtype="float32")
        >>> losses.binary_focal_crossentropy(y_true, y_pred, gamma=2.0).numpy().round(4)
        array([0.3299, 0.2058], dtype=float32)
    """
    name = "BinaryFocalCrossentropy"
    y_true, y_pred = prepare(name, y_true, y_pred)
    check_range(name, y_true, 0, 1, "labels in [0, 1]")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = ops.sigmoid_binary_cross_entropy(y_pred, y_true)
        y_pred = ops.sigmoid(y_pred)
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        bce = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    p_t = y_pred * y_true + (1.0 - y_pred) * (1.0 - y_true)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = focal * (y_true * alpha + (1.0 - y_true) * (1.0 - alpha))
    return mean_last(focal, axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy with each class term scaled by ``alpha * (1 - p) ** gamma``.

    Args:
        y_true: one-hot (or soft) labels with ``y_pred``'s shape.
        y_pred: probabilities (renormalized over ``axis`` and clipped to ``[1e-7, 1 - 1e-7]``,
            as Keras does), or logits when ``from_logits=True`` (log-softmax, no clipping).
        alpha: the weighting factor.
        gamma: the focusing parameter (0 gives ``alpha`` times the cross-entropy).
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis.

    Returns:
        Per-sample losses (``axis`` reduced).

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
        >>> y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], dtype="float32")
        >>> losses.categorical_focal_crossentropy(y_true, y_pred).numpy().round(4)
        array([0.    , 0.4663], dtype=float32)
    """
    y_true, y_pred = onehot_labels("CategoricalFocalCrossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
        p = ops.exp(log_p)
    else:
        p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
        log_p = ops.log(p)
    weight = alpha * ops.power(1.0 - p, gamma)
    return ops.sum(weight * (-y_true * log_p), axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross-entropy ``(1 - p_y ** q) / q`` for integer class ids (Zhang & Sabuncu,
    2018): the cross-entropy as ``q -> 0``, the mean absolute error at ``q = 1``; robust to
    noisy labels in between.

    Args:
        y_true: integer class ids of shape ``y_pred.shape[:-1]`` (or with a trailing 1).
        y_pred: class probabilities (Tensor), classes last.
        q: the exponent, in ``(0, 1)``.

    Returns:
        Per-sample losses of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> y_pred = np.array([[0.7, 0.3], [0.2, 0.8]], dtype="float32")
        >>> gce = losses.categorical_generalized_cross_entropy(np.array([0, 1]), y_pred, 0.5)
        >>> gce.numpy().round(4)
        array([0.3267, 0.2111], dtype=float32)
    """
    name = "CategoricalGeneralizedCrossEntropy"
    y_pred = to_pred(y_pred)
    labels = sparse_labels(name, to_true(y_true, y_pred), y_pred.shape, None)
    onehot = (labels[..., None] == np.arange(y_pred.shape[-1])).astype(y_pred.dtype)
    p = ops.sum(y_pred * onehot, axis=-1)
    return (1.0 - ops.power(p, q)) * (1.0 / q)
