"""Shape and layout functions of ``keras.ops.numpy``: reshaping, axis moves, flips and
rotations, tiling and repeating, padding.

Each is a composition of the movement primitives (``Reshape``, ``Transpose``, ``GetItem``,
``BroadcastTo``, ``Pad``...), so gradients flow back through every one of them.

Example:
    >>> import numdeep as nd
    >>> nd.ops.tile(nd.ops.flip(nd.ops.arange(3)), 2).numpy()
    array([2, 1, 0, 2, 1, 0], dtype=int32)
"""

import numpy as np

from numdeep.autograd.primitives import BroadcastTo, Concatenate, GetItem, Pad, Reshape, Transpose
from numdeep.autograd.tensor import Tensor
from numdeep.backend import standardize_dtype, to_numpy
from numdeep.ops.core import _data, axis_tuple, convert_to_tensor, plain

__all__ = [
    "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "ravel", "moveaxis",
    "swapaxes", "flip", "fliplr", "flipud", "rot90", "roll", "tile", "repeat", "pad", "ndim",
    "size", "shape_equal", "view", "copy", "meshgrid", "diff", "broadcast_shapes",
]


def _shape_arg(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) if s is not None else -1 for s in to_numpy(_data(shape)).tolist()) \
        if isinstance(shape, Tensor) else tuple(-1 if s is None else s for s in shape)


def reshape(x, newshape):
    """Give ``x`` a new shape with the same number of elements (one entry may be -1)."""
    x = convert_to_tensor(x)
    shape = _shape_arg(newshape)
    if any(s < -1 for s in shape):
        raise ValueError(f"Each entry of `newshape` must be a non-negative integer or -1 (one "
                         f"unknown dimension). Received: newshape={shape}")
    if shape.count(-1) > 1:
        raise ValueError(f"`newshape` can have at most one unknown dimension (-1). Received: "
                         f"newshape={shape}")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = convert_to_tensor(x)
    if axes is not None:
        axes = [int(a) for a in axes]
        if len(axes) != x.ndim:
            raise ValueError(f"`axes` must be a list of the same length as the input shape "
                             f"({x.ndim}). Received: axes={axes}")
        if any(not -x.ndim <= a < x.ndim for a in axes):
            raise ValueError(f"Each axis in `axes` must be an integer in [-{x.ndim}, {x.ndim}). "
                             f"Received: axes={axes}")
        if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"`axes` must be a valid permutation of the input axes. Received: "
                             f"axes={axes}")
        axes = tuple(axes)
    return Transpose.apply(x, axes=axes)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (a read-only view); the gradient is summed back."""
    x = convert_to_tensor(x)
    return BroadcastTo.apply(x, shape=_shape_arg(shape))


def expand_dims(x, axis):
    """Insert size-1 axes at the positions ``axis`` (an int or a tuple) of the result."""
    x = convert_to_tensor(x)
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    ndim = x.ndim + len(axes)
    axes = set(axis_tuple(axes, ndim))
    dims = iter(x.shape)
    return Reshape.apply(x, shape=tuple(1 if i in axes else next(dims) for i in range(ndim)))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``, which must have size 1)."""
    x = convert_to_tensor(x)
    if axis is None:
        axes = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        axes = set(axis_tuple(axis, x.ndim))
        if any(x.shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} is not size 1.")
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _squeeze_spec(x, axis=None):
    if axis is not None and any(x.shape[a] is None for a in axis_tuple(axis, x.ndim)):
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} is not known to "
                         f"be size 1.")


squeeze.symbolic_spec = _squeeze_spec


def _reshape_spec(x, newshape):
    from numdeep.ops.symbolic import KerasTensor, any_symbolic

    if isinstance(newshape, KerasTensor):
        return KerasTensor((None,) * (newshape.shape[0] or 0), dtype=x.dtype)
    if any_symbolic(newshape):
        return KerasTensor((None,) * len(newshape), dtype=x.dtype)
    return None


reshape.symbolic_spec = _reshape_spec


def ravel(x):
    """``x`` flattened to 1-D."""
    return Reshape.apply(convert_to_tensor(x), shape=(-1,))


def moveaxis(x, source, destination):
    """Move axes ``source`` to positions ``destination``, keeping the others' order."""
    x = convert_to_tensor(x)
    src = list(axis_tuple(source, x.ndim, sort=False))
    dst = list(axis_tuple(destination, x.ndim, sort=False))
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: `source` {source} and `destination` {destination} must "
                         f"have the same number of elements.")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Transpose.apply(x, axes=tuple(order))


def swapaxes(x, axis1, axis2):
    """Exchange two axes."""
    x = convert_to_tensor(x)
    order = list(range(x.ndim))
    a, b = axis_tuple(axis1, x.ndim) + axis_tuple(axis2, x.ndim)
    order[a], order[b] = order[b], order[a]
    return Transpose.apply(x, axes=tuple(order))


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    x = convert_to_tensor(x)
    axes = axis_tuple(axis, x.ndim)
    return GetItem.apply(x, index=tuple(slice(None, None, -1) if i in axes else slice(None)
                                        for i in range(x.ndim)))


def fliplr(x):
    """Reverse the columns (axis 1)."""
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr needs at least 2 dimensions; received shape {x.shape}.")
    return flip(x, 1)


def flipud(x):
    """Reverse the rows (axis 0)."""
    x = convert_to_tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud needs at least 1 dimension; received a scalar.")
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first axis towards
    the second).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.rot90([[1, 2], [3, 4]]).numpy()
        array([[2, 4],
               [1, 3]], dtype=int32)
    """
    x = convert_to_tensor(array)
    if x.ndim < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: "
                         f"array.ndim={x.ndim}")
    if len(axes) != 2 or axes[0] % x.ndim == axes[1] % x.ndim:
        raise ValueError(f"Invalid axes: {axes}. Axes must be a tuple of two different "
                         f"dimensions.")
    a, b = axes[0] % x.ndim, axes[1] % x.ndim
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    return flip(swapaxes(x, a, b), b) if k == 3 else swapaxes(flip(x, b), a, b)


def roll(x, shift, axis=None):
    """Shift elements along ``axis`` cyclically (of the flattened ``x`` when None)."""
    x = convert_to_tensor(x)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), x.shape)
    shifts = shift if isinstance(shift, list | tuple) else [shift] * (
        len(axis) if isinstance(axis, list | tuple) else 1)
    axes = axis if isinstance(axis, list | tuple) else [axis]
    for s, a in zip(shifts, axes):
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"roll: `axis` {a} is out of bounds for an input of shape "
                             f"{x.shape}.")
        a %= x.ndim
        n = x.shape[a]
        if n == 0:
            continue
        index = (np.arange(n) - int(s)) % n
        x = GetItem.apply(x, index=(slice(None),) * a + (index,))
    return x


def tile(x, repeats):
    """Repeat the whole of ``x`` ``repeats`` times along each axis (``numpy.tile``)."""
    x = convert_to_tensor(x)
    reps = tuple(int(r) for r in (repeats if isinstance(repeats, list | tuple)
                                  else to_numpy(_data(repeats)).reshape(-1).tolist()))
    ndim = max(x.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    x = Reshape.apply(x, shape=(1,) * (ndim - x.ndim) + x.shape)
    # (a, b) tiled (r, s) is (r, a, s, b) broadcast, then merged pairwise.
    expanded = tuple(d for n in x.shape for d in (1, n))
    target = tuple(d for r, n in zip(reps, x.shape) for d in (r, n))
    out = BroadcastTo.apply(Reshape.apply(x, shape=expanded), shape=target)
    return Reshape.apply(out, shape=tuple(r * n for r, n in zip(reps, x.shape)))


def repeat(x, repeats, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened ``x`` when None).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.repeat([1, 2], 2).numpy()
        array([1, 1, 2, 2], dtype=int32)
    """
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    axis %= max(x.ndim, 1)
    reps = to_numpy(_data(repeats)).astype(np.int64) if not isinstance(repeats, int) else repeats
    index = np.repeat(np.arange(x.shape[axis]), reps)
    return GetItem.apply(x, index=(slice(None),) * axis + (index,))


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad ``x``; ``pad_width`` as in ``numpy.pad``. ``mode`` is ``'constant'`` (with
    ``constant_values``, default 0), ``'reflect'``, ``'symmetric'``, ``'edge'`` or ``'wrap'``.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.pad([1.0, 2.0, 3.0], (2, 1), mode="reflect").numpy()
        array([3., 2., 1., 2., 3., 2.], dtype=float32)
    """
    x = convert_to_tensor(x)
    pairs = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                            if np.ndim(pad_width) else np.asarray(pad_width),
                            (x.ndim, 2)).tolist() if x.ndim else []
    if mode == "constant":
        return Pad.apply(x, pad_width=pairs, constant_values=constant_values or 0)
    if constant_values is not None:
        raise ValueError(f"Argument `constant_values` can only be provided when "
                         f"`mode == 'constant'`. Received: mode={mode}")
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(f"pad: `mode` must be one of 'constant', 'reflect', 'symmetric', "
                         f"'edge', 'wrap'. Received: mode={mode!r}")
    # Any non-constant mode is a gather: pad the positions with NumPy, index with them.
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            index = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = GetItem.apply(x, index=(slice(None),) * axis + (index,))
    return x


def ndim(x):
    """Number of dimensions of ``x``."""
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def size(x):
    """Number of elements of ``x`` (a symbolic int32 scalar for a ``KerasTensor``, as in Keras:
    its sizes may be unknown until it runs)."""
    return int(np.prod(x.shape)) if hasattr(x, "shape") else np.size(x)


def _size_spec(x):
    from numdeep.ops.symbolic import KerasTensor

    return KerasTensor((), dtype="int32")


size.symbolic_spec = _size_spec


def shape_equal(shape1, shape2, axis=None, allow_none=True):
    """Whether two shapes are equal, ignoring the axes in ``axis`` (and ``None`` sizes when
    ``allow_none``)."""
    shape1, shape2 = list(shape1), list(shape2)
    if len(shape1) != len(shape2):
        return False
    for a in axis_tuple(axis, len(shape1)) if axis is not None else ():
        shape1[a] = shape2[a] = None
    return all(a == b or (allow_none and (a is None or b is None))
               for a, b in zip(shape1, shape2))


def view(x, dtype=None):
    """The bytes of ``x`` reinterpreted as ``dtype`` (no gradient)."""
    x = convert_to_tensor(x)
    return x if dtype is None else plain(x.data.view(standardize_dtype(dtype)))


def copy(x):
    """A copy of ``x`` (the gradient passes)."""
    x = convert_to_tensor(x)
    flat = Concatenate.apply(Reshape.apply(x, shape=(-1,)), axis=0)  # a fresh array
    return Reshape.apply(flat, shape=x.shape)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors (``indexing='xy'`` or ``'ij'``)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: "
                         f"indexing={indexing}")
    xs = [ravel(v) for v in x]
    shape = [v.shape[0] for v in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, v in enumerate(xs):
        pos = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(xs) > 1 else i
        dims = [1] * len(xs)
        dims[pos] = v.shape[0]
        out.append(BroadcastTo.apply(Reshape.apply(v, shape=tuple(dims)), shape=tuple(shape)))
    return out


def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis`` (``a[1:] - a[:-1]``, ``n`` times)."""
    x = convert_to_tensor(a)
    (axis,) = axis_tuple(axis, x.ndim)
    lead = (slice(None),) * axis
    for _ in range(int(n)):
        upper = GetItem.apply(x, index=lead + (slice(1, None),))
        lower = GetItem.apply(x, index=lead + (slice(None, -1),))
        x = upper - lower if x.dtype != bool else plain(upper.data != lower.data)
    return x


def broadcast_shapes(shape1, shape2):
    """The shape (a list, as Keras gives it) two shapes broadcast to; a ``None`` size takes the
    other size unless that is 1.

    Example:
        >>> from numdeep import ops
        >>> ops.broadcast_shapes((None, 3), (2, 1))
        [2, 3]
    """
    a, b = list(shape1), list(shape2)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x == 1 or x == y:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(y if x is None else x)
        else:
            raise ValueError(f"Cannot broadcast shape, the failure dim has value {x}, which "
                             f"cannot be broadcasted to {y}. Input shapes are: {shape1} and "
                             f"{shape2}.")
    return out
