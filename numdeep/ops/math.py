"""Special functions and numerically careful reductions (``keras.ops.math``).

Example:
    >>> import numdeep as nd
    >>> float(nd.ops.logsumexp(nd.Tensor([1000.0, 1000.0])).data)
    1000.6931...
"""

from numdeep.autograd.primitives import (
    Erf,
    LogSumExp,
)
from numdeep.ops.core import _t

__all__ = ["erf", "logsumexp"]


def erf(x):
    """Gauss error function (accurate to ~1e-15 in float64).

    Example:
        >>> import numdeep as nd
        >>> round(float(nd.ops.erf(nd.Tensor([1.0])).data[0]), 6)
        0.842701
    """
    return Erf.apply(_t(x))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` computed without overflow."""
    return LogSumExp.apply(_t(x), axis=axis, keepdims=keepdims)
