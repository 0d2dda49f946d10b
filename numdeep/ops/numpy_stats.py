"""Sorting and statistics of ``keras.ops.numpy``: ``sort``/``argsort``, quantiles and medians,
counts and histograms, ``unique``, ``corrcoef``, ``trapezoid``.

``sort`` and the quantiles gather from the sorted order, so their gradients flow to the entries
they picked (interpolated quantiles split theirs between two neighbours).

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([3.0, 1.0, 2.0, 4.0], requires_grad=True)
    >>> nd.ops.median(x).backward()
    >>> x.grad
    array([0.5, 0. , 0.5, 0. ], dtype=float32)
"""

import numpy as np

from numdeep.autograd.primitives import Add, Div, GetItem, Mul, Sub, Sum, Where
from numdeep.backend import config, standardize_dtype, to_numpy
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, axis_tuple, convert_to_tensor, dtype_name, plain, to_dtype
from numdeep.ops.numpy_index import take_along_axis
from numdeep.ops.numpy_reduce import mean
from numdeep.ops.numpy_shape import expand_dims, moveaxis, reshape, transpose
from numdeep.ops.symbolic import KerasTensor

__all__ = [
    "sort", "argsort", "argpartition", "median", "quantile", "percentile", "nanmedian",
    "nanquantile", "nanpercentile", "bincount", "histogram", "unique", "corrcoef", "trapezoid",
]


def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (ascending, NaN last; of the flattened ``x`` when None)."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if x.ndim == 0:
        return x
    (axis,) = axis_tuple(axis, x.ndim)
    return take_along_axis(x, np.argsort(to_numpy(x.data), axis=axis, kind="stable"), axis)


def argsort(x, axis=-1):
    """The int32 indices that sort ``x`` along ``axis`` (stable)."""
    data = to_numpy(_data(x))
    if axis is None:
        data, axis = data.reshape(-1), 0
    if data.ndim == 0:
        return plain(np.zeros((), "int32"))
    (axis,) = axis_tuple(axis, data.ndim)
    return plain(np.argsort(data, axis=axis, kind="stable"), "int32")


def argpartition(x, kth, axis=-1):
    """Int32 indices that put the ``kth`` element in its sorted place along ``axis``, smaller
    ones before it and larger ones after."""
    return plain(np.argpartition(to_numpy(_data(x)), kth, axis=axis), "int32")


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, axis, method, keepdims, ignore_nan):
    """Quantiles from the sorted values: ``q`` of shape ``Q`` gives ``Q + reduced shape``."""
    if method not in _METHODS:
        raise ValueError(f"Invalid value for `method`. Expected one of {_METHODS}. Received: "
                         f"method={method}")
    x = convert_to_tensor(x)
    if x.dtype == bool:
        x = x.astype(config.floatx())
    x = to_dtype(x, config.floatx() if standardize_dtype(x.dtype) == "int64"
                 else result_type(standardize_dtype(x.dtype), float))
    qs = to_numpy(_data(q)).astype(np.float64)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"Quantiles must be in the range [0, 1]. Received: q={qs.tolist()}")
    axes = axis_tuple(axis, x.ndim)
    rest = [i for i in range(x.ndim) if i not in axes]
    flat = reshape(transpose(x, rest + list(axes)), tuple(x.shape[i] for i in rest) + (-1,))
    data = to_numpy(flat.data)
    order = np.argsort(data, axis=-1, kind="stable")  # NaN sorts last
    ordered = take_along_axis(flat, order, -1)
    rows = ordered.shape[:-1]
    # With ignore_nan each row has its own count; an all-NaN row picks a NaN.
    n = (~np.isnan(data)).sum(-1) if ignore_nan else flat.shape[-1]
    pos = qs.reshape(qs.shape + (1,) * len(rows)) * (np.maximum(n, 1) - 1)
    pos = np.broadcast_to(pos, qs.shape + rows)
    lo, hi = np.floor(pos), np.ceil(pos)
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, frac * 0
    elif method == "higher":
        lo, frac = hi, frac * 0
    elif method == "nearest":
        lo = hi = np.round(pos)
        frac = frac * 0
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    grids = tuple(g.reshape((1,) * qs.ndim + rows) for g in np.indices(rows))

    def pick(idx):
        return GetItem.apply(ordered, index=grids + (idx.astype(np.int64),))

    w = frac.astype(x.dtype)
    below = pick(lo)
    # Exact picks stay exact (an infinite neighbour would otherwise turn 0 * inf into NaN).
    out = Where.apply(w == 0, below, Add.apply(Mul.apply(below, 1 - w), Mul.apply(pick(hi), w)))
    if keepdims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        out = reshape(out, qs.shape + shape)
    return out


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in ``[0, 1]``) of ``x`` along ``axis``; ``method`` is
    'linear', 'lower', 'higher', 'midpoint' or 'nearest' (NumPy's meanings)."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=False)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    return quantile(x, to_numpy(_data(q)) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median along ``axis`` (the mean of the two middle values for even counts)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` ignoring NaN (NaN where a slice is all NaN)."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` ignoring NaN."""
    return nanquantile(x, to_numpy(_data(q)) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """``median`` ignoring NaN."""
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Occurrences of each non-negative integer in ``x`` (summed ``weights`` when given); a
    2-D ``x`` counts each row."""
    if sparse:
        raise ValueError("numdeep tensors are dense: `sparse=True` is not supported.")
    data = to_numpy(_data(x))
    if data.ndim not in (1, 2):
        raise ValueError(f"bincount: `x` must be 1-D or 2-D. Received: x.shape={data.shape}")
    if data.size and data.min() < 0:
        raise ValueError("bincount: `x` must hold non-negative integers.")
    w = None if weights is None else to_numpy(_data(weights))
    dtype = "int32" if w is None else result_type(dtype_name(x), dtype_name(weights))
    length = max(int(minlength), int(data.max()) + 1 if data.size else 0)
    if data.ndim == 1:
        return plain(np.bincount(data, w, minlength=length), dtype)
    rows = [np.bincount(r, None if w is None else wr, minlength=length)
            for r, wr in zip(data, w if w is not None else data)]
    return plain(np.stack(rows), dtype)


def histogram(x, bins=10, range=None):
    """Counts of ``x`` in ``bins`` equal bins over ``range`` (default: its min to max), and the
    bin edges."""
    data = to_numpy(_data(x))
    if data.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape="
                         f"{data.shape}")
    if not isinstance(bins, int) or bins < 0:
        raise ValueError(f"Argument `bins` should be a non-negative integer. Received: "
                         f"bins={bins}")
    if range is not None:
        if len(range) != 2:
            raise ValueError(f"Argument `range` must be a tuple of two elements. Received: "
                             f"range={range}")
        if range[1] <= range[0]:
            raise ValueError(f"The second element of `range` must be greater than the first. "
                             f"Received: range={range}")
    counts, edges = np.histogram(data, bins=bins, range=range)
    return plain(counts, "int32"), plain(edges, result_type(dtype_name(x), float))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The distinct values of ``x`` (sorted), optionally with first indices, the inverse map
    and counts; ``size`` pads (with ``fill_value``, default 0) or truncates to a fixed length."""
    data = to_numpy(_data(x))
    out = np.unique(data, return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis, equal_nan=False)
    out = list(out) if isinstance(out, tuple) else [out]
    if size is not None:
        dim = 0 if axis is None else axis % data.ndim
        n = out[0].shape[dim]
        if n > size:
            out[0] = np.take(out[0], np.arange(size), axis=dim)
        elif n < size:
            widths = [(0, 0)] * out[0].ndim
            widths[dim] = (0, size - n)
            out[0] = np.pad(out[0], widths, constant_values=fill_value or 0)
        extras = [return_index, return_inverse, return_counts]
        k = 1
        for flag, name in zip(extras, ("index", "inverse", "counts")):
            if flag:
                if name != "inverse":
                    # Keras's backends pad first indices with 1 and counts with 0.
                    v = out[k][:size]
                    out[k] = np.pad(v, (0, size - len(v)),
                                    constant_values=1 if name == "index" else 0)
                k += 1
    result = [plain(out[0])] + [plain(o, "int32") for o in out[1:]]
    return result[0] if len(result) == 1 else tuple(result)


def _unique_spec(x, sorted=True, return_index=False, return_inverse=False,
                 return_counts=False, axis=None, size=None, fill_value=None):
    # How many values are distinct depends on the data: unknown unless `size` fixes it (a
    # dummy run would count the distinct values of its placeholder).
    shape = tuple(np.shape(x))
    values = [size] if axis is None else list(shape)
    if axis is not None:
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"unique: `axis` {axis} is out of bounds for shape {shape}.")
        values[axis % len(shape)] = size
    dtype = standardize_dtype(getattr(x, "dtype", "float32"))
    outputs = [KerasTensor(tuple(values), dtype=dtype)]
    if return_index:
        outputs.append(KerasTensor((size,), dtype="int32"))
    if return_inverse:
        outputs.append(KerasTensor(shape if axis is None else (shape[axis],), dtype="int32"))
    if return_counts:
        outputs.append(KerasTensor((size,), dtype="int32"))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


unique.symbolic_spec = _unique_spec


def corrcoef(x):
    """Pearson correlation coefficients between the rows of ``x``."""
    x = convert_to_tensor(x)
    x = to_dtype(x, standardize_dtype(x.dtype) if standardize_dtype(x.dtype) in (
        "float16", "float64") else config.floatx())
    if x.ndim == 1:
        x = expand_dims(x, 0)
    centered = Sub.apply(x, mean(x, axis=-1, keepdims=True))
    from numdeep.ops.numpy_products import matmul

    cov = matmul(centered, moveaxis(centered, -1, -2))
    d = Mul.apply(Sum.apply(Mul.apply(centered, centered), axis=-1), 1.0) ** 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        out = Div.apply(Div.apply(cov, reshape(d, (-1, 1))), reshape(d, (1, -1)))
    return out if out.shape != (1, 1) else reshape(out, ())


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x`` (or
    spacing ``dx``)."""
    y = convert_to_tensor(y)
    y = to_dtype(y, result_type(standardize_dtype(y.dtype), float))
    axis %= y.ndim
    lead = (slice(None),) * axis
    first = GetItem.apply(y, index=lead + (slice(1, None),))
    last = GetItem.apply(y, index=lead + (slice(None, -1),))
    avg = Mul.apply(Add.apply(first, last), 0.5)
    if x is None:
        return Mul.apply(Sum.apply(avg, axis=axis), y.dtype.type(float(to_numpy(_data(dx)))))
    xs = to_dtype(x, y.dtype)
    if xs.ndim == 1:
        shape = [1] * y.ndim
        shape[axis] = -1
        xs = reshape(xs, shape)
    widths = Sub.apply(GetItem.apply(xs, index=(slice(None),) * (xs.ndim - y.ndim + axis)
                                     + (slice(1, None),)),
                       GetItem.apply(xs, index=(slice(None),) * (xs.ndim - y.ndim + axis)
                                     + (slice(None, -1),)))
    return Sum.apply(Mul.apply(avg, widths), axis=axis)
