"""Matrix functions and decompositions: inverse, log-determinant, linear solves, Cholesky and
symmetric eigendecomposition, each with its matrix-calculus backward (batched over leading axes).

Multi-output decompositions (``Eigh``) return their parts packed in one array, which
``numdeep.ops.linalg`` unpacks with indexing, so the engine keeps one output per node.
"""

from numdeep.autograd.function import Function


def _t(a):
    return a.swapaxes(-1, -2)


class Inv(Function):
    """Matrix inverse; ``d inv(A) = -inv(A) dA inv(A)``, so ``gA = -inv(A)^T gy inv(A)^T``."""

    def forward(self, a):
        y = self.xp.linalg.inv(a)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return -(_t(y) @ gy @ _t(y))


class Slogdet(Function):
    """``log |det(A)|``; its gradient is ``inv(A)^T`` (the sign is piecewise constant)."""

    def forward(self, a):
        sign, logabs = self.xp.linalg.slogdet(a)
        self.save_for_backward(a)
        return logabs

    def backward(self, gy):
        (a,) = self.saved
        return gy[..., None, None] * _t(self.xp.linalg.inv(a))


class Solve(Function):
    """``x`` with ``A x = b`` (``b`` a batch of matrices, or one vector); ``gb = solve(A^T, gy)``
    and ``gA = -gb x^T``."""

    def forward(self, a, b):
        self.vector = b.ndim == 1
        x = self.xp.linalg.solve(a, b[..., None] if self.vector else b)
        self.save_for_backward(a, x)
        return x[..., 0] if self.vector else x

    def backward(self, gy):
        a, x = self.saved
        gb = self.xp.linalg.solve(_t(a), gy[..., None] if self.vector else gy)
        ga = -(gb @ _t(x)) if self.needs_input_grad[0] else None
        return ga, (gb[..., 0] if self.vector else gb)


class SolveTriangular(Function):
    """``x`` with ``T x = b``, ``T`` the lower (``lower=True``) or upper triangle of ``A``; the
    gradient of ``A`` lives on that triangle only."""

    lower = False

    def forward(self, a, b):
        xp = self.xp
        tri = xp.tril(a) if self.lower else xp.triu(a)
        self.vector = b.ndim == 1
        x = xp.linalg.solve(tri, b[..., None] if self.vector else b)
        self.save_for_backward(tri, x)
        return x[..., 0] if self.vector else x

    def backward(self, gy):
        tri, x = self.saved
        xp = self.xp
        gb = xp.linalg.solve(_t(tri), gy[..., None] if self.vector else gy)
        ga = None
        if self.needs_input_grad[0]:
            ga = -(gb @ _t(x))
            ga = xp.tril(ga) if self.lower else xp.triu(ga)
        return ga, (gb[..., 0] if self.vector else gb)


class Cholesky(Function):
    """Lower Cholesky factor ``L`` of a symmetric positive-definite ``A``.

    Backward (Murray, "Differentiation of the Cholesky decomposition", 2016):
    ``gA = sym(L^-T Phi(L^T gL) L^-1)``, ``Phi`` keeping the lower triangle with its diagonal
    halved; the gradient is that of a function of the symmetric ``A``.
    """

    def forward(self, a):
        y = self.xp.linalg.cholesky(a)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (low,) = self.saved
        xp = self.xp
        phi = xp.tril(_t(low) @ gy)
        n = low.shape[-1]
        phi[..., range(n), range(n)] *= 0.5
        inv = xp.linalg.inv(low)
        g = _t(inv) @ phi @ inv
        return 0.5 * (g + _t(g))


class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, packed as one
    ``(..., n + 1, n)`` array: row 0 holds the eigenvalues, rows 1.. the eigenvectors (columns).

    Backward: ``gA = V (diag(gw) + sym-free (V^T gV) / (w_j - w_i)) V^T``, symmetrized; it
    assumes distinct eigenvalues (repeated ones have no unique eigenvectors).
    """

    def forward(self, a):
        xp = self.xp
        w, v = xp.linalg.eigh(a)
        self.save_for_backward(w, v)
        return xp.concatenate([w[..., None, :], v], axis=-2)

    def backward(self, gy):
        w, v = self.saved
        xp = self.xp
        gw, gv = gy[..., 0, :], gy[..., 1:, :]
        diff = w[..., None, :] - w[..., :, None]
        n = w.shape[-1]
        diff[..., range(n), range(n)] = xp.inf
        inner = (_t(v) @ gv) / diff
        inner[..., range(n), range(n)] = gw
        g = v @ inner @ _t(v)
        return 0.5 * (g + _t(g))
