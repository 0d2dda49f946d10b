"""Multi-head dot-product attention over one or several attention axes, on the projected
tensors of ``MultiHeadAttention`` and ``GroupedQueryAttention``.

Projected tensors are ``(batch, <other axes>, heads, features)``. The attention axes (``axes``,
indices among ``<other axes>``, counted from 1 as in the input) are gathered after the heads and
flattened into one, so every case is one batched ``q @ k^T``, one masked softmax and one
``weights @ v``: ``(batch, <non-attention axes>, heads, Tq, Tk)`` with ``Tq``/``Tk`` the products
of the attention axes' sizes. With the usual single sequence axis nothing is flattened.
"""

import math

import numpy as np

from numdeep.backend import xp_of
from numdeep.layers.attention.masks import expand_mask
from numdeep.ops import eager as ops


def attend(query, key, value, mask=None, axes=None, dropout=None):
    """``(output, weights)`` of scaled-already ``query`` against ``key`` and ``value``.

    Args:
        query: ``(B, *rest_q, N, H)`` Tensor (multiplied by the scale beforehand).
        key, value: ``(B, *rest_k, N, H)`` / ``(B, *rest_k, N, Hv)``; non-attention axes equal
            the query's.
        mask: boolean array broadcastable to the weights after Keras's expansion
            (``masks.expand_mask``), True where a query may attend to a key; or None.
        axes: the attention axes (default: every axis between batch and heads).
        dropout: optional function applied to the weights before they combine the values.

    Returns:
        ``output`` ``(B, *rest_q, N, Hv)`` and the weights before dropout,
        ``(B, *non_attention, N, *q_attention, *k_attention)``.
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
    scores = q @ kt
    mask = expand_mask(mask, n_lead + 2 * len(axes), len(axes))
    if flat and mask is not None:
        xp = xp_of(mask)
        full = np.broadcast_shapes(mask.shape, lead + q_att + k_att)
        mask = xp.broadcast_to(mask, full).reshape(full[:n_lead] + scores.shape[-2:])
    weights = ops.masked_softmax(scores, mask, axis=-1)
    out = (weights if dropout is None else dropout(weights)) @ v
    if flat:
        out = out.reshape(lead + q_att + (out.shape[-1],))
        weights = weights.reshape(lead + q_att + k_att)
    # Back from (B, *non_attention, N, *q_attention, Hv) to the query's own axis order.
    order = (0, *batch, rank - 2, *axes, rank - 1)
    return out.transpose(tuple(int(i) for i in np.argsort(order))), weights
