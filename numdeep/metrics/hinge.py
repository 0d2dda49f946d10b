"""Hinge metrics: the running means of the hinge, squared hinge and categorical hinge losses."""

from numdeep import losses as _losses
from numdeep.metrics.reduction import FunctionMean
from numdeep.metrics.regression import _values


class Hinge(FunctionMean):
    """Mean hinge loss ``max(1 - y_true * y_pred, 0)`` (labels -1/1; 0/1 are converted).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.Hinge()
        >>> round(float(m(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))), 4)
        1.3
    """

    fn = staticmethod(_values(_losses.hinge))

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(FunctionMean):
    """Mean squared hinge loss ``max(1 - y_true * y_pred, 0) ** 2``."""

    fn = staticmethod(_values(_losses.squared_hinge))

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(FunctionMean):
    """Mean categorical hinge loss for one-hot labels."""

    fn = staticmethod(_values(_losses.categorical_hinge))

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)
