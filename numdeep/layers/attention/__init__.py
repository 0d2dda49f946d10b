"""Attention layers: ``MultiHeadAttention``, ``GroupQueryAttention``, ``Attention``
(dot-product), ``AdditiveAttention``."""

from numdeep.layers.attention.attention import AdditiveAttention, Attention
from numdeep.layers.attention.grouped_query_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
)
from numdeep.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "GroupQueryAttention", "GroupedQueryAttention",
           "MultiHeadAttention"]
