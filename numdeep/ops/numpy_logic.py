"""Comparisons, logic, bitwise operations, ``gcd``/``lcm`` and value tests of
``keras.ops.numpy``.

All of them give boolean or integer results, so none has a gradient: they return plain Tensors.

Example:
    >>> import numdeep as nd
    >>> nd.ops.logical_and(nd.ops.greater([1, 5], 2), True).numpy()
    array([False,  True])
"""

import numpy as np

from numdeep.autograd.tensor import Tensor
from numdeep.backend import xp_of
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, convert_to_tensor, dtype_name, plain, promote

__all__ = [
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "logical_xor", "isclose", "allclose", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "isreal", "signbit", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift",
    "left_shift", "right_shift", "isin", "gcd", "lcm",
]


def _values(x):
    # Python scalars stay scalars (NumPy compares them without promoting the array).
    return x if isinstance(x, int | float) else _data(x)


def _compare(ufunc, x1, x2):
    return plain(ufunc(_values(x1), _values(x2)))


def equal(x1, x2):
    """Elementwise ``x1 == x2`` as a boolean Tensor."""
    return _compare(np.equal, x1, x2)


def not_equal(x1, x2):
    """Elementwise ``x1 != x2``."""
    return _compare(np.not_equal, x1, x2)


def less(x1, x2):
    """Elementwise ``x1 < x2``."""
    return _compare(np.less, x1, x2)


def less_equal(x1, x2):
    """Elementwise ``x1 <= x2``."""
    return _compare(np.less_equal, x1, x2)


def greater(x1, x2):
    """Elementwise ``x1 > x2``."""
    return _compare(np.greater, x1, x2)


def greater_equal(x1, x2):
    """Elementwise ``x1 >= x2``."""
    return _compare(np.greater_equal, x1, x2)


def logical_and(x1, x2):
    """Elementwise logical and (nonzero counts as true)."""
    return _compare(np.logical_and, x1, x2)


def logical_or(x1, x2):
    """Elementwise logical or."""
    return _compare(np.logical_or, x1, x2)


def logical_xor(x1, x2):
    """Elementwise logical exclusive or."""
    return _compare(np.logical_xor, x1, x2)


def logical_not(x):
    """Elementwise logical not."""
    return plain(np.logical_not(_data(x)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|``.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.isclose([1.0, 2.0], [1.0 + 1e-9, 2.1]).numpy()
        array([ True, False])
    """
    a, b = _values(x1), _values(x2)
    return plain(xp_of(a, b).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``isclose`` holds everywhere (a boolean scalar Tensor)."""
    return plain(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan).data.all())


def _test(fn, x):
    x = _data(x)
    return plain(fn(x))


def isfinite(x):
    """Elementwise: neither infinite nor NaN."""
    return _test(np.isfinite, x)


def isinf(x):
    """Elementwise: positive or negative infinity."""
    return _test(np.isinf, x)


def isnan(x):
    """Elementwise: NaN."""
    return _test(np.isnan, x)


def isneginf(x):
    """Elementwise: negative infinity."""
    return _test(np.isneginf, x)


def isposinf(x):
    """Elementwise: positive infinity."""
    return _test(np.isposinf, x)


def isreal(x):
    """Elementwise: the imaginary part is zero (always true for real dtypes)."""
    return _test(np.isreal, x)


def signbit(x):
    """Elementwise: the sign bit is set (``-0.0`` included)."""
    return _test(np.signbit, x)


def _bitwise(ufunc, x, y):
    a, b = promote(x, y)
    return plain(ufunc(a.data, b.data))


def bitwise_and(x, y):
    """Elementwise bitwise and of integers or booleans."""
    return _bitwise(np.bitwise_and, x, y)


def bitwise_or(x, y):
    """Elementwise bitwise or."""
    return _bitwise(np.bitwise_or, x, y)


def bitwise_xor(x, y):
    """Elementwise bitwise exclusive or."""
    return _bitwise(np.bitwise_xor, x, y)


def bitwise_invert(x):
    """Elementwise bitwise not (logical not for booleans)."""
    return plain(np.invert(convert_to_tensor(x).data))


bitwise_not = bitwise_invert


def _shift(ufunc, x, y):
    x = convert_to_tensor(x)
    if isinstance(y, int) and not isinstance(y, Tensor):
        return plain(ufunc(x.data, y))
    dtype = result_type(dtype_name(x), dtype_name(y))
    return plain(ufunc(x.data.astype(dtype), convert_to_tensor(y).data.astype(dtype)))


def bitwise_left_shift(x, y):
    """``x << y`` elementwise."""
    return _shift(np.left_shift, x, y)


def bitwise_right_shift(x, y):
    """``x >> y`` elementwise."""
    return _shift(np.right_shift, x, y)


left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def isin(x1, x2, assume_unique=False, invert=False):
    """Elementwise: whether each element of ``x1`` occurs in ``x2`` (the opposite with
    ``invert``)."""
    a, b = _data(x1), _data(x2)
    return plain(np.isin(a, b, assume_unique=assume_unique, invert=invert))


def _integer_pair(name, x1, x2):
    a, b = promote(x1, x2)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: the shapes {a.shape} and {b.shape} do not broadcast.") from None
    return a, b


def gcd(x1, x2):
    """Greatest common divisor of integers."""
    a, b = _integer_pair("gcd", x1, x2)
    return plain(xp_of(a.data).gcd(a.data, b.data), a.dtype)


def lcm(x1, x2):
    """Least common multiple of integers."""
    a, b = _integer_pair("lcm", x1, x2)
    return plain(xp_of(a.data).lcm(a.data, b.data), a.dtype)
