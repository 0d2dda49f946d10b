"""``GroupedQueryAttention`` (Ainslie et al., 2023) with Keras's arguments and weight layout;
``GroupQueryAttention`` (Keras's public name, the one Keras writes in files) is the same class."""

import math

from numdeep.layers.attention import masks
from numdeep.layers.attention.base import AttentionBase, as_tensor
from numdeep.layers.attention.dot_product import attend
from numdeep.layers.attention.projections import HeadsDense, OutputDense
from numdeep.ops import eager as ops


class GroupedQueryAttention(AttentionBase):
    """Grouped-query attention: ``num_query_heads`` query heads share ``num_key_value_heads``
    key/value heads (each key/value head serves ``num_query_heads // num_key_value_heads``
    consecutive query heads). One key/value head is multi-query attention; as many as query
    heads is ``MultiHeadAttention``.

    Weights (Keras layout, in this order): ``query`` kernel ``(dim, num_query_heads, head_dim)``
    and bias ``(num_query_heads, head_dim)``; ``key``; (``gate``); ``value`` with
    ``num_key_value_heads``; ``attention_output`` kernel ``(num_query_heads, head_dim, dim)``
    and bias ``(dim,)``.

    Args:
        head_dim: size of each head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads (must divide ``num_query_heads``).
        dropout: dropout rate on the attention weights during training.
        use_bias: whether the projections have biases.
        sliding_window: keep only keys within ``sliding_window - 1`` positions of each query.
        flash_attention: accepted for Keras compatibility (see ``MultiHeadAttention``).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        use_gate: gate the attention output with ``sigmoid(query @ gate)``.
        seed: seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)``; value: ``(batch, S, dim)``; key: ``(batch, S, dim)``
            (default ``value``).
        attention_mask, query_mask, value_mask, key_mask, return_attention_scores, training,
        use_causal_mask: as for ``MultiHeadAttention``; scores are
            ``(batch, num_query_heads, T, S)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> gqa = nd.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
        ...                                     num_key_value_heads=2)
        >>> x = np.ones((2, 5, 8), dtype="float32")
        >>> out, scores = gqa(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape, gqa.weights[2].shape
        ((2, 5, 8), (2, 4, 5, 5), (8, 2, 4))
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads, self.num_key_value_heads = num_query_heads, num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self._store_common(dropout, use_bias, use_gate, sliding_window, flash_attention,
                           kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer, activity_regularizer, kernel_constraint,
                           bias_constraint, seed)
        self.sliding_window = sliding_window
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._return_attention_scores = False

    def _window(self):
        return self.sliding_window

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            raise TypeError(f"GroupedQueryAttention layer '{self.name}' needs `query` and "
                            f"`value` (and optionally `key`).")
        key_shape = value_shape if key_shape is None else key_shape
        self.feature_dim = query_shape[-1]
        args = dict(use_bias=self.use_bias, **self._sublayer_args())
        heads, kv_heads = self.num_query_heads, self.num_key_value_heads
        self._track_private("_query_dense", HeadsDense(heads, self.head_dim, name="query",
                                                       **args)).build(query_shape)
        self._track_private("_key_dense", HeadsDense(kv_heads, self.head_dim, name="key",
                                                     **args)).build(key_shape)
        if self.use_gate:
            gate = HeadsDense(heads, self.head_dim, activation="sigmoid", name="gate", **args)
            self._track_private("_gate_dense", gate).build(query_shape)
        self._track_private("_value_dense", HeadsDense(kv_heads, self.head_dim, name="value",
                                                       **args)).build(value_shape)
        output = OutputDense((self.feature_dim,), name="attention_output", **args)
        self._track_private("_output_dense", output).build((None, None, heads, self.head_dim))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        self._return_attention_scores = return_attention_scores
        key = value if key is None else key
        mask, causal_only, query_mask = self._call_masks(
            query, value, key, query_mask, value_mask, key_mask, attention_mask,
            use_causal_mask, GroupedQueryAttention)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k, v = self._repeat(self._key_dense(key)), self._repeat(self._value_dense(value))
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(q, k, v, attention_mask=mask, training=training,
                                              **extra)
        out = self._output_dense(out if gate is None else out * gate)
        if query_mask is not None:
            out._keras_mask = masks.as_bool(query_mask)
        return (out, scores) if return_attention_scores else out

    def _repeat(self, x):
        """``(B, S, kv_heads, H) -> (B, S, query_heads, H)``, each head repeated in place."""
        if self.num_repeats == 1:
            return x
        b, s, n, h = x.shape
        x = ops.broadcast_to(x.reshape(b, s, n, 1, h), (b, s, n, self.num_repeats, h))
        return x.reshape(b, s, n * self.num_repeats, h)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           use_causal_mask=False):
        """``(output, scores)`` from projected ``(B, T, N, H)`` query and (repeated) key and
        value (Keras's override point; ``return_attention_scores`` is taken from the call)."""
        self._check_scores_flag(self._return_attention_scores)
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        mask = masks.as_bool(attention_mask)
        if use_causal_mask:
            mask = masks.merge_masks(mask, self._compute_causal_mask(query, value))
        return attend(query * self._inverse_sqrt_head_dim, key, value, mask, (1,),
                      self._dropout_fn(training),
                      return_weights=bool(self._return_attention_scores))

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False,
                            **kwargs):
        from numdeep.ops.symbolic import KerasTensor

        out = KerasTensor(self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape), dtype=self.dtype)
        if not return_attention_scores:
            return out
        kv = value if key is None else key
        scores = (query.shape[0], self.num_query_heads, query.shape[1], kv.shape[1])
        return out, KerasTensor(scores, dtype=self.dtype)

    def get_config(self):
        config = self._base_config()
        config.update(
            head_dim=self.head_dim, num_query_heads=self.num_query_heads,
            num_key_value_heads=self.num_key_value_heads, use_bias=self.use_bias,
            use_gate=self.use_gate, sliding_window=self.sliding_window, dropout=self.dropout,
            seed=self.seed)
        return config


GroupQueryAttention = GroupedQueryAttention
