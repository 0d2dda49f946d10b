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
        xp, mask, axis = self.xp, self.mask, self.axis
        if mask is not None and mask.ndim < x.ndim:
            mask = mask.reshape((1,) * (x.ndim - mask.ndim) + mask.shape)
        with quiet(over="ignore"):
            if (xp is not np or x.ndim < 2 or axis % x.ndim != x.ndim - 1
                    or x.size <= softmax_kernel.BLOCK or 0 in x.shape or x.dtype.kind != "f"):
                y = masked_softmax_reference(xp, x, mask, axis)
            else:
                y = softmax_kernel.masked_softmax_last_axis(x, mask, masked_softmax_reference)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        gx = gy * y
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx
