"""Attention layers: ``MultiHeadAttention``, ``Attention`` (dot-product), ``AdditiveAttention``."""

from numdeep.layers.attention.attention import AdditiveAttention, Attention
from numdeep.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
