"""Probabilistic metrics: the running means of the cross-entropies, the Kullback-Leibler
divergence and the Poisson loss (the loss functions of ``numdeep.losses``, averaged over every
sample seen)."""

from numdeep import losses as _losses
from numdeep.losses.functions import sparse_ce_and_mask
from numdeep.metrics.reduction import FunctionMean
from numdeep.metrics.regression import _values


def _sparse_ce(y_true, y_pred, **kwargs):
    values, mask = sparse_ce_and_mask(y_true, y_pred, **kwargs)
    # The ignored entries travel as the values' mask; like Keras, the mean drops them only when
    # sample weights are given (the mask then zeroes their weights).
    values._keras_mask = mask
    return values


class KLDivergence(FunctionMean):
    """Mean Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.KLDivergence()
        >>> round(float(m(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))), 4)
        0.4581
    """

    fn = staticmethod(_values(_losses.kl_divergence))

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(FunctionMean):
    """Mean Poisson loss ``y_pred - y_true * log(y_pred)``."""

    fn = staticmethod(_values(_losses.poisson))

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)


class BinaryCrossentropy(FunctionMean):
    """Mean binary cross-entropy between 0/1 labels and predicted probabilities (or logits).

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether predictions are logits.
        label_smoothing: squeeze the labels towards 0.5 by this amount.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.BinaryCrossentropy()
        >>> round(float(m(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))), 4)
        0.8149
    """

    fn = staticmethod(_values(_losses.binary_crossentropy))

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(FunctionMean):
    """Mean categorical cross-entropy between one-hot labels and predicted class probabilities.

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether predictions are logits.
        label_smoothing: mix the labels with the uniform distribution by this amount.
        axis: the class axis.
    """

    fn = staticmethod(_values(_losses.categorical_crossentropy))

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(FunctionMean):
    """Mean cross-entropy between integer class ids and predicted class probabilities.

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether predictions are logits.
        ignore_class: a label whose entries contribute 0 (and, with sample weights, no weight).
        axis: the class axis (only -1).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.SparseCategoricalCrossentropy()
        >>> round(float(m(np.array([1, 2]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))), 4)
        1.1769
    """

    fn = staticmethod(_sparse_ce)

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
