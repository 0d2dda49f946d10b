"""Joining and splitting of ``keras.ops.numpy``: ``concatenate``, ``stack`` and their
``h``/``v``/``d`` variants, ``append``, ``split`` and its variants.

Inputs of different dtypes are promoted to one (Keras's ``result_type``) before joining.

Example:
    >>> import numdeep as nd
    >>> [p.shape for p in nd.ops.split(nd.ops.hstack([[1, 2], [3]]), [1])]
    [(1,), (2,)]
"""

import numpy as np

from numdeep.autograd.primitives import Concatenate, GetItem, Stack
from numdeep.autograd.tensor import Tensor
from numdeep.backend import to_numpy
from numdeep.ops.core import _data, axis_tuple, convert_to_tensor, promote
from numdeep.ops.numpy_shape import ravel, reshape

__all__ = [
    "concatenate", "stack", "hstack", "vstack", "dstack", "append", "split", "array_split",
    "hsplit", "vsplit", "dsplit",
]


def _tensors(xs):
    tensors = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in xs]
    if not tensors:
        raise ValueError("Need at least one tensor to join; received an empty sequence.")
    first = tensors[0].dtype
    if any(t.dtype != first for t in tensors):
        tensors = promote(*xs)
    return tensors


def concatenate(xs, axis=0):
    """Join a sequence of tensors along an existing ``axis`` (all axes flattened when None)."""
    xs = _tensors(xs)
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    if xs[0].ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated.")
    try:
        return Concatenate.apply(*xs, axis=axis)
    except (ValueError, IndexError) as error:  # checked on failure only: layers call this a lot
        axis_tuple(axis, xs[0].ndim)
        raise ValueError(f"concatenate: every tensor needs the shape of the first except along "
                         f"axis {axis}; received shapes {[t.shape for t in xs]}.") from error


def stack(x, axis=0):
    """Join a sequence of same-shape tensors along a new ``axis``."""
    xs = _tensors(x)
    (axis,) = axis_tuple(axis, xs[0].ndim + 1)
    if len({t.shape for t in xs}) > 1:
        raise ValueError(f"stack: every tensor needs the same shape; received shapes "
                         f"{[t.shape for t in xs]}.")
    return Stack.apply(*xs, axis=axis)


def hstack(xs):
    """Join along axis 1 (axis 0 for 1-D tensors)."""
    xs = _tensors(xs)
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """Join along axis 0, 1-D tensors becoming rows."""
    xs = [reshape(x, (1, -1)) if x.ndim < 2 else x for x in _tensors(xs)]
    return concatenate(xs, axis=0)


def dstack(xs):
    """Join along axis 2, lower-dimensional tensors first becoming ``(1, n, 1)`` or
    ``(m, n, 1)``."""
    out = []
    for x in _tensors(xs):
        if x.ndim == 0:
            x = reshape(x, (1, 1, 1))
        elif x.ndim == 1:
            x = reshape(x, (1, -1, 1))
        elif x.ndim == 2:
            x = reshape(x, x.shape + (1,))
        out.append(x)
    return concatenate(out, axis=2)


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    a, b = promote(x1, x2)
    if axis is None:
        return Concatenate.apply(ravel(a), ravel(b), axis=0)
    return concatenate([a, b], axis=axis)


def _pieces(n, indices_or_sections, even):
    if isinstance(indices_or_sections, int) or np.ndim(_data(indices_or_sections)) == 0:
        sections = int(_data(indices_or_sections))
        if sections <= 0:
            raise ValueError(f"split: the number of sections must be positive. Received: "
                             f"{sections}")
        if even and n % sections:
            raise ValueError(f"split: an axis of size {n} cannot be split into {sections} "
                             f"equal sections.")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [size + (i < extra) for i in range(sections)]).tolist()
    else:
        cuts = [min(max(int(i) if i >= 0 else int(i) + n, 0), n)
                for i in to_numpy(_data(indices_or_sections)).reshape(-1).tolist()]
        bounds = [0, *cuts, n]
    return [(bounds[i], max(bounds[i], bounds[i + 1])) for i in range(len(bounds) - 1)]


def split(x, indices_or_sections, axis=0):
    """Split ``x`` along ``axis`` into equal sections, or at the given indices.

    Example:
        >>> import numdeep as nd
        >>> [p.numpy().tolist() for p in nd.ops.split(nd.ops.arange(6), 3)]
        [[0, 1], [2, 3], [4, 5]]
    """
    return _split(x, indices_or_sections, axis, even=True)


def array_split(x, indices_or_sections, axis=0):
    """``split`` that allows sections of unequal size (the first ones one element longer)."""
    return _split(x, indices_or_sections, axis, even=False)


def _split(x, indices_or_sections, axis, even):
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("split: a zero-dimensional tensor cannot be split.")
    (axis,) = axis_tuple(axis, x.ndim)
    lead = (slice(None),) * axis
    return [GetItem.apply(x, index=lead + (slice(a, b),))
            for a, b in _pieces(x.shape[axis], indices_or_sections, even)]


def hsplit(x, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D tensors)."""
    x = convert_to_tensor(x)
    return split(x, indices_or_sections, axis=0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """Split along axis 0 (tensors of 2 or more dimensions)."""
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions; received shape "
                         f"{x.shape}.")
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    """Split along axis 2 (tensors of 3 or more dimensions)."""
    x = convert_to_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions; received shape "
                         f"{x.shape}.")
    return split(x, indices_or_sections, axis=2)
