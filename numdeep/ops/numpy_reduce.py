"""Reductions of ``keras.ops.numpy``: sums and products (plain, running and NaN-ignoring),
extrema, means and spreads, counts and logical reductions.

Integer sums follow Keras (JAX): ``bool``/``int8``/``int16`` accumulate in int32, ``uint8``/
``uint16`` in uint32; means and spreads of integers give ``floatx()``.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> nd.ops.prod(x, axis=1).sum().backward()
    >>> x.grad
    array([[2., 1.],
           [4., 3.]], dtype=float32)
"""

import builtins

import numpy as np

from numdeep.autograd.primitives import Cumprod, Cumsum, Div, Max, Min, Mul, Prod, Sub, Sum, Where
from numdeep.autograd.tensor import Tensor
from numdeep.backend import standardize_dtype, xp_of
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, axis_tuple, convert_to_tensor, plain, to_dtype

__all__ = [
    "sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "ptp", "argmax",
    "argmin", "all", "any", "count_nonzero", "cumsum", "cumprod", "average", "nansum",
    "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanargmax", "nanargmin",
    "nancumsum", "nancumprod",
]

_WIDEN = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
          "uint16": "uint32"}


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _accumulator(x, dtype=None):
    """``x`` in the dtype its sums and products accumulate in."""
    name = standardize_dtype(dtype) if dtype is not None else _WIDEN.get(
        standardize_dtype(x.dtype), standardize_dtype(x.dtype))
    return to_dtype(x, name)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (an int, a tuple, or None for all).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.sum(nd.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        Tensor(array([4., 6.], dtype=float32))
    """
    if not (isinstance(x, Tensor) and x.data.dtype.kind == "f"):
        x = _accumulator(convert_to_tensor(x))
    return Sum.apply(x, axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``; each entry's gradient is the product of the others (exact with
    zeros)."""
    return Prod.apply(_accumulator(convert_to_tensor(x), dtype), axis=_axis(axis),
                      keepdims=keepdims)


def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else x.astype(result_type(standardize_dtype(x.dtype),
                                                               "float32"))


def _count(shape, axis):
    if type(axis) is int and -len(shape) <= axis < len(shape):
        return shape[axis]
    n = 1
    for a in axis_tuple(axis, len(shape)):
        n *= shape[a] if shape else 1
    return n


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (integers give ``floatx()``; float16 accumulates in
    float32, as NumPy does, so large sums do not overflow)."""
    x = _float(x)
    half = x.dtype == np.float16
    total = Sum.apply(x.astype("float32") if half else x, axis=_axis(axis), keepdims=keepdims)
    n = _count(x.shape, axis)
    out = Mul.apply(total, 1.0 / n if n else float("nan"))  # empty: NaN, as NumPy and torch
    return out.astype("float16") if half else out


def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``) over ``axis``."""
    x = _float(x)
    centered = Sub.apply(x, mean(x, axis=axis, keepdims=True))
    return mean(Mul.apply(centered, centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis`` (its gradient is NaN where it is 0)."""
    return var(x, axis=axis, keepdims=keepdims) ** 0.5


def _extremum(cls, x, axis, keepdims, initial):
    x = convert_to_tensor(x)
    if x.size == 0 and initial is None:
        raise ValueError(f"Cannot compute the {cls.__name__.lower()} of an empty tensor (shape "
                         f"{x.shape}) without `initial`.")
    if x.dtype == bool:
        x = x.astype("bool")
    y = cls.apply(x, axis=_axis(axis), keepdims=keepdims) if x.size else None
    if initial is None:
        return y
    bound = xp_of(x.data).asarray(initial, dtype=x.dtype)
    if y is None:
        shape = np.max(np.zeros(x.shape), axis=_axis(axis), keepdims=keepdims,
                       initial=0).shape
        return plain(xp_of(x.data).full(shape, bound))
    from numdeep.ops.numpy_math import maximum, minimum

    return (maximum if cls is Max else minimum)(y, plain(bound))


def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over ``axis`` (at least ``initial`` when given); tied maxima share the gradient
    equally."""
    return _extremum(Max, x, axis, keepdims, initial)


def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over ``axis`` (at most ``initial`` when given); tied minima share the gradient
    equally."""
    return _extremum(Min, x, axis, keepdims, initial)


amax = max
amin = min


def ptp(x, axis=None, keepdims=False):
    """Range (maximum minus minimum) over ``axis``."""
    x = convert_to_tensor(x)
    return Sub.apply(max(x, axis, keepdims), min(x, axis, keepdims))


def _arg(fn, x, axis, keepdims):
    x = convert_to_tensor(x)
    data = x.data
    if data.dtype.kind == "f" and data.ndim:
        # -0.0 sorts below 0.0, as in Keras's backends.
        data = xp_of(data).where((data == 0) & xp_of(data).signbit(data),
                                 -np.finfo(data.dtype).tiny, data)
    return plain(fn(data, axis=axis, keepdims=keepdims), "int32")


def argmax(x, axis=None, keepdims=False):
    """Indices (int32) of the maxima along ``axis`` (of the flattened ``x`` when None)."""
    return _arg(np.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Indices (int32) of the minima along ``axis``."""
    return _arg(np.argmin, x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every element along ``axis`` is nonzero."""
    return plain(np.all(_data(x), axis=_axis(axis), keepdims=keepdims))


def any(x, axis=None, keepdims=False):
    """Whether some element along ``axis`` is nonzero."""
    return plain(np.any(_data(x), axis=_axis(axis), keepdims=keepdims))


def count_nonzero(x, axis=None):
    """Number of nonzero elements along ``axis`` (int32)."""
    return plain(np.count_nonzero(_data(x), axis=_axis(axis)), "int32")


def _running(cls, x, axis, dtype):
    x = convert_to_tensor(x)
    name = standardize_dtype(dtype) if dtype is not None else standardize_dtype(x.dtype)
    x = to_dtype(x, "int32" if name == "bool" else name)
    if isinstance(axis, list | tuple):
        if len(axis) != 1:
            raise ValueError(f"Running sums and products take one axis. Received: axis={axis}")
        axis = axis[0]
    if axis is not None and not -x.ndim <= axis < builtins.max(x.ndim, 1):
        raise ValueError(f"axis {axis} is out of bounds for a tensor of shape {x.shape}.")
    return cls.apply(x, axis=axis)


def cumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened ``x`` when None)."""
    return _running(Cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (of the flattened ``x`` when None)."""
    return _running(Cumprod, x, axis, dtype)


def average(x, axis=None, weights=None):
    """Mean over ``axis``, weighted by ``weights`` (shaped like ``x``, or 1-D along ``axis``).

    Example:
        >>> import numdeep as nd
        >>> float(nd.ops.average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0]))
        2.75
    """
    if weights is None:
        return mean(to_dtype(x, result_type(_name(x), float)), axis=axis)
    dtype = result_type(_name(x), float, _name(weights))
    x, w = to_dtype(x, dtype), to_dtype(weights, dtype)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1 or w.shape[0] != x.shape[axis]:
            raise ValueError(f"average: `weights` of shape {w.shape} must match `x` of shape "
                             f"{x.shape}, or be 1-D along `axis` ({axis}).")
        shape = [1] * x.ndim
        shape[axis] = -1
        w = w.reshape(shape)
    return Div.apply(Sum.apply(Mul.apply(x, w), axis=_axis(axis)),
                     Sum.apply(w * xp_of(x.data).ones(x.shape, dtype=x.dtype), axis=_axis(axis)))


def _name(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


# ----- NaN-ignoring reductions ---------------------------------------------------------------
def _nan_filled(x, fill):
    x = convert_to_tensor(x)
    if x.dtype.kind != "f":
        return x, None
    nan = xp_of(x.data).isnan(x.data)
    return Where.apply(nan, x.dtype.type(fill), x), nan


def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis`` treating NaN as 0."""
    return sum(_nan_filled(x, 0)[0], axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis`` treating NaN as 1."""
    return prod(_nan_filled(x, 1)[0], axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """Mean over ``axis`` of the non-NaN entries (NaN where all are NaN)."""
    x = _float(x)
    filled, nan = _nan_filled(x, 0)
    n = np.sum(~nan, axis=_axis(axis), keepdims=keepdims) if nan is not None else _count(
        x.shape, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Div.apply(Sum.apply(filled, axis=_axis(axis), keepdims=keepdims),
                         xp_of(x.data).asarray(n, dtype=x.dtype))


def nanvar(x, axis=None, keepdims=False):
    """Variance over ``axis`` of the non-NaN entries."""
    x = _float(x)
    centered = Sub.apply(x, nanmean(x, axis=axis, keepdims=True))
    return nanmean(Mul.apply(centered, centered), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims=False):
    """Standard deviation over ``axis`` of the non-NaN entries."""
    return nanvar(x, axis=axis, keepdims=keepdims) ** 0.5


def nanmax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extremum(Max, x, axis, keepdims, -np.inf)


def nanmin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extremum(Min, x, axis, keepdims, np.inf)


def _nan_extremum(cls, x, axis, keepdims, fill):
    filled, nan = _nan_filled(x, fill)
    y = cls.apply(filled, axis=_axis(axis), keepdims=keepdims)
    if nan is None:
        return y
    return Where.apply(np.all(nan, axis=_axis(axis), keepdims=keepdims), np.nan, y)


def nanargmax(x, axis=None, keepdims=False):
    """``argmax`` ignoring NaN; -1 where all are NaN."""
    filled, nan = _nan_filled(x, -np.inf)
    return _nan_arg(argmax, filled, nan, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """``argmin`` ignoring NaN; -1 where all are NaN."""
    filled, nan = _nan_filled(x, np.inf)
    return _nan_arg(argmin, filled, nan, axis, keepdims)


def _nan_arg(fn, filled, nan, axis, keepdims):
    idx = fn(filled, axis=axis, keepdims=keepdims)
    if nan is None:
        return idx
    return plain(np.where(np.all(nan, axis=axis, keepdims=keepdims), -1, idx.data), "int32")


def nancumsum(x, axis=None, dtype=None):
    """Running sum treating NaN as 0."""
    return cumsum(_nan_filled(x, 0)[0], axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running product treating NaN as 1."""
    return cumprod(_nan_filled(x, 1)[0], axis=axis, dtype=dtype)
