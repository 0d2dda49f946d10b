"""Attention of ``keras.ops.nn``: ``masked_softmax`` and ``dot_product_attention`` (with
grouped-query heads, causal masks and logit soft-capping).

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> q = k = v = np.ones((1, 2, 1, 4), dtype="float32")
    >>> nd.ops.dot_product_attention(q, k, v).shape
    (1, 2, 1, 4)
"""

import math

import numpy as np

from numdeep.autograd.primitives import MaskedSoftmax, MatMul, Mul, Softmax, Tanh
from numdeep.backend import standardize_dtype, xp_of
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, _t, as_float, promote, to_dtype
from numdeep.ops.symbolic import KerasTensor

__all__ = ["masked_softmax", "dot_product_attention"]


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
        >>> x = nd.Tensor([[1.0, 1.0, 5.0], [2.0, 3.0, 4.0]])
        >>> nd.ops.masked_softmax(x, np.array([[True, True, False], [False, False, False]]))
        Tensor(array([[0.5, 0.5, 0. ],
               [0. , 0. , 0. ]], dtype=float32))
    """
    x = _t(x)
    if mask is not None:
        mask = xp_of(x.data).asarray(_data(mask))
        if mask.dtype != bool:
            mask = mask.astype(bool)
    return MaskedSoftmax.apply(x, mask=mask, axis=axis)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention over ``(batch, steps, heads, head_dim)`` inputs (Keras's
    layout).

    Args:
        query: ``(B, T, N, H)``.
        key, value: ``(B, S, K, H)``; ``N`` must be a multiple of ``K`` (grouped heads).
        bias: added to the logits ``(B, N, T, S)`` (broadcastable).
        mask: boolean, broadcastable to ``(B, N, T, S)``; False entries are excluded.
        scale: logit scale (default ``1 / sqrt(H)``).
        is_causal: also exclude keys after each query position.
        flash_attention: accepted for Keras compatibility: flash attention is an exact
            algorithm, and numdeep computes the same result on its one path.
        attn_logits_soft_cap: when given, logits become ``cap * tanh(logits / cap)``.

    Returns:
        ``(B, T, N, H)``.
    """
    q, k, v = promote(as_float(query), key, value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs (batch, steps, heads, "
                         f"head_dim). Received: query.shape={q.shape}, key.shape={k.shape}, "
                         f"value.shape={v.shape}.")
    n, kv = q.shape[2], k.shape[2]
    if n % kv:
        raise ValueError(f"The number of query heads ({n}) must be a multiple of the number of "
                         f"key/value heads ({kv}).")
    if kv != n:
        index = np.repeat(np.arange(kv), n // kv)
        k, v = k[:, :, index], v[:, :, index]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    qh, kh, vh = (t.transpose((0, 2, 1, 3)) for t in (q, k, v))
    logits = Mul.apply(MatMul.apply(qh, kh.transpose((0, 1, 3, 2))), q.dtype.type(scale))
    if attn_logits_soft_cap is not None:
        cap = q.dtype.type(attn_logits_soft_cap)
        logits = Mul.apply(Tanh.apply(Mul.apply(logits, 1 / cap)), cap)
    if bias is not None:
        logits = logits + to_dtype(bias, q.dtype)
    keep = None if mask is None else xp_of(q.data).asarray(_data(mask)).astype(bool)
    if is_causal:
        t, s = logits.shape[-2:]
        causal = np.tril(np.ones((t, s), dtype=bool), s - t)
        keep = causal if keep is None else keep & causal
    weights = Softmax.apply(logits, axis=-1) if keep is None else MaskedSoftmax.apply(
        logits, mask=np.broadcast_to(keep, logits.shape), axis=-1)
    return MatMul.apply(weights, vh).transpose((0, 2, 1, 3))


def _attention_spec(query, key, value, *args, **kwargs):
    # Keras's DotProductAttention.compute_output_spec: the query's shape with the value's head
    # size; head counts (which may be unknown) are checked when the op runs.
    shapes = [tuple(np.shape(t)) for t in (query, key, value)]
    if any(len(s) != 4 for s in shapes):
        raise ValueError(f"`dot_product_attention` only supports 4D inputs (batch, steps, heads, "
                         f"head_dim). Received: query.shape={shapes[0]}, key.shape={shapes[1]}, "
                         f"value.shape={shapes[2]}.")
    dtype = result_type(*(standardize_dtype(getattr(t, "dtype", "float32"))
                          for t in (query, key, value)))
    return KerasTensor(shapes[0][:3] + shapes[2][3:], dtype=dtype)


dot_product_attention.symbolic_spec = _attention_spec

