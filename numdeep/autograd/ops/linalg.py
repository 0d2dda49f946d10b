"""Linear algebra primitives."""

from numdeep.autograd.function import Function


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands and broadcast batch dimensions.

    Backward treats a 1-D ``a`` as a row and a 1-D ``b`` as a column, restores those dims in
    ``gy``, and drops them again from the gradients; the engine sums broadcast batch dims.
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.matmul(a, b)

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
            ga = xp.matmul(gy, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:
                # A weight shared across a batch (Dense on sequences): one large GEMM over the
                # flattened batch instead of per-item products summed by the engine afterwards.
                k = a2.shape[-1]
                gb = xp.matmul(a2.reshape(-1, k).T, gy.reshape(-1, gy.shape[-1]))
            else:
                gb = xp.matmul(xp.swapaxes(a2, -1, -2), gy)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb
