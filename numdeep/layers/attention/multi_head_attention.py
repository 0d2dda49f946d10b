"""``MultiHeadAttention`` with Keras's arguments, weight layout and call conventions.

Masks follow Keras: padding masks carried by the inputs (``Embedding(mask_zero=True)``) mask the
keys (value mask) and the queries; ``use_causal_mask`` stops position ``i`` attending to
``j > i``; ``sliding_window`` keeps ``|i - j| < sliding_window``. The softmax drops masked keys
exactly (``numdeep.ops.masked_softmax``): a query row with no key left gets all-zero weights, as
Keras's masked ``Softmax`` gives, and never NaN.
"""

import math

from numdeep.layers.attention import masks
from numdeep.layers.attention.base import (
    AttentionBase,
    as_tensor,
    check_positive_int,
)
from numdeep.layers.attention.dot_product import attend
from numdeep.layers.attention.projections import HeadsDense, OutputDense, fused_projections


class MultiHeadAttention(AttentionBase):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017), Keras's layer.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads, each query attends to
    the keys with weights ``softmax(q k^T / sqrt(key_dim))``, the weighted values are
    concatenated and projected back to the query's feature size (or ``output_shape``). With
    ``query is value`` this is the self-attention of a Transformer encoder.

    Weights (Keras layout, in this order): ``query``, ``key``, (``gate``), ``value`` with kernels
    ``(dim, num_heads, key_dim)`` (``value_dim`` for values and the gate) and biases
    ``(num_heads, key_dim)``, then ``attention_output`` with kernel ``(num_heads, value_dim,
    *out)`` and bias ``out``. The sublayers are ``query_dense``, ``key_dense``, ``value_dense``,
    ``output_dense`` (and ``_gate_dense``).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention weights during training.
        use_bias: whether the projections have biases.
        output_shape: output feature shape (int or tuple); default the query's last dimension.
        attention_axes: the axes attention runs over (default: every axis between batch and
            features); several axes attend jointly, as over the pixels of an image.
        sliding_window: keep only keys within ``sliding_window - 1`` positions of each query.
        flash_attention: accepted for Keras compatibility (numdeep has no flash kernel; with it
            on, ``dropout`` and ``return_attention_scores`` are refused, as in Keras).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        use_gate: gate the attention output with ``sigmoid(query @ gate)`` (gated attention).
        seed: seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)`` (or more axes, see ``attention_axes``).
        value: ``(batch, S, dim)``.
        key: ``(batch, S, dim)``; defaults to ``value``.
        attention_mask: boolean ``(batch, T, S)`` (or broadcastable, e.g. ``(batch, 1, S)``),
            True where a query may attend to a key.
        query_mask, value_mask, key_mask: padding masks ``(batch, T)`` / ``(batch, S)``;
            default: the masks the inputs carry (``Embedding(mask_zero=True)``).
        return_attention_scores: also return the weights ``(batch, num_heads, T, S)``.
        training: apply dropout.
        use_causal_mask: forbid attending to later positions.

    Returns:
        ``(batch, T, *out)``, or ``(output, scores)``; the output carries the query's padding
        mask.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> mha = nd.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.random.default_rng(0).normal(size=(3, 5, 8)).astype("float32")
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
        >>> [w.shape for w in mha.weights][:2]
        [(8, 2, 4), (2, 4)]
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        check_positive_int("num_heads", num_heads)
        check_positive_int("key_dim", key_dim)
        check_positive_int("value_dim", value_dim, none_ok=True)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self._output_shape = _output_shape(output_shape)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, list | tuple):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: "
                             f"attention_axes={attention_axes}")
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._store_common(dropout, use_bias, use_gate, sliding_window, flash_attention,
                           kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer, activity_regularizer, kernel_constraint,
                           bias_constraint, seed)
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    # Keras's private names for the sublayers, which its tests and user code reach for.
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            raise TypeError(f"MultiHeadAttention layer '{self.name}' needs `query` and `value` "
                            f"(and optionally `key`).")
        q, v = tuple(query_shape), tuple(value_shape)
        k = v if key_shape is None else tuple(key_shape)
        _check_key_value(v, k)
        for name, shape in (("query", q), ("value", v), ("key", k)):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(
                    f"MultiHeadAttention layer '{self.name}' expects `{name}` of shape (batch, "
                    f"steps, features) (or more axes between batch and features) with known "
                    f"features; received {shape}.")
        self._axes = self._normalized_axes(len(q) + 1)
        args = dict(use_bias=self.use_bias, **self._sublayer_args())
        self.query_dense = HeadsDense(self.num_heads, self.key_dim, name="query", **args)
        self.query_dense.build(q)
        self.key_dense = HeadsDense(self.num_heads, self.key_dim, name="key", **args)
        self.key_dense.build(k)
        if self.use_gate:
            gate = HeadsDense(self.num_heads, self.value_dim, activation="sigmoid", name="gate",
                              **args)
            self._track_private("_gate_dense", gate).build(q)
        self.value_dense = HeadsDense(self.num_heads, self.value_dim, name="value", **args)
        self.value_dense.build(v)
        out = self._output_shape or (q[-1],)
        self.output_dense = OutputDense(out, name="attention_output", **args)
        self.output_dense.build((*q[:-1], self.num_heads, self.value_dim))

    def _normalized_axes(self, rank):
        """The attention axes as input axes in ``[1, rank - 3]`` (``rank``: the projected
        tensors' rank); negative ones count from the input's end, as in Keras."""
        if self.attention_axes is None:
            return tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else (rank - 1) + a for a in self.attention_axes)
        if any(not 1 <= a <= rank - 3 for a in axes):
            raise ValueError(f"MultiHeadAttention layer '{self.name}': `attention_axes` must be "
                             f"axes between the batch and feature axes of inputs of rank "
                             f"{rank - 1}. Received: attention_axes={self.attention_axes}")
        return axes

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        mask, causal_only, query_mask = self._call_masks(
            query, value, key, query_mask, value_mask, key_mask, attention_mask,
            use_causal_mask, MultiHeadAttention)
        gate = self._gate_dense(query) if self.use_gate else None
        fused = None
        if query is key and key is value:
            fused = fused_projections(query, (self.query_dense, self.key_dense, self.value_dense))
        q, k, v = fused or (self.query_dense(query), self.key_dense(key), self.value_dense(value))
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(q, k, v, mask, training, return_attention_scores,
                                              **extra)
        out = self.output_dense(out if gate is None else out * gate)
        if query_mask is not None:
            out._keras_mask = masks.as_bool(query_mask)
        return (out, scores) if return_attention_scores else out

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """``(output, scores)`` from the projected ``query`` ``(B, T, N, key_dim)``, ``key``
        ``(B, S, N, key_dim)`` and ``value`` ``(B, S, N, value_dim)`` (Keras's override point):
        output ``(B, T, N, value_dim)``, scores ``(B, N, T, S)`` before dropout."""
        self._check_scores_flag(return_attention_scores)
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        mask = masks.as_bool(attention_mask)
        if use_causal_mask:
            mask = masks.merge_masks(mask, self._compute_causal_mask(query, value))
        axes = getattr(self, "_axes", None) or self._normalized_axes(query.ndim)
        return attend(query * self._inverse_sqrt_key_dim, key, value, mask, axes,
                      self._dropout_fn(training), return_weights=return_attention_scores)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape or query_shape)
        _check_key_value(value_shape, value_shape if key_shape is None else tuple(key_shape))
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False,
                            **kwargs):
        from numdeep.ops.symbolic import KerasTensor

        out = KerasTensor(self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape), dtype=self.dtype)
        if not return_attention_scores:
            return out
        rank = len(query.shape) + 1
        axes = self._normalized_axes(rank)
        batch = [query.shape[a] for a in range(1, rank - 2) if a not in axes]
        kv = value if key is None else key
        scores = (query.shape[0], *batch, self.num_heads, *(query.shape[a] for a in axes),
                  *(kv.shape[a] for a in axes))
        return out, KerasTensor(scores, dtype=self.dtype)

    def get_config(self):
        config = self._base_config()
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            dropout=self.dropout, use_bias=self.use_bias, use_gate=self.use_gate,
            output_shape=self._output_shape, attention_axes=self.attention_axes,
            sliding_window=self._sliding_window, seed=self.seed,
        )
        return config


def _output_shape(output_shape):
    if not output_shape:
        return None
    if isinstance(output_shape, int):
        output_shape = (output_shape,)
    try:
        return tuple(output_shape)
    except TypeError:
        raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the "
                         f"`output_shape` should be of type tuple, list, or int.") from None


def _check_key_value(value_shape, key_shape):
    if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
        raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be "
                         f"equal. Received: value_shape={value_shape} and "
                         f"key_shape={key_shape}")
