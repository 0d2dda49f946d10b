"""Attention layers: ``MultiHeadAttention``, ``Attention`` (dot-product), ``AdditiveAttention``.

Keras names, arguments, weight layouts and call conventions. Masks follow Keras: padding masks
carried by the inputs (``Embedding(mask_zero=True)``) mask the keys (value mask) and the queries;
``use_causal_mask`` stops position ``i`` attending to ``j > i``. The softmax drops masked keys
exactly (see ``numdeep.autograd.primitives.attention``): a query row with no key left to attend
to gets all-zero weights instead of Keras's uniform ones, so padded positions never read padding.
"""

import math

import numpy as np

from numdeep import initializers, ops, regularizers
from numdeep.autograd import Tensor
from numdeep.backend import xp_of
from numdeep.layers.base import Layer
from numdeep.layers.regularization import Dropout


def _raw(m):
    return m.data if isinstance(m, Tensor) else m


def _causal(t, s):
    return np.tril(np.ones((t, s), dtype=bool))


def _and(a, b):
    return b if a is None else (a if b is None else a & b)


def _clone(init):
    # Separate instances per sublayer, as Keras does, so a seeded initializer is not shared.
    if isinstance(init, initializers.Initializer):
        return type(init).from_config(init.get_config())
    return init


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


class _ScoresFlag:
    """Whether the symbolic call being traced asked for ``return_attention_scores``."""

    _symbolic_scores = False

    def _call_symbolic(self, inputs, training=None, **kwargs):
        self._symbolic_scores = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._call_symbolic(inputs, training=training, **kwargs)
        finally:
            self._symbolic_scores = False


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


class MultiHeadAttention(_ScoresFlag, Layer):
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
        return dict(use_bias=self.use_bias, kernel_initializer=_clone(self.kernel_initializer),
                    bias_initializer=_clone(self.bias_initializer),
                    kernel_regularizer=self.kernel_regularizer,
                    bias_regularizer=self.bias_regularizer, dtype=self.dtype)

    def __call__(self, query, value=None, key=None, training=None, **kwargs):
        if value is None and isinstance(query, dict):
            inputs = query  # replayed by a functional model
        else:
            if value is None:
                raise TypeError(f"MultiHeadAttention layer '{self.name}' needs `query` and "
                                f"`value` (and optionally `key`).")
            inputs = {"query": query, "value": value}
            if key is not None:
                inputs["key"] = key
            for name in ("attention_mask", "query_mask", "value_mask", "key_mask"):
                mask = kwargs.pop(name, None)
                if mask is not None:
                    inputs[name] = mask
        return super().__call__(inputs, training=training, **kwargs)

    def build(self, input_shape):
        q, v = input_shape["query"], input_shape["value"]
        k = input_shape.get("key", v)
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

    def call(self, inputs, training=False, return_attention_scores=False,
             use_causal_mask=False):
        query, value = inputs["query"], inputs["value"]
        key = inputs.get("key", value)
        q_mask = _raw(inputs.get("query_mask", getattr(query, "_keras_mask", None)))
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
        q_mask = _raw(inputs.get("query_mask", getattr(query, "_keras_mask", None)))
        v_mask = _raw(inputs.get("value_mask", getattr(value, "_keras_mask", None)))
        k_mask = _raw(inputs.get("key_mask", None if key is value
                                 else getattr(key, "_keras_mask", None)))
        mask = None
        if q_mask is not None:
            mask = q_mask.astype(bool)[:, None, :, None]
        for m in (v_mask, k_mask):
            if m is not None:
                mask = _and(mask, m.astype(bool)[:, None, None, :])
        if use_causal_mask:
            mask = _and(mask, _causal(query.shape[1], value.shape[1])[None, None])
        m = _raw(inputs.get("attention_mask"))
        if m is not None:
            m = xp_of(m).asarray(m).astype(bool)
            while m.ndim < 4:
                m = m[..., None, :, :] if m.ndim >= 2 else m[None]
            mask = _and(mask, m)
        return mask

    def compute_output_shape(self, input_shape):
        q, v = input_shape["query"], input_shape["value"]
        out = (*q[:-1], *(self._output_shape or (q[-1],)))
        if self._symbolic_scores:
            return [out, (q[0], self.num_heads, q[1], v[1])]
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            dropout=self.dropout, use_bias=self.use_bias,
            output_shape=list(self._output_shape) if self._output_shape else None,
            attention_axes=self.attention_axes,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            kernel_constraint=None, bias_constraint=None, seed=self.seed,
        )
        return config


class Attention(_ScoresFlag, Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``.

    ``scores = query @ key^T`` (times a learned scalar ``scale`` when ``use_scale``), or with
    ``score_mode="concat"`` ``concat_score_weight * sum(tanh(scale * (q + k)))``; the output is
    ``softmax(scores) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` (initialized to 1).
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: dropout rate on the attention weights during training.
        seed: seed of that dropout.

    Call arguments:
        inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim)]`` plus optional ``key``.
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]``; filled in from the inputs'
            padding masks. Masked values get no weight, masked queries give zero outputs.
        return_attention_scores: also return the weights ``(batch, Tq, Tv)``.
        training: apply dropout.
        use_causal_mask: forbid attending to later positions.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> q = np.ones((2, 3, 4), dtype="float32")
        >>> v = np.ones((2, 5, 4), dtype="float32")
        >>> nd.layers.Attention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed
        self._dropout_layer = Dropout(self.dropout, seed=seed, name=f"{self.name}_dropout")

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, list | tuple) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer '{self.name}' must be called on a list of inputs "
                             f"[query, value] or [query, value, key]. Received: {inputs!r}")
        if mask is not None and (not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} layer '{self.name}' mask must be a list [query_mask, "
                             f"value_mask]. Received: mask={mask!r}")

    def build(self, input_shape):
        self._validate(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = q @ k.transpose(0, 2, 1)
            return scores * self.scale if self.scale is not None else scores
        pairs = ops.expand_dims(q, -2) + ops.expand_dims(k, -3)
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * ops.sum(ops.tanh(pairs), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = (_raw(mask[0]), _raw(mask[1])) if mask else (None, None)
        scores_mask = None if v_mask is None else v_mask.astype(bool)[:, None, :]
        if use_causal_mask:
            scores_mask = _and(scores_mask, _causal(q.shape[1], v.shape[1])[None])
        weights = ops.masked_softmax(self._scores(q, k), scores_mask, axis=-1)
        out = self._dropout_layer(weights, training=training) @ v
        if q_mask is not None:
            out = out * q_mask.astype(out.dtype)[..., None]
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return _raw(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate(input_shape)
        q, v = input_shape[0], input_shape[1]
        out = (*q[:-1], v[-1])
        if self._symbolic_scores:
            return [out, (q[0], q[1], v[1])]
        return out

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode,
                      dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: ``scores = sum(scale * tanh(query + key), -1)``.

    Same inputs, masks and outputs as ``Attention``; ``scale`` is a learned vector of size
    ``dim`` (glorot-uniform initialized) when ``use_scale`` (the default).

    Args:
        use_scale: learn the per-feature ``scale``.
        dropout: dropout rate on the attention weights during training.
        seed: seed of that dropout.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> q = np.ones((2, 3, 4), dtype="float32")
        >>> v = np.ones((2, 5, 4), dtype="float32")
        >>> layer = nd.layers.AdditiveAttention()
        >>> layer([q, v]).shape, [w.shape for w in layer.weights]
        ((2, 3, 4), [(4,)])
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")

    def _scores(self, q, k):
        pairs = ops.tanh(ops.expand_dims(q, -2) + ops.expand_dims(k, -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
