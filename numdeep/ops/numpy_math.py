"""Elementwise arithmetic of ``keras.ops.numpy``: ``add`` to ``power``, extrema, ``where``,
``clip``, rounding and complex parts (exponentials and trigonometry are in
``numpy_elementary``).

Result dtypes are Keras's: binary ops promote with ``result_type`` (Python scalars weak), float
functions of integers give ``floatx()``. Float inputs take a fast path straight to the
primitive, since layers call these on every step.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([0.5, 1.0], requires_grad=True)
    >>> nd.ops.sum(nd.ops.sin(x) * 2.0).backward()
    >>> x.grad.round(4)
    array([1.7552, 1.0806], dtype=float32)
"""

import math

import numpy as np

from numdeep.autograd.primitives import (
    Abs,
    Add,
    Clip,
    Div,
    Exp,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Sqrt,
    Sub,
    Where,
)
from numdeep.autograd.tensor import Tensor
from numdeep.backend import xp_of
from numdeep.backend.promotion import result_type
from numdeep.ops.core import (
    _data,
    as_float,
    convert_to_tensor,
    dtype_name,
    float_dtype,
    plain,
    promote,
    to_dtype,
)

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "divide_no_nan", "floor_divide", "mod",
    "fmod", "power", "negative", "square", "sqrt", "abs", "absolute", "fabs", "reciprocal", "sign",
    "maximum", "minimum", "fmax", "fmin", "clip", "where", "heaviside", "hypot", "logaddexp",
    "logaddexp2", "round", "floor", "ceil", "trunc", "nan_to_num", "nextafter", "ldexp", "real",
    "imag", "conj", "conjugate", "angle",
]

def _fast(a, b):
    """Whether ``a op b`` already has Keras's dtype in NumPy: same-dtype arrays, or a float (or
    integer) array with a Python float (int) scalar."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor) or hasattr(b, "dtype"):
            return a.dtype == b.dtype
        return type(b) is float and a.dtype.kind == "f" or type(b) is int and a.dtype.kind in "fiu"
    if isinstance(b, Tensor) and not hasattr(a, "dtype"):
        return type(a) is float and b.dtype.kind == "f" or type(a) is int and b.dtype.kind in "fiu"
    return False


def _arith(cls, a, b, dtype=None):
    if dtype is None and _fast(a, b):
        return cls.apply(a, b)
    return cls.apply(*promote(a, b, dtype=dtype))


def _f(x):
    """``x`` as a float Tensor (the fast path for float Tensors, else ``as_float``)."""
    if isinstance(x, Tensor) and x.data.dtype.kind == "f":
        return x
    return as_float(x)


def add(x1, x2):
    """``x1 + x2`` with broadcasting."""
    return _arith(Add, x1, x2)


def subtract(x1, x2):
    """``x1 - x2`` with broadcasting."""
    return _arith(Sub, x1, x2)


def multiply(x1, x2):
    """``x1 * x2`` with broadcasting."""
    return _arith(Mul, x1, x2)


def _div_dtype(x1, x2):
    return result_type(dtype_name(x1), dtype_name(x2), float)


def divide(x1, x2):
    """``x1 / x2`` (true division: integers give ``floatx()``)."""
    if _fast(x1, x2) and (getattr(x1, "dtype", None) or x2.dtype).kind == "f":
        return Div.apply(x1, x2)
    return _arith(Div, x1, x2, dtype=_div_dtype(x1, x2))


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2 == 0`` (with a zero gradient there).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.divide_no_nan([1.0, 2.0], [0.0, 4.0]).numpy()
        array([0. , 0.5], dtype=float32)
    """
    a, b = promote(x1, x2, dtype=_div_dtype(x1, x2))
    zero = b.data == 0
    return Where.apply(zero, 0, Div.apply(a, Where.apply(zero, 1, b)))


def floor_divide(x1, x2):
    """``floor(x1 / x2)`` in the promoted dtype (no gradient)."""
    a, b = promote(x1, x2)
    with _quiet():
        return plain(a.data // b.data, a.dtype)


def mod(x1, x2):
    """Remainder with the sign of ``x2`` (``x1 - floor(x1 / x2) * x2``); differentiable in
    ``x1``."""
    dtype = result_type(dtype_name(x1), dtype_name(x2))
    a, b = promote(x1, x2, dtype="int32" if dtype == "bool" else dtype)
    with _quiet():
        q = a.data // b.data
    return Sub.apply(a, Mul.apply(b, q)) if a.dtype.kind == "f" else plain(a.data - b.data * q)


def fmod(x1, x2):
    """Remainder with the sign of ``x1`` (C's ``fmod``); differentiable in ``x1``."""
    dtype = result_type(dtype_name(x1), dtype_name(x2))
    a, b = promote(x1, x2, dtype="int32" if dtype == "bool" else dtype)
    xp = _xp(a)
    with _quiet():
        q = xp.trunc(a.data / b.data) if a.dtype.kind == "f" else xp.fmod(a.data, b.data)
    if a.dtype.kind != "f":
        return plain(q)
    return Sub.apply(a, Mul.apply(b, q.astype(a.dtype)))


def power(x1, x2):
    """``x1 ** x2``; the exponent may be a Tensor too (then it gets a gradient)."""
    if _fast(x1, x2):
        return Pow.apply(x1, x2)
    dtype = result_type(dtype_name(x1), dtype_name(x2))
    # A Python exponent stays a scalar: Pow's backward then skips the exponent's gradient.
    p = x2 if type(x2) in (int, float) else to_dtype(x2, dtype)
    return Pow.apply(to_dtype(x1, dtype), p)


def negative(x):
    """``-x``."""
    x = convert_to_tensor(x)
    return Neg.apply(x) if x.dtype != bool else plain(~x.data)


def square(x):
    """``x * x`` (booleans give int32)."""
    x = convert_to_tensor(x)
    if x.dtype == bool:
        x = x.astype("int32")
    return Mul.apply(x, x)


def sqrt(x):
    """Elementwise square root (integers give ``floatx()``)."""
    return Sqrt.apply(_f(x))


def abs(x):
    """Elementwise absolute value (gradient 0 at 0)."""
    x = convert_to_tensor(x)
    return Abs.apply(x) if x.dtype != bool else x


absolute = abs


def fabs(x):
    """Absolute value as a float (integers give ``floatx()``)."""
    return Abs.apply(_f(x))


def reciprocal(x):
    """``1 / x``."""
    x = convert_to_tensor(x)
    return Div.apply(x.dtype.type(1), x) if x.dtype.kind == "f" else plain(1 / x.data, x.dtype)


def sign(x):
    """-1, 0 or 1 by the sign of ``x`` (NaN stays NaN); no gradient."""
    x = convert_to_tensor(x)
    return plain(_xp(x).sign(x.data))


def maximum(x1, x2):
    """Elementwise maximum; at ties the gradient is split equally between ``x1`` and ``x2``."""
    return _arith(Maximum, x1, x2)


def minimum(x1, x2):
    """Elementwise minimum; at ties the gradient is split equally between ``x1`` and ``x2``."""
    return _arith(Minimum, x1, x2)


def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (the other value wins)."""
    a, b = promote(x1, x2)
    xp = _xp(a)
    b = Where.apply(xp.isnan(b.data), a, b) if b.dtype.kind == "f" else b
    a = Where.apply(xp.isnan(a.data), b, a) if a.dtype.kind == "f" else a
    return Maximum.apply(a, b)


def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (the other value wins)."""
    a, b = promote(x1, x2)
    xp = _xp(a)
    b = Where.apply(xp.isnan(b.data), a, b) if b.dtype.kind == "f" else b
    a = Where.apply(xp.isnan(a.data), b, a) if a.dtype.kind == "f" else a
    return Minimum.apply(a, b)


def clip(x, x_min=None, x_max=None, a_min=None, a_max=None):
    """Clamp ``x`` to ``[x_min, x_max]``; the gradient passes inside and at the bounds.

    Booleans clip as int32; ``a_min``/``a_max`` are NumPy's names for the bounds.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.clip(nd.Tensor([-2.0, 0.5, 3.0]), -1.0, 1.0)
        Tensor(array([-1. ,  0.5,  1. ], dtype=float32))
    """
    lo = a_min if x_min is None else x_min
    hi = a_max if x_max is None else x_max
    x = convert_to_tensor(x)
    if x.dtype == bool:
        x = x.astype("int32")
    return Clip.apply(x, lo=_data(lo) if isinstance(lo, Tensor) else lo,
                      hi=_data(hi) if isinstance(hi, Tensor) else hi)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; the condition gets no gradient. With only
    ``condition``, the indices where it holds (as ``nonzero``).

    Example:
        >>> import numdeep as nd
        >>> x = nd.Tensor([-1.0, 2.0], requires_grad=True)
        >>> nd.ops.where(x.data > 0, x, 0.0).sum().backward()
        >>> x.grad
        array([0., 1.], dtype=float32)
    """
    cond = _data(condition)
    if x1 is None and x2 is None:
        return tuple(plain(i, "int32") for i in _xp(cond).nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have "
                         "non-None value.")
    if cond.dtype != bool:
        cond = cond.astype(bool)
    if _fast(x1, x2):
        return Where.apply(cond, x1, x2)
    return Where.apply(cond, *promote(x1, x2))


def heaviside(x1, x2):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0`` (no gradient)."""
    dtype = result_type(dtype_name(x1), dtype_name(x2))
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    return plain(_xp(a).heaviside(a.data, b.data), float_dtype(dtype))


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)``, computed without overflow for large inputs."""
    a, b = promote(x1, x2, dtype=float_dtype(result_type(dtype_name(x1), dtype_name(x2))))
    scale = Tensor._from_op(_xp(a).maximum(_xp(a).abs(a.data), _xp(a).abs(b.data)), None)
    safe = Where.apply(scale.data == 0, 1, scale)
    ra, rb = Div.apply(a, safe), Div.apply(b, safe)
    return Mul.apply(safe, Sqrt.apply(Add.apply(Mul.apply(ra, ra), Mul.apply(rb, rb))))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow."""
    a, b = promote(x1, x2, dtype=result_type(dtype_name(x1), dtype_name(x2), float))
    big = Maximum.apply(a, b)
    gap = Neg.apply(Abs.apply(Sub.apply(a, b)))
    # NOTE: where both are -inf, gap is NaN (-inf - -inf); the result is -inf there.
    finite = _xp(a).isfinite(gap.data)
    return Add.apply(big, Where.apply(finite, Log1p.apply(Exp.apply(Where.apply(finite, gap, 0))),
                                      0))


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)`` without overflow."""
    a, b = promote(x1, x2, dtype=result_type(dtype_name(x1), dtype_name(x2), float))
    return Mul.apply(logaddexp(Mul.apply(a, math.log(2)), Mul.apply(b, math.log(2))),
                     1 / math.log(2))


def round(x, decimals=0):
    """Round half to even to ``decimals`` places (no gradient)."""
    x = convert_to_tensor(x)
    return plain(_xp(x).round(x.data, decimals))


def floor(x):
    """Largest integer below ``x``, as a float (no gradient)."""
    x = _f(x)
    return plain(_xp(x).floor(x.data))


def ceil(x):
    """Smallest integer above ``x``, as a float (no gradient)."""
    x = _f(x)
    return plain(_xp(x).ceil(x.data))


def trunc(x):
    """``x`` rounded toward zero (integers pass through; no gradient)."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind in "biu" else plain(_xp(x).trunc(x.data))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced by finite numbers (the gradient passes where ``x``
    is finite)."""
    x = convert_to_tensor(x)
    if x.dtype.kind != "f":
        return x
    xp = _xp(x)
    fixed = xp.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return Where.apply(xp.isfinite(x.data), x, fixed)


def nextafter(x1, x2):
    """The next float after ``x1`` towards ``x2`` (no gradient)."""
    a, b = promote(x1, x2, dtype=result_type(dtype_name(x1), dtype_name(x2), float))
    return plain(_xp(a).nextafter(a.data, b.data))


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` for an integer exponent ``x2``."""
    e = convert_to_tensor(x2)
    if e.dtype.kind not in "iu":
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={e.dtype}")
    a = to_dtype(x1, result_type(dtype_name(x1), dtype_name(e), float))
    return Mul.apply(a, _xp(a).ldexp(a.dtype.type(1), e.data).astype(a.dtype))


def real(x):
    """The real part (real inputs pass through)."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind != "c" else plain(x.data.real)


def imag(x):
    """The imaginary part (zeros for real inputs)."""
    x = convert_to_tensor(x)
    return plain(_xp(x).imag(x.data))


def conjugate(x):
    """Complex conjugate (real inputs pass through)."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind != "c" else plain(x.data.conj())


conj = conjugate


def angle(x):
    """The argument of a complex number (0 or pi for reals)."""
    x = convert_to_tensor(x)
    if x.dtype.kind != "c":
        x = _f(x)
    return plain(_xp(x).angle(x.data), None if x.dtype.kind == "c" else x.dtype)


def _xp(t):
    return xp_of(t.data if isinstance(t, Tensor) else t)


def _quiet():
    return np.errstate(divide="ignore", invalid="ignore")
