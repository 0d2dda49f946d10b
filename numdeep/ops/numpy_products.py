"""Products of ``keras.ops.numpy``: ``matmul``, ``dot``, ``tensordot``, ``einsum`` and the
products built on them (``inner``, ``outer``, ``vdot``, ``kron``, ``cross``, ``correlate``).

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> nd.ops.sum(nd.ops.matmul(x, x)).backward()
    >>> x.grad
    array([[ 7., 11.],
           [ 9., 13.]], dtype=float32)
"""

import numpy as np

from numdeep.autograd.primitives import Einsum, GetItem, MatMul, Mul, Reshape, Sub, Transpose
from numdeep.autograd.tensor import Tensor
from numdeep.backend import standardize_dtype
from numdeep.backend.promotion import result_type
from numdeep.ops.core import convert_to_tensor, dtype_name, promote, to_dtype

__all__ = [
    "matmul", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron", "cross",
    "correlate",
]


def _pair(x1, x2):
    """Both operands in their product dtype (int8 by int8 accumulates in int32, as in Keras)."""
    if isinstance(x1, Tensor) and isinstance(x2, Tensor) and x1.dtype == x2.dtype \
            and x1.dtype.kind == "f":
        return x1, x2
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    if a.dtype == np.int8 and b.dtype == np.int8:
        return a.astype("int32"), b.astype("int32")
    return promote(a, b)


def matmul(x1, x2):
    """Matrix product with NumPy's rules (1-D operands, broadcast batch dimensions).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.matmul(nd.Tensor([[1.0, 2.0]]), nd.Tensor([[3.0], [4.0]]))
        Tensor(array([[11.]], dtype=float32))
    """
    return _matmul(*_pair(x1, x2))


def _matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension. Received shapes "
                         f"{a.shape} and {b.shape}.")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: the last axis of `x1` (shape {a.shape}) must match the "
                         f"second-to-last of `x2` (shape {b.shape}).")
    return MatMul.apply(a, b)


def dot(x1, x2):
    """``numpy.dot``: a product for scalars, ``matmul`` up to 2-D, else a sum over the last
    axis of ``x1`` and the second-to-last of ``x2``."""
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return Mul.apply(a, b)
    if b.ndim <= 2:
        return _matmul(a, b)
    # N-D b: move its contracted axis first and fold the rest into one matmul.
    k, n = b.shape[-2], b.shape[-1]
    axes = (b.ndim - 2,) + tuple(range(b.ndim - 2)) + (b.ndim - 1,)
    b2 = Reshape.apply(Transpose.apply(b, axes=axes), shape=(k, -1))
    out = MatMul.apply(Reshape.apply(a, shape=(-1, k)), b2)
    return Reshape.apply(out, shape=a.shape[:-1] + b.shape[:-2] + (n,))


def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    a, b = _pair(x1, x2)
    return MatMul.apply(Reshape.apply(a, shape=(-1,)), Reshape.apply(b, shape=(-1,)))


def inner(x1, x2):
    """Sum over the last axes of both inputs (a product when either is a scalar)."""
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return Mul.apply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last dimension of `x1` and `x2` must match. Received "
                         f"shapes {a.shape} and {b.shape}.")
    return _tensordot(a, b, ([-1], [-1]))


def outer(x1, x2):
    """``x1[i] * x2[j]`` of the flattened inputs."""
    a, b = _pair(x1, x2)
    return Mul.apply(Reshape.apply(a, shape=(-1, 1)), Reshape.apply(b, shape=(1, -1)))


def tensordot(x1, x2, axes=2):
    """Sum of products over ``axes`` (an int: the last ``axes`` of ``x1`` with the first of
    ``x2``; or two sequences of axes)."""
    return _tensordot(*_pair(x1, x2), axes)


def _tensordot(a, b, axes):
    if isinstance(axes, int):
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    if len(ax_a) != len(ax_b) or any(a.shape[i] != b.shape[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError(f"tensordot: the summed axes must match. Received shapes {a.shape} "
                         f"and {b.shape} with axes={axes}.")
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a]))
    a2 = Reshape.apply(Transpose.apply(a, axes=tuple(free_a + ax_a)), shape=(-1, k))
    b2 = Reshape.apply(Transpose.apply(b, axes=tuple(ax_b + free_b)), shape=(k, -1))
    out = MatMul.apply(a2, b2)
    return Reshape.apply(out, shape=tuple(a.shape[i] for i in free_a)
                         + tuple(b.shape[i] for i in free_b))


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over ``operands`` as ``numpy.einsum`` spells it (``'ij,jk->ik'``,
    ``...`` for broadcast axes); differentiable in every operand.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.einsum("ij,j->i", [[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy()
        array([3., 7.], dtype=float32)
    """
    xs = [convert_to_tensor(x) for x in operands]
    names = {standardize_dtype(x.dtype) for x in xs}
    dtype = "int32" if names == {"int8"} else result_type(*[dtype_name(x) for x in operands])
    return Einsum.apply(*[to_dtype(x, dtype) for x in xs], subscripts=subscripts)


def kron(x1, x2):
    """Kronecker product: blocks ``x1[i, j] * x2``."""
    a, b = _pair(x1, x2)
    nd = max(a.ndim, b.ndim)
    a = Reshape.apply(a, shape=(1,) * (nd - a.ndim) + a.shape)
    b = Reshape.apply(b, shape=(1,) * (nd - b.ndim) + b.shape)
    # (i, j) x (k, l) -> (i, k, j, l) -> (i k, j l)
    prod = Mul.apply(Reshape.apply(a, shape=tuple(d for n in a.shape for d in (n, 1))),
                     Reshape.apply(b, shape=tuple(d for n in b.shape for d in (1, n))))
    return Reshape.apply(prod, shape=tuple(m * n for m, n in zip(a.shape, b.shape)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the given axes; a 2-vector counts as having a zero z
    component, and two 2-vectors give only the z component."""
    from numdeep.ops.numpy_join import stack
    from numdeep.ops.numpy_shape import moveaxis, pad

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote(x1, x2)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be "
                         f"2 or 3). Received shapes {a.shape} and {b.shape}.")
    planar = a.shape[-1] == 2 and b.shape[-1] == 2
    ax, ay, az = (GetItem.apply(pad(a, [(0, 0)] * (a.ndim - 1) + [(0, 3 - a.shape[-1])]),
                                index=(Ellipsis, i)) for i in range(3))
    bx, by, bz = (GetItem.apply(pad(b, [(0, 0)] * (b.ndim - 1) + [(0, 3 - b.shape[-1])]),
                                index=(Ellipsis, i)) for i in range(3))
    cz = Sub.apply(Mul.apply(ax, by), Mul.apply(ay, bx))
    if planar:
        return cz
    cx = Sub.apply(Mul.apply(ay, bz), Mul.apply(az, by))
    cy = Sub.apply(Mul.apply(az, bx), Mul.apply(ax, bz))
    return moveaxis(stack([cx, cy, cz], axis=-1), -1, axisc)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (``numpy.correlate``; ``mode`` 'valid', 'same'
    or 'full')."""
    dtype = result_type(dtype_name(x1), dtype_name(x2))
    dtype = dtype if dtype in ("float16", "float64") else "float32"
    a, b = promote(x1, x2, dtype=dtype)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"correlate: both inputs must be 1-D. Received shapes {a.shape} and "
                         f"{b.shape}.")
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: `mode` must be 'valid', 'same' or 'full'. Received: "
                         f"mode={mode!r}")
    n, m = a.shape[0], b.shape[0]
    if n < m:
        from numdeep.ops.numpy_shape import flip

        return flip(correlate(b, a, mode), 0)
    pad = {"valid": (0, 0), "same": (m // 2, m - 1 - m // 2), "full": (m - 1, m - 1)}[mode]
    from numdeep.ops.numpy_shape import pad as pad_fn

    padded = pad_fn(a, [pad])
    count = padded.shape[0] - m + 1
    windows = GetItem.apply(padded, index=np.arange(count)[:, None] + np.arange(m)[None, :])
    return MatMul.apply(windows, b)
