"""``MultiHeadAttention`` with Keras's arguments, weight layout and call conventions.

Masks follow Keras: padding masks carried by the inputs (``Embedding(mask_zero=True)``) mask the
keys (value mask) and the queries; ``use_causal_mask`` stops position ``i`` attending to
``j > i``. The softmax drops masked keys exactly (``numdeep.ops.masked_softmax``): a query row with
no key left to attend to gets all-zero weights instead of Keras's uniform ones, so padded
positions never read padding.
"""

import math

from numdeep import initializers, regularizers
from numdeep.autograd import data_of
from numdeep.backend import xp_of
from numdeep.layers.attention.masks import (
    causal_mask,
    clone_initializer,
    merge_masks,
)
from numdeep.layers.layer import Layer
from numdeep.layers.regularization import Dropout
from numdeep.ops import eager as ops


class _HeadsDense(Layer):
    """``(..., in) -> (..., heads, size)``: Keras's EinsumDense ``abc,cde->abde`` with kernel
    ``(in, heads, size)`` and bias ``(heads, size)``."""

    def __init__(self, heads, size, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.size, self.use_bias = heads, size, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.heads, self.size),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.heads, self.size), self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer)

    def call(self, inputs, training=False):
        width = self.heads * self.size
        y = inputs @ self.kernel.reshape(self.kernel.shape[0], width)
        if self.bias is not None:
            y = y + self.bias.reshape(width)
        return y.reshape(inputs.shape[:-1] + (self.heads, self.size))


class _OutputDense(Layer):
    """``(..., heads, size) -> (..., *out)``: kernel ``(heads, size, *out)``, bias ``out``."""

    def __init__(self, out_shape, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.out_shape, self.use_bias = tuple(out_shape), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, input_shape):
        heads, size = input_shape[-2:]
        self.kernel = self.add_weight((heads, size, *self.out_shape), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self.out_shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def call(self, inputs, training=False):
        heads, size = self.kernel.shape[:2]
        y = inputs.reshape(inputs.shape[:-2] + (heads * size,))
        y = y @ self.kernel.reshape(heads * size, -1)
        if self.bias is not None:
            y = y + self.bias.reshape(-1)
        return y.reshape(inputs.shape[:-2] + self.out_shape)


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017), Keras's layer.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads, each query attends to
    the keys with weights ``softmax(q k^T / sqrt(key_dim))``, the weighted values are
    concatenated and projected back to the query's feature size (or ``output_shape``). With
    ``query is value`` this is the self-attention of a Transformer encoder.

    Weights (Keras layout, in this order): sublayers ``query_dense``, ``key_dense``,
    ``value_dense`` with kernels ``(dim, num_heads, key_dim)`` (``value_dim`` for values) and
    biases ``(num_heads, key_dim)``, then ``output_dense`` with kernel
    ``(num_heads, value_dim, out)`` and bias ``(out,)``.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention weights during training.
        use_bias: whether the projections have biases.
        output_shape: output feature size (int or tuple); default the query's last dimension.
        attention_axes: only ``None`` or the sequence axis (1 / -2) is supported: inputs are
            ``(batch, steps, features)``.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: for the four
            projections.
        seed: seed of the attention dropout.

    Call arguments:
        query: ``(batch, T, dim)``.
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
        ``(batch, T, out)``, or ``(output, scores)``. The output carries the query's padding mask.

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
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim),
                           ("value_dim", value_dim if value_dim is not None else key_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"MultiHeadAttention `{arg}` must be a positive int. "
                                 f"Received: {arg}={value!r}")
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError("MultiHeadAttention: weight constraints are not supported.")
        axes = (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        if axes is not None and tuple(axes) not in ((1,), (-2,)):
            raise NotImplementedError(
                f"MultiHeadAttention supports attention over the sequence axis of (batch, steps, "
                f"features) inputs only (attention_axes None, 1 or -2). Received: "
                f"attention_axes={attention_axes!r}")
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim if value_dim is not None else key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self._output_shape = tuple(output_shape) if output_shape else None
        self.attention_axes = None if axes is None else list(axes)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._dropout_layer = Dropout(self.dropout, seed=seed, name=f"{self.name}_dropout")

    def _sublayer_args(self):
        return dict(use_bias=self.use_bias,
                    kernel_initializer=clone_initializer(self.kernel_initializer),
                    bias_initializer=clone_initializer(self.bias_initializer),
                    kernel_regularizer=self.kernel_regularizer,
                    bias_regularizer=self.bias_regularizer, dtype=self.dtype)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            raise TypeError(f"MultiHeadAttention layer '{self.name}' needs `query` and `value` "
                            f"(and optionally `key`).")
        q, v = tuple(query_shape), tuple(value_shape)
        k = v if key_shape is None else tuple(key_shape)
        for name, shape in (("query", q), ("value", v), ("key", k)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"MultiHeadAttention layer '{self.name}' expects `{name}` of shape (batch, "
                    f"steps, features) with known features; received {tuple(shape)}.")
        if v[1] is not None and k[1] is not None and v[1] != k[1]:
            raise ValueError(f"MultiHeadAttention layer '{self.name}': `key` and `value` must "
                             f"have the same number of steps. Received: value_shape={v} and "
                             f"key_shape={k}")
        args = self._sublayer_args()
        self.query_dense = _HeadsDense(self.num_heads, self.key_dim, name="query", **args)
        self.key_dense = _HeadsDense(self.num_heads, self.key_dim, name="key", **args)
        self.value_dense = _HeadsDense(self.num_heads, self.value_dim, name="value", **args)
        out = self._output_shape or (q[-1],)
        self.output_dense = _OutputDense(out, name="attention_output", **args)
        self.query_dense.build(q)
        self.key_dense.build(k)
        self.value_dense.build(v)
        self.output_dense.build((None, None, self.num_heads, self.value_dim))
        for sub in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            sub.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        masks = {"query_mask": query_mask, "value_mask": value_mask, "key_mask": key_mask,
                 "attention_mask": attention_mask}
        inputs = {k: v for k, v in masks.items() if v is not None}
        q_mask = data_of(inputs.get("query_mask", getattr(query, "_keras_mask", None)))
        mask = self._attention_mask(inputs, query, value, key, use_causal_mask)
        # (batch, steps, heads, size) -> (batch, heads, steps, size)
        q = self.query_dense(query).transpose(0, 2, 1, 3) * (1.0 / math.sqrt(self.key_dim))
        k = self.key_dense(key).transpose(0, 2, 3, 1)
        v = self.value_dense(value).transpose(0, 2, 1, 3)
        scores = ops.masked_softmax(q @ k, mask, axis=-1)
        weights = self._dropout_layer(scores, training=training)
        out = self.output_dense((weights @ v).transpose(0, 2, 1, 3))
        if q_mask is not None:
            out._keras_mask = q_mask
        return (out, scores) if return_attention_scores else out

    def _attention_mask(self, inputs, query, value, key, use_causal_mask):
        """Boolean mask broadcastable to ``(batch, heads, T, S)``, or None."""
        q_mask = data_of(inputs.get("query_mask", getattr(query, "_keras_mask", None)))
        v_mask = data_of(inputs.get("value_mask", getattr(value, "_keras_mask", None)))
        k_mask = data_of(inputs.get("key_mask", None if key is value
                                 else getattr(key, "_keras_mask", None)))
        mask = None
        if q_mask is not None:
            mask = q_mask.astype(bool)[:, None, :, None]
        for m in (v_mask, k_mask):
            if m is not None:
                mask = merge_masks(mask, m.astype(bool)[:, None, None, :])
        if use_causal_mask:
            mask = merge_masks(mask, causal_mask(query.shape[1], value.shape[1])[None, None])
        m = data_of(inputs.get("attention_mask"))
        if m is not None:
            m = xp_of(m).asarray(m).astype(bool)
            while m.ndim < 4:
                m = m[..., None, :, :] if m.ndim >= 2 else m[None]
            mask = merge_masks(mask, m)
        return mask

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            dropout=self.dropout, use_bias=self.use_bias,
            output_shape=list(self._output_shape) if self._output_shape else None,
            attention_axes=self.attention_axes,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=None, bias_constraint=None, seed=self.seed,
        )
        return config
