"""The masked softmax of attention layers, stable for any logits and any mask.

Masked entries become ``-inf`` before the stabilizing shift is taken, whatever they held (NaN
and inf included), so they get probability exactly 0 and no gradient, and a row whose every
entry is masked gives all zeros (never NaN and no floating-point warning): a padded query attends
to nothing. This differs from
adding a large negative number to the logits (Keras, Hugging Face), which gives such rows a
uniform distribution; rows with at least one kept entry agree.
"""

import numpy as np

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.elementwise import quiet
from numdeep.autograd.primitives.linalg import MatMul
from numdeep.autograd.primitives.movement import Transpose
from numdeep.backend.kernels import softmax as softmax_kernel


def masked_softmax_reference(xp, x, mask, axis, out=None):
    """Stable softmax of ``x`` (entries where ``mask`` is False excluded) into ``out``, each row
    shifted by its own maximum: the specification ``numdeep.backend.kernels.softmax`` (large
    float32 inputs) is tested against."""
    if mask is not None:
        x = xp.where(mask, x, -xp.inf)
    m = x.max(axis=axis, keepdims=True) if x.size else xp.zeros_like(x.sum(axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, 0)  # all -inf rows: no inf - inf
    out = xp.subtract(x, m, out=out)
    xp.exp(out, out=out)  # the caller silences underflow
    s = out.sum(axis=axis, keepdims=True)
    out /= xp.where(s == 0, 1, s)
    return out


def masked_softmax(xp, x, mask, axis=-1):
    """The forward of ``MaskedSoftmax``: large last-axis NumPy inputs (attention scores) take
    the blocked kernel (``numdeep.backend.kernels.softmax``), the rest the reference."""
    if mask is not None and mask.ndim < x.ndim:
        mask = mask.reshape((1,) * (x.ndim - mask.ndim) + mask.shape)
    with quiet(over="ignore"):
        if (xp is not np or x.ndim < 2 or axis % x.ndim != x.ndim - 1
                or x.size <= softmax_kernel.MIN_SIZE or 0 in x.shape or x.dtype.kind != "f"):
            return masked_softmax_reference(xp, x, mask, axis)
        return softmax_kernel.masked_softmax_last_axis(x, mask, masked_softmax_reference)


def softmax_grad(xp, y, gy, axis=-1):
    """``y * (gy - sum(gy * y))`` along ``axis``: the softmax's backward, blocked for large
    last-axis NumPy arrays (``numdeep.backend.kernels.softmax.softmax_backward_last_axis``)."""
    if (xp is np and y.ndim >= 2 and axis % y.ndim == y.ndim - 1
            and y.size > softmax_kernel.MIN_SIZE and y.dtype.kind == "f" and gy.shape == y.shape):
        return softmax_kernel.softmax_backward_last_axis(y, gy)
    gx = gy * y
    gx -= y * gx.sum(axis=axis, keepdims=True)
    return gx


def _softmax_grad_graph(y, gy, axis=-1):
    """``softmax_grad`` on Tensors (a differentiable backward, for higher-order gradients)."""
    return y * (gy - (gy * y).sum(axis=axis, keepdims=True))


class MaskedSoftmax(Function):
    """``softmax(x)`` along ``axis`` over the entries where ``mask`` is True.

    Params: ``mask`` (a boolean array broadcastable to ``x``, or None for a plain softmax) and
    ``axis``. The gradient is the softmax's, ``y * (gy - sum(gy * y))``, which is 0 at masked
    entries because ``y`` is 0 there. Large last-axis inputs (attention scores) are processed in
    cache-sized blocks over the leading axes (``numdeep.backend.kernels.softmax``).
    """

    axis = -1
    mask = None

    def forward(self, x):
        y = masked_softmax(self.xp, x, self.mask, self.axis)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return softmax_grad(self.xp, y, gy, self.axis)

    def backward_graph(self, gy, y):
        return _softmax_grad_graph(y, gy, self.axis)


def _swap(a):
    return a.swapaxes(-1, -2)


def _swap_graph(t):
    """``t`` (Tensor or array) with its last two axes swapped, as a graph op."""
    return Transpose.apply(t, axes=tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2))


class DotProductAttention(Function):
    """``masked_softmax(q @ kt) @ v`` over the last two axes as one node: the attention core of
    ``MultiHeadAttention`` without dropout on the weights.

    ``q`` ``(..., Tq, d)`` (scaled beforehand), ``kt`` ``(..., d, Tk)`` and ``v``
    ``(..., Tk, dv)`` share their leading axes; param ``mask`` as ``MaskedSoftmax``'s, and
    ``layout`` (optional): the output is a ``transpose(layout)`` view of a C-contiguous array,
    for a caller that transposes it back with the inverse permutation. The
    inputs are usually transposed views of the projections ``(B, T, heads, d)``: BLAS reads
    those strided matrices directly, where the composed ops copied every operand to a
    contiguous stack first (measured on MiniLM's ``(32, 12, 128, 32)`` heads: 10 -> 8 ms per
    product, and the backward's ``p^T @ g`` 19 -> 8 ms). Backward: ``gv = p^T gy``,
    ``gs = softmax_grad(p, gy v^T)``, ``gq = gs kt^T``, ``gkt = q^T gs``; it equals the
    gradient of the composition (``tests/autograd/test_attention_ops.py``).
    """

    mask = None
    layout = None

    def forward(self, q, kt, v):
        xp = self.xp
        p = masked_softmax(xp, xp.matmul(q, kt), self.mask)
        self.save_for_backward(q, kt, v, p)
        if self.layout is None or xp is not np:
            return xp.matmul(p, v)
        # Written through a transposed view of a buffer in the caller's final axis order, so
        # that transposing the output back is free (measured on MiniLM's heads: 12.8 -> 9.4 ms
        # with the copy the output projection would make).
        shape = q.shape[:-1] + v.shape[-1:]
        order = tuple(int(i) for i in np.argsort(self.layout))
        out = np.empty(tuple(shape[i] for i in order), np.result_type(p, v))
        return np.matmul(p, v, out=out.transpose(self.layout))

    def backward(self, gy):
        q, kt, v, p = self.saved
        xp = self.xp
        need = self.needs_input_grad
        gv = xp.matmul(_swap(p), gy) if need[2] else None
        gq = gkt = None
        if need[0] or need[1]:
            gs = softmax_grad(xp, p, xp.matmul(gy, _swap(v)))
            gq = xp.matmul(gs, _swap(kt)) if need[0] else None
            gkt = xp.matmul(_swap(q), gs) if need[1] else None
        return gq, gkt, gv

    def backward_graph(self, gy, y):
        q, kt, v = self.inputs(*self.saved[:3])
        p = MaskedSoftmax.apply(MatMul.apply(q, kt), mask=self.mask)  # on the graph again
        need = self.needs_input_grad
        gv = MatMul.apply(_swap_graph(p), gy) if need[2] else None
        gq = gkt = None
        if need[0] or need[1]:
            gs = _softmax_grad_graph(p, MatMul.apply(gy, _swap_graph(v)))
            gq = MatMul.apply(gs, _swap_graph(kt)) if need[0] else None
            gkt = MatMul.apply(_swap_graph(q), gs) if need[1] else None
        return gq, gkt, gv
