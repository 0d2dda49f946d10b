"""Indexing of ``keras.ops.numpy``: ``take`` and ``take_along_axis``, diagonals and triangles,
``select``, index conversions and searches.

Gathers are ``GetItem`` with integer arrays, so repeated indices accumulate their gradients;
triangles and ``select`` are ``where``s with constant masks.

Example:
    >>> import numdeep as nd
    >>> nd.ops.take_along_axis([[10, 30, 20]], [[2, 0]], axis=1).numpy()
    array([[20, 10]], dtype=int32)
"""

import numpy as np

from numdeep.autograd.primitives import BroadcastTo, GetItem, Reshape, Where
from numdeep.backend import to_numpy
from numdeep.ops.core import _data, axis_tuple, convert_to_tensor, plain, promote
from numdeep.ops.operation import min_size_spec

__all__ = [
    "getitem", "get_item", "take", "take_along_axis", "diagonal", "diag", "diagflat", "tril",
    "triu", "trace", "select", "unravel_index", "nonzero", "searchsorted", "digitize",
]


def getitem(x, key):
    """``x[key]`` (basic, integer-array and boolean indexing; repeated indices accumulate)."""
    return convert_to_tensor(x)[key]


get_item = getitem


def _indices(indices, n):
    idx = to_numpy(_data(indices))
    if idx.dtype.kind not in "iu":
        if idx.dtype.kind == "f" and not np.all(idx == np.round(idx)):
            raise ValueError(f"Indices must be integers; received {idx.dtype} values.")
        idx = idx.astype(np.int64)
    return np.where(idx < 0, idx + n, idx)


def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None).

    Example:
        >>> import numdeep as nd
        >>> emb = nd.Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], requires_grad=True)
        >>> nd.ops.take(emb, [2, 0, 2], axis=0).sum().backward()
        >>> emb.grad
        array([[1., 1.],
               [0., 0.],
               [2., 2.]], dtype=float32)
    """
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = axis_tuple(axis, x.ndim)
    idx = _indices(indices, x.shape[axis])
    return GetItem.apply(x, index=(slice(None),) * axis + (idx,))


def take_along_axis(x, indices, axis=None):
    """``x`` gathered along ``axis`` at ``indices`` of the same rank (``numpy.take_along_axis``;
    the other axes broadcast)."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = axis_tuple(axis, x.ndim)
    idx = _indices(indices, x.shape[axis])
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: `indices` (shape {idx.shape}) must have the rank of "
                         f"`x` (shape {x.shape}).")
    shape = np.broadcast_shapes(tuple(1 if i == axis else n for i, n in enumerate(x.shape)),
                                tuple(1 if i == axis else n for i, n in enumerate(idx.shape)))
    x_shape = shape[:axis] + (x.shape[axis],) + shape[axis + 1:]
    if x.shape != x_shape:
        x = BroadcastTo.apply(x, shape=x_shape)
    idx = np.broadcast_to(idx, shape[:axis] + (idx.shape[axis],) + shape[axis + 1:])
    grid = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grid[axis] = idx
    return GetItem.apply(x, index=tuple(grid))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the ``(axis1, axis2)`` planes, ``offset`` above the main one, moved to
    the last axis."""
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal needs at least 2 dimensions; received shape {x.shape}.")
    a, b = axis1 % x.ndim, axis2 % x.ndim
    n = max(0, min(x.shape[a] + min(offset, 0), x.shape[b] - max(offset, 0)))
    rows = np.arange(n) - min(offset, 0)
    cols = np.arange(n) + max(offset, 0)
    rest = [i for i in range(x.ndim) if i not in (a, b)]
    moved = x.transpose(tuple(rest) + (a, b))
    return GetItem.apply(moved, index=(Ellipsis, rows, cols))


def diag(x, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with a vector on its ``k``-th diagonal."""
    x = convert_to_tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag needs a 1-D or 2-D input; received shape {x.shape}.")
    n = x.shape[0] + abs(k)
    rows = np.arange(x.shape[0]) - min(k, 0)
    cols = np.arange(x.shape[0]) + max(k, 0)
    from numdeep.ops.core import scatter

    return scatter(np.stack([rows, cols], -1), x, (n, n))


def diagflat(x, k=0):
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(Reshape.apply(convert_to_tensor(x), shape=(-1,)), k)


def _triangle(x, keep):
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"tril/triu need at least 2 dimensions; received shape {x.shape}.")
    return Where.apply(keep(x.shape[-2], x.shape[-1]), x, x.dtype.type(0))


def tril(x, k=0):
    """``x`` with the entries above the ``k``-th diagonal set to 0."""
    return _triangle(x, lambda n, m: np.tri(n, m, k, dtype=bool))


def triu(x, k=0):
    """``x`` with the entries below the ``k``-th diagonal set to 0."""
    return _triangle(x, lambda n, m: ~np.tri(n, m, k - 1, dtype=bool))


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along a diagonal (integers accumulate as in ``sum``)."""
    from numdeep.ops.numpy_reduce import sum

    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise; ``default`` where none does."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: `condlist` and `choicelist` must have the same length. "
                         f"Received: {len(condlist)} and {len(choicelist)}.")
    if not condlist:
        raise ValueError("select: `condlist` must be a non-empty list.")
    choices = promote(*choicelist, default)
    out = choices[-1]
    for cond, choice in zip(reversed(condlist), reversed(choices[:-1])):
        cond = to_numpy(_data(cond)).astype(bool)
        out = Where.apply(cond, choice, out)
    return out


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat ``indices`` (a tuple, one per axis)."""
    idx = convert_to_tensor(indices)
    return tuple(plain(c, idx.dtype) for c in np.unravel_index(to_numpy(idx.data), shape))


def nonzero(x):
    """The indices of the nonzero elements, one int32 array per axis."""
    return tuple(plain(i, "int32") for i in np.nonzero(to_numpy(_data(x))))


def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would be inserted into the 1-D ``sorted_sequence`` to keep it sorted."""
    seq = to_numpy(_data(sorted_sequence))
    if seq.ndim != 1:
        raise ValueError(f"`searchsorted` only supports 1-D sorted sequences. You can use "
                         f"`keras.ops.vectorized_map` to extend it to N-D sequences. Received: "
                         f"sorted_sequence.shape={seq.shape}")
    return plain(np.searchsorted(seq, to_numpy(_data(values)), side=side), "int32")


def digitize(x, bins):
    """The index of the bin of ``bins`` (increasing) each element of ``x`` falls in."""
    return plain(np.digitize(to_numpy(_data(x)), to_numpy(_data(bins))), "int32")


# A slice or diagonal of an unknown axis can be shorter than its stop (`x[:5]`, `diag`).
getitem.symbolic_spec = min_size_spec(getitem)
diagonal.symbolic_spec = min_size_spec(diagonal)
diag.symbolic_spec = min_size_spec(diag)
