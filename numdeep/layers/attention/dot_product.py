"""Multi-head dot-product attention over one or several attention axes, on the projected
tensors of ``MultiHeadAttention`` and ``GroupedQueryAttention``.

Projected tensors are ``(batch, <other axes>, heads, features)``. The attention axes (``axes``,
indices among ``<other axes>``, counted from 1 as in the input) are gathered after the heads and
flattened into one, so every case is one batched ``q @ k^T``, one masked softmax and one
``weights @ v``: ``(batch, <non-attention axes>, heads, Tq, Tk)`` with ``Tq``/``Tk`` the products
of the attention axes' sizes. With the usual single sequence axis nothing is flattened. Without
dropout, when the caller does not want the weights, the three are one ``DotProductAttention``
node.
"""

import math

import numpy as np

from numdeep.autograd import Tensor
from numdeep.autograd.primitives.attention import DotProductAttention
from numdeep.backend import xp_of
from numdeep.layers.attention.masks import expand_mask
from numdeep.ops import eager as ops


def attend(query, key, value, mask=None, axes=None, dropout=None, return_weights=True):
    """``(output, weights)`` of scaled-already ``query`` against ``key`` and ``value``.

    Without dropout and with ``return_weights=False`` the core is one node
    (``DotProductAttention``: BLAS reads the transposed heads in place, no weights handed out)
    and ``weights`` is None, as Keras's fused path returns.

    Args:
        query: ``(B, *rest_q, N, H)`` Tensor (multiplied by the scale beforehand).
        key, value: ``(B, *rest_k, N, H)`` / ``(B, *rest_k, N, Hv)``; non-attention axes equal
            the query's.
        mask: boolean array broadcastable to the weights after Keras's expansion
            (``masks.expand_mask``), True where a query may attend to a key; or None.
        axes: the attention axes (default: every axis between batch and heads).
        dropout: optional function applied to the weights before they combine the values.
        return_weights: whether the caller needs the weights (``None`` is returned otherwise
            when the fused node applies).

    Returns:
        ``output`` ``(B, *rest_q, N, Hv)`` and the weights before dropout,
        ``(B, *non_attention, N, *q_attention, *k_attention)`` (None on the fused path).
    """
    rank = query.ndim
    axes = tuple(range(1, rank - 2)) if axes is None else tuple(axes)
    batch = tuple(a for a in range(1, rank - 2) if a not in axes)
    n_lead = len(batch) + 2  # batch, non-attention axes, heads
    q = query.transpose((0, *batch, rank - 2, *axes, rank - 1))
    kt = key.transpose((0, *batch, rank - 2, rank - 1, *axes))
    v = value.transpose((0, *batch, rank - 2, *axes, rank - 1))
    lead, q_att, k_att = q.shape[:n_lead], q.shape[n_lead:-1], kt.shape[n_lead + 1:]
    flat = len(axes) != 1
    if flat:
        q = q.reshape(lead + (math.prod(q_att), q.shape[-1]))
        kt = kt.reshape(kt.shape[:n_lead + 1] + (math.prod(k_att),))
        v = v.reshape(v.shape[:n_lead] + (math.prod(k_att), v.shape[-1]))
    mask = expand_mask(mask, n_lead + 2 * len(axes), len(axes))
    if flat and mask is not None:
        xp = xp_of(mask)
        full = np.broadcast_shapes(mask.shape, lead + q_att + k_att)
        mask = xp.broadcast_to(mask, full).reshape(full[:n_lead] + (q.shape[-2], kt.shape[-1]))
    # Back from (B, *non_attention, N, *q_attention, Hv) to the query's own axis order.
    order = (0, *batch, rank - 2, *axes, rank - 1)
    if dropout is None and not return_weights:
        out = DotProductAttention.apply(q, kt, v, mask=_array(mask),
                                        layout=None if flat else order)
        weights = None
    else:
        weights = ops.masked_softmax(q @ kt, mask, axis=-1)
        out = (weights if dropout is None else dropout(weights)) @ v
    if flat:
        out = out.reshape(lead + q_att + (out.shape[-1],))
        weights = None if weights is None else weights.reshape(lead + q_att + k_att)
    return out.transpose(tuple(int(i) for i in np.argsort(order))), weights


def _array(mask):
    """The mask as a raw array (a primitive's param), or None."""
    return mask.data if isinstance(mask, Tensor) else mask
