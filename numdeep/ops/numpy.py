"""``keras.ops.numpy``: the NumPy-named array functions, gathered from their families.

- ``numpy_math``: arithmetic, extrema, ``where``, ``clip``, rounding
- ``numpy_elementary``: exponentials, logarithms, trigonometric and hyperbolic functions
- ``numpy_logic``: comparisons, logic, bitwise operations, value tests
- ``numpy_reduce``: sums, products, extrema, means and spreads (NaN-ignoring ones too)
- ``numpy_stats``: sorting, quantiles, counts, histograms, ``unique``
- ``numpy_shape``: reshaping, axis moves, flips, tiling, padding
- ``numpy_join``: concatenation, stacking, splitting
- ``numpy_index``: gathers, diagonals, triangles, searches
- ``numpy_products``: ``matmul``, ``dot``, ``tensordot``, ``einsum`` and kin
- ``numpy_create``: constants, ranges, identity matrices, windows

Each function is a thin wrapper over primitives of ``numdeep.autograd.primitives`` or a
composition of them, so none defines its own backward; gradient-free results (comparisons,
indices) are plain Tensors.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> nd.ops.sum(nd.ops.matmul(x, x)).backward()
    >>> x.grad
    array([[ 7., 11.],
           [ 9., 13.]], dtype=float32)
"""

from numdeep.ops import (
    numpy_create,
    numpy_elementary,
    numpy_index,
    numpy_join,
    numpy_logic,
    numpy_math,
    numpy_products,
    numpy_reduce,
    numpy_shape,
    numpy_stats,
)
from numdeep.ops.numpy_create import *  # noqa: F403
from numdeep.ops.numpy_elementary import *  # noqa: F403
from numdeep.ops.numpy_index import *  # noqa: F403
from numdeep.ops.numpy_join import *  # noqa: F403
from numdeep.ops.numpy_logic import *  # noqa: F403
from numdeep.ops.numpy_math import *  # noqa: F403
from numdeep.ops.numpy_products import *  # noqa: F403
from numdeep.ops.numpy_reduce import *  # noqa: F403
from numdeep.ops.numpy_shape import *  # noqa: F403
from numdeep.ops.numpy_stats import *  # noqa: F403

__all__ = [
    *numpy_math.__all__, *numpy_elementary.__all__, *numpy_logic.__all__,
    *numpy_reduce.__all__, *numpy_stats.__all__, *numpy_shape.__all__, *numpy_join.__all__,
    *numpy_index.__all__, *numpy_products.__all__, *numpy_create.__all__,
]
