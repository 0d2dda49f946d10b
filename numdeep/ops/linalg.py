"""Linear algebra (``keras.ops.linalg``): inverses, determinants, solves, decompositions, norms.

``inv``, ``det``/``logdet``, ``solve``, ``solve_triangular``, ``cholesky``, ``eigh`` and ``norm``
are differentiable (matrix-calculus primitives in ``numdeep.autograd.primitives.decompositions``);
``qr``, ``svd``, ``eig``, ``lu_factor``, ``lstsq``, ``pinv`` and ``matrix_rank`` return plain
Tensors. Inputs are matrices or batches of them (``(..., M, N)``).

Example:
    >>> import numdeep as nd
    >>> a = nd.Tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
    >>> nd.ops.logdet(a).backward()
    >>> a.grad
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
"""

import numpy as np

from numdeep.autograd.engine import backward as _backward
from numdeep.autograd.primitives import (
    Cholesky,
    Eigh,
    Exp,
    GetItem,
    Inv,
    Mul,
    Slogdet,
    Solve,
    SolveTriangular,
)
from numdeep.autograd.tensor import Tensor
from numdeep.backend import to_numpy
from numdeep.ops.core import as_float, convert_to_tensor, plain, promote
from numdeep.ops.operation import Operation

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "logdet", "lu_factor", "norm",
    "qr", "solve", "solve_triangular", "svd", "lstsq", "matrix_rank", "pinv", "slogdet", "jvp",
]


def _matrices(*xs, square=True):
    for x in xs:
        if x.ndim < 2:
            raise ValueError(f"Expected input to have rank >= 2. Received input with shape "
                             f"{x.shape}.")
        if square and x.shape[-1] != x.shape[-2]:
            raise ValueError(f"Expected a square matrix. Received non-square input with shape "
                             f"{x.shape}")


def _transpose(x):
    return x.transpose(tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))


def cholesky(x, upper=False):
    """The Cholesky factor of a symmetric positive-definite matrix (lower, or upper with
    ``upper=True``)."""
    x = as_float(x)
    _matrices(x)
    try:
        low = Cholesky.apply(x)
    except np.linalg.LinAlgError as e:
        raise ValueError(f"Cholesky decomposition failed: {e}") from None
    return _transpose(low) if upper else low


def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = x x^T``, or ``x^T x`` with
    ``upper=True``)."""
    x = as_float(x)
    _matrices(x)
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    inv_factor = SolveTriangular.apply(x, eye, lower=not upper)
    if upper:
        return inv_factor @ _transpose(inv_factor)
    return _transpose(inv_factor) @ inv_factor


def slogdet(x):
    """``(sign, log|det|)`` of square matrices; the log-determinant is differentiable."""
    x = as_float(x)
    _matrices(x)
    sign = np.linalg.slogdet(to_numpy(x.data))[0]
    return plain(sign, x.dtype), Slogdet.apply(x)


def logdet(x):
    """``log |det(x)|`` of square matrices (as Keras computes it: through ``slogdet``)."""
    return slogdet(x)[1]


def det(x):
    """The determinant of square matrices."""
    sign, logabs = slogdet(x)
    return Mul.apply(Exp.apply(logabs), sign.data)


def inv(x):
    """The inverse of square matrices."""
    x = as_float(x)
    _matrices(x)
    return Inv.apply(x)


def _solve_args(a, b):
    a, b = promote(as_float(a), as_float(b))
    _matrices(a)
    if b.ndim < 1:
        raise ValueError(f"Expected input to have rank >= 1. Received scalar input {b}.")
    vector = b.ndim == a.ndim - 1
    if (vector and b.shape[-1] != a.shape[-1]) or (not vector and b.shape[-2] != a.shape[-2]):
        raise ValueError(f"Incompatible shapes between `a` and `b`. Received: a.shape={a.shape}, "
                         f"b.shape={b.shape}")
    return a, (b.reshape(b.shape + (1,)) if vector else b), vector


def solve(a, b):
    """``x`` with ``a @ x = b`` (``b`` a matrix, or a vector per matrix of ``a``)."""
    a, b, vector = _solve_args(a, b)
    x = Solve.apply(a, b)
    return GetItem.apply(x, index=(Ellipsis, 0)) if vector else x


def solve_triangular(a, b, lower=False):
    """``x`` with ``T @ x = b``, ``T`` the lower (``lower=True``) or upper triangle of ``a``."""
    a, b, vector = _solve_args(a, b)
    x = SolveTriangular.apply(a, b, lower=bool(lower))
    return GetItem.apply(x, index=(Ellipsis, 0)) if vector else x


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices."""
    x = as_float(x)
    _matrices(x)
    packed = Eigh.apply(x)
    return GetItem.apply(packed, index=(Ellipsis, 0, slice(None))), GetItem.apply(
        packed, index=(Ellipsis, slice(1, None), slice(None)))


def eig(x):
    """Eigenvalues and eigenvectors of general square matrices (complex; no gradient)."""
    x = as_float(x)
    _matrices(x)
    w, v = np.linalg.eig(to_numpy(x.data))
    return plain(w), plain(v)


def _check_qr_mode(mode):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Expected one of {{'reduced', "
                         f"'complete'}}. Received: mode={mode}")


def qr(x, mode="reduced"):
    """The QR decomposition ``(q, r)``; ``mode`` is ``'reduced'`` or ``'complete'``."""
    _check_qr_mode(mode)
    x = as_float(x)
    if x.ndim < 2:
        raise ValueError(f"Input should have rank >= 2. Received: input.shape = {x.shape}")
    q, r = np.linalg.qr(to_numpy(x.data), mode=mode)
    return plain(q, x.dtype), plain(r, x.dtype)


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``(u, s, vh)`` (just ``s`` without ``compute_uv``)."""
    x = as_float(x)
    _matrices(x, square=False)
    out = np.linalg.svd(to_numpy(x.data), full_matrices=full_matrices, compute_uv=compute_uv)
    if not compute_uv:
        return plain(out, x.dtype)
    return tuple(plain(o, x.dtype) for o in out)


def _lu(a):
    a = a.copy()
    m, n = a.shape
    piv = np.zeros(min(m, n), dtype=np.int32)
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        piv[j] = p
        a[[j, p]] = a[[p, j]]
        if a[j, j] != 0:
            a[j + 1:, j] /= a[j, j]
            a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return a, piv


def lu_factor(x):
    """LU factorization with partial pivoting, as ``(lu, pivots)``: ``lu`` holds ``L`` (unit
    diagonal, below) and ``U``; row ``i`` was swapped with row ``pivots[i]``."""
    x = as_float(x)
    _matrices(x, square=False)
    a = to_numpy(x.data).astype(np.float64)
    lu = np.empty_like(a)
    piv = np.empty(a.shape[:-2] + (min(a.shape[-2:]),), dtype=np.int32)
    for idx in np.ndindex(*a.shape[:-2]):
        lu[idx], piv[idx] = _lu(a[idx])
    return plain(lu, x.dtype), plain(piv, "int32")


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (NumPy's argument name)
    """Vector or matrix norm (``numpy.linalg.norm``'s ``ord`` values); differentiable except
    for the nuclear and spectral matrix norms.

    Example:
        >>> import numdeep as nd
        >>> float(nd.ops.norm([3.0, 4.0]))
        5.0
    """
    from numdeep.ops.norms import norm as _norm

    return _norm(x, ord=ord, axis=axis, keepdims=keepdims)


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b`` (``a`` of shape ``(M, N)``)."""
    a, b = promote(as_float(a), as_float(b))
    if a.ndim != 2:
        raise ValueError(f"Expected a to have rank 2. Received: a.shape={a.shape}")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"Expected b of rank 1 or 2 with b.shape[0] == a.shape[0]. Received: "
                         f"a.shape={a.shape}, b.shape={b.shape}")
    out = np.linalg.lstsq(to_numpy(a.data), to_numpy(b.data), rcond=rcond)[0]
    return plain(out, a.dtype)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (int32)."""
    x = as_float(x)
    _matrices(x, square=False)
    return plain(np.linalg.matrix_rank(to_numpy(x.data), tol=tol), "int32")


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse."""
    x = as_float(x)
    _matrices(x, square=False)
    kwargs = {} if rcond is None else {"rcond": rcond}
    return plain(np.linalg.pinv(to_numpy(x.data), **kwargs), x.dtype)


def jvp(fun, primals, tangents, has_aux=False):
    """``fun(*primals)`` and its Jacobian-vector product with ``tangents``.

    numdeep is reverse-mode: the product is assembled from one backward pass per output
    element, so keep the outputs small.

    Example:
        >>> import numdeep as nd
        >>> out, tangent = nd.ops.jvp(lambda x: x * x, (nd.Tensor([3.0]),), (nd.Tensor([1.0]),))
        >>> tangent.numpy()
        array([6.], dtype=float32)
    """
    inputs = [Tensor(convert_to_tensor(p).data, requires_grad=True) for p in primals]
    result = fun(*inputs)
    out, aux = (result[0], result[1]) if has_aux else (result, None)
    flat = [o for o in (out if isinstance(out, list | tuple) else [out])]
    tangent_data = [to_numpy(convert_to_tensor(t).data) for t in tangents]
    products = []
    for o in flat:
        prod = np.zeros(o.shape, dtype=o.dtype)
        if o.requires_grad:
            for idx in np.ndindex(*o.shape):
                seed = np.zeros(o.shape, dtype=o.dtype)
                seed[idx] = 1
                grads = _backward(o, seed, retain_graph=True, collect=inputs)
                prod[idx] = sum(float(np.sum(grads[id(i)] * t)) for i, t in
                                zip(inputs, tangent_data) if id(i) in grads)
        products.append(plain(prod))
    detached = [plain(o.data) for o in flat]
    if not isinstance(out, list | tuple):
        detached, products = detached[0], products[0]
    return (detached, products, aux) if has_aux else (detached, products)


def _known_matrices(*names):
    """A ``symbolic_spec`` that rejects symbolic matrices whose last two sizes are unknown (their
    squareness and compatibility cannot be checked), then lets the dummy runs decide."""

    def spec(*args, **kwargs):
        from numdeep.ops.symbolic import KerasTensor

        for a in list(args) + list(kwargs.values()):
            if isinstance(a, KerasTensor) and len(a.shape) >= 2 and None in a.shape[-2:]:
                raise ValueError(f"Input should have its last 2 dimensions fully-defined. "
                                 f"Received: input.shape = {a.shape}")
        return None

    return spec


def _solve_spec(a, b, *args, **kwargs):
    """Keras's checks of a symbolic solve: ``a`` square with known sizes, and ``b``'s rows (or,
    for a vector ``b``, its length) exactly ``a``'s, unknown sizes included."""
    _known_matrices()(a)
    a_shape, b_shape = tuple(np.shape(a)), tuple(np.shape(b))
    if len(a_shape) < 2 or a_shape[-1] != a_shape[-2]:
        raise ValueError(f"Expected a square matrix. Received non-square input with shape "
                         f"{a_shape}")
    if len(b_shape) < 1:
        raise ValueError(f"Expected `b` to have rank >= 1. Received shape {b_shape}.")
    if len(a_shape) == len(b_shape) and a_shape[-2] != b_shape[-2]:
        raise ValueError(f"Incompatible shapes between `a` and `b`. Expected `a.shape[-2] == "
                         f"b.shape[-2]`. Received: a.shape={a_shape}, b.shape={b_shape}")
    return None


for _fn in (cholesky, cholesky_inverse, det, eigh, eig, inv, logdet, slogdet, lu_factor, qr,
            svd, pinv, matrix_rank):
    _fn.symbolic_spec = _known_matrices()
solve.symbolic_spec = solve_triangular.symbolic_spec = _solve_spec


class Qr(Operation):
    """``qr`` as an op object, its ``mode`` checked when made (Keras's ``ops.Qr``).

    Example:
        >>> import numpy as np
        >>> q, r = Qr(mode="reduced")(np.eye(2, dtype="float32"))
        >>> r.shape
        (2, 2)
    """

    fn = staticmethod(qr)
    tensor_args = ("x",)

    def __init__(self, mode="reduced", *, name=None):
        _check_qr_mode(mode)
        super().__init__(mode, name=name)
