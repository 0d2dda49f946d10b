"""Linear algebra primitives."""

from numdeep.autograd.function import Function


def _matmul(xp, a, b):
    """``xp.matmul`` kept on NumPy's BLAS path.

    NumPy multiplies stacks (ndim > 2) of non-C-contiguous matrices (transposed views such as
    attention heads or the ``swapaxes`` of backward) with a naive loop, up to 100x slower than a
    copy plus BLAS, and runs ``(..., k) @ (k, n)`` as many small GEMMs: that case is one large
    GEMM on the flattened rows instead. Results are those of ``matmul``.
    """
    if b.ndim == 2 and a.ndim > 2:
        out = xp.matmul(a.reshape(-1, a.shape[-1]), b)
        return out.reshape(a.shape[:-1] + (b.shape[-1],))
    if a.ndim > 2 or b.ndim > 2:
        a, b = xp.ascontiguousarray(a), xp.ascontiguousarray(b)
    return xp.matmul(a, b)


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands and broadcast batch dimensions.

    Backward treats a 1-D ``a`` as a row and a 1-D ``b`` as a column, restores those dims in
    ``gy``, and drops them again from the gradients; the engine sums broadcast batch dims.
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return _matmul(self.xp, a, b)

    def backward(self, gy):
        a, b = self.saved
        xp = self.xp
        if b.ndim == 1:
            gy = gy[..., None]
        if a.ndim == 1:
            gy = gy[..., None, :]
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _matmul(xp, gy, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:
                # A weight shared across a batch (Dense on sequences): one large GEMM over the
                # flattened batch instead of per-item products summed by the engine afterwards.
                k = a2.shape[-1]
                gb = xp.matmul(a2.reshape(-1, k).T, gy.reshape(-1, gy.shape[-1]))
            else:
                gb = _matmul(xp, xp.swapaxes(a2, -1, -2), gy)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb
