"""Exponentials, logarithms, trigonometric and hyperbolic functions of ``keras.ops.numpy``.

Integer inputs give ``floatx()`` results (Keras's rule); float Tensors go straight to their
primitive, since layers call these on every step.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([0.5, 1.0], requires_grad=True)
    >>> nd.ops.sum(nd.ops.sin(x) * 2.0).backward()
    >>> x.grad.round(4)
    array([1.7552, 1.0806], dtype=float32)
"""

import math

from numdeep.autograd.primitives import (
    Arccos,
    Arccosh,
    Arcsin,
    Arcsinh,
    Arctan,
    Arctan2,
    Arctanh,
    Cbrt,
    Cos,
    Cosh,
    Div,
    Exp,
    Expm1,
    Log,
    Log1p,
    Mul,
    Sin,
    Sinh,
    Tan,
    Tanh,
    Where,
)
from numdeep.backend.promotion import result_type
from numdeep.ops.core import dtype_name, plain, promote
from numdeep.ops.numpy_math import _f, _xp

__all__ = [
    "exp",
    "exp2",
    "expm1",
    "log",
    "log10",
    "log2",
    "log1p",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "cbrt",
    "deg2rad",
    "rad2deg",
    "sinc",
    "i0",
]


def exp(x):
    """Elementwise ``e ** x``."""
    return Exp.apply(_f(x))


def exp2(x):
    """Elementwise ``2 ** x``."""
    return Exp.apply(Mul.apply(_f(x), math.log(2)))


def expm1(x):
    """``exp(x) - 1``, accurate for small ``x``."""
    return Expm1.apply(_f(x))


def log(x):
    """Natural logarithm (``log(0) = -inf``)."""
    return Log.apply(_f(x))


def log10(x):
    """Base-10 logarithm."""
    return Mul.apply(Log.apply(_f(x)), 1 / math.log(10))


def log2(x):
    """Base-2 logarithm."""
    return Mul.apply(Log.apply(_f(x)), 1 / math.log(2))


def log1p(x):
    """``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(_f(x))


def sin(x):
    """Sine."""
    return Sin.apply(_f(x))


def cos(x):
    """Cosine."""
    return Cos.apply(_f(x))


def tan(x):
    """Tangent."""
    return Tan.apply(_f(x))


def arcsin(x):
    """Inverse sine (NaN outside ``[-1, 1]``)."""
    return Arcsin.apply(_f(x))


def arccos(x):
    """Inverse cosine (NaN outside ``[-1, 1]``)."""
    return Arccos.apply(_f(x))


def arctan(x):
    """Inverse tangent."""
    return Arctan.apply(_f(x))


def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)`` in ``(-pi, pi]``."""
    return Arctan2.apply(*promote(x1, x2, dtype=result_type(dtype_name(x1), dtype_name(x2),
                                                            float)))


def sinh(x):
    """Hyperbolic sine."""
    return Sinh.apply(_f(x))


def cosh(x):
    """Hyperbolic cosine."""
    return Cosh.apply(_f(x))


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh.apply(_f(x))


def arcsinh(x):
    """Inverse hyperbolic sine."""
    return Arcsinh.apply(_f(x))


def arccosh(x):
    """Inverse hyperbolic cosine (NaN below 1)."""
    return Arccosh.apply(_f(x))


def arctanh(x):
    """Inverse hyperbolic tangent (NaN outside ``[-1, 1]``)."""
    return Arctanh.apply(_f(x))


def cbrt(x):
    """Real cube root."""
    return Cbrt.apply(_f(x))


def deg2rad(x):
    """Degrees to radians."""
    return Mul.apply(_f(x), math.pi / 180)


def rad2deg(x):
    """Radians to degrees."""
    return Mul.apply(_f(x), 180 / math.pi)


def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _f(x)
    zero = x.data == 0
    px = Mul.apply(Where.apply(zero, 1, x), math.pi)
    return Where.apply(zero, 1, Div.apply(Sin.apply(px), px))


def i0(x):
    """Modified Bessel function of the first kind, order 0 (no gradient)."""
    x = _f(x)
    return plain(_xp(x).i0(x.data), x.dtype)
