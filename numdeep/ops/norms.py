"""Vector and matrix norms (``keras.ops.norm``), composed from reductions so they are
differentiable; the nuclear and spectral matrix norms go through the SVD and are not.

Example:
    >>> import numdeep as nd
    >>> float(nd.ops.norm([[1.0, -2.0], [3.0, 4.0]], ord=1))
    6.0
"""

import numpy as np

from numdeep.backend import to_numpy
from numdeep.ops.core import as_float, axis_tuple, plain
from numdeep.ops.numpy_math import abs as _abs
from numdeep.ops.numpy_math import power
from numdeep.ops.numpy_reduce import max as _max
from numdeep.ops.numpy_reduce import min as _min
from numdeep.ops.numpy_reduce import sum as _sum
from numdeep.ops.numpy_shape import expand_dims, moveaxis, reshape

_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


def _sqrt_sum_squares(x, axis, keepdims):
    return power(_sum(x * x, axis=axis, keepdims=keepdims), 0.5)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Vector norm over one axis, matrix norm over two (see ``numdeep.ops.linalg.norm``)."""
    x = as_float(x)
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"Invalid `ord` argument. Expected one of {{'fro', 'nuc'}} when using "
                         f"string. Received: ord={ord}")
    if axis is None:
        if ord is None:
            out = _sqrt_sum_squares(reshape(x, (-1,)), 0, False)
            return reshape(out, (1,) * x.ndim) if keepdims else out
        axis = tuple(range(x.ndim))
    axes = axis_tuple(axis, x.ndim, sort=False)
    if len(axes) == 1:
        return _vector(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if ord not in _MATRIX_ORDS:
            raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")
        return _matrix(x, ord, axes, keepdims)
    raise ValueError(f"Invalid axis: {axis}. `norm` takes one axis (vector norm) or two "
                     f"(matrix norm).")


def _vector(x, ord, axis, keepdims):  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    if ord is None or ord == 2:
        return _sqrt_sum_squares(x, axis, keepdims)
    if ord == np.inf:
        return _max(_abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return plain(np.sum(to_numpy(x.data) != 0, axis=axis, keepdims=keepdims), x.dtype)
    if ord == 1:
        return _sum(_abs(x), axis=axis, keepdims=keepdims)
    return power(_sum(power(_abs(x), float(ord)), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix(x, ord, axes, keepdims):  # noqa: A002
    row, col = axes
    if ord in (None, "fro"):
        return _sqrt_sum_squares(x, axes, keepdims)
    if ord in ("nuc", 2, -2):
        moved = moveaxis(x, axes, (-2, -1))
        s = np.linalg.svd(to_numpy(moved.data), compute_uv=False)
        out = s.sum(-1) if ord == "nuc" else (s.max(-1) if ord == 2 else s.min(-1))
        out = plain(out, x.dtype)
        return expand_dims(out, tuple(sorted(axes))) if keepdims else out
    if ord in (np.inf, -np.inf):
        row, col = col, row
    sums = _sum(_abs(x), axis=row, keepdims=True)
    reduce = _max if ord in (1, np.inf) else _min
    out = reduce(sums, axis=col, keepdims=True)
    if keepdims:
        return out
    return reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))
