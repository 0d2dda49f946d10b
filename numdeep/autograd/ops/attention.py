"""The masked softmax of attention layers, stable for any logits and any mask.

Masked entries are dropped before the row maximum is taken (they become ``-inf``), so they get
probability exactly 0 and no gradient, and a row whose every entry is masked gives all zeros
(never NaN and no floating-point warning): a padded query attends to nothing. This differs from
adding a large negative number to the logits (Keras, Hugging Face), which gives such rows a
uniform distribution; rows with at least one kept entry agree.
"""

from numdeep.autograd.function import Function
from numdeep.autograd.ops.elementwise import quiet
from numdeep.autograd.ops.reduce import _shifted_exp


class MaskedSoftmax(Function):
    """``softmax(x)`` along ``axis`` over the entries where ``mask`` is True.

    Params: ``mask`` (a boolean array broadcastable to ``x``, or None for a plain softmax) and
    ``axis``. The gradient is the softmax's, ``y * (gy - sum(gy * y))``, which is 0 at masked
    entries because ``y`` is 0 there.
    """

    axis = -1
    mask = None

    def forward(self, x):
        xp = self.xp
        if self.mask is not None:
            x = xp.where(self.mask, x, -xp.inf)
        e, s = _shifted_exp(xp, x, self.axis)
        with quiet():
            e /= xp.where(s == 0, 1, s)
        self.save_for_backward(e)
        return e

    def backward(self, gy):
        (y,) = self.saved
        gx = gy * y
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx


def masked_softmax(x, mask=None, axis=-1):
    """Softmax of Tensor ``x`` along ``axis`` restricted to where ``mask`` is True.

    Args:
        x: logits Tensor.
        mask: boolean (or 0/1) array broadcastable to ``x``; ``None`` keeps every entry.
        axis: the normalized axis.

    Returns:
        A Tensor of ``x``'s shape; masked entries and fully masked rows are 0.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> from numdeep.autograd.ops.attention import masked_softmax
        >>> x = nd.Tensor([[1.0, 1.0, 5.0], [2.0, 3.0, 4.0]])
        >>> masked_softmax(x, np.array([[True, True, False], [False, False, False]]))
        Tensor(array([[0.5, 0.5, 0. ],
               [0. , 0. , 0. ]], dtype=float32))
    """
    from numdeep.autograd.tensor import Tensor

    x = x if isinstance(x, Tensor) else Tensor(x)
    if mask is not None:
        mask = mask.data if isinstance(mask, Tensor) else mask
        xp = x.data.__array_namespace__() if hasattr(x.data, "__array_namespace__") else None
        mask = (xp.asarray(mask) if xp is not None else mask).astype(bool)
    return MaskedSoftmax.apply(x, mask=mask, axis=axis)
