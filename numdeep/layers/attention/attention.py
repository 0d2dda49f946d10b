"""Single-head attention layers: ``Attention`` (dot-product, Luong) and ``AdditiveAttention``
(Bahdanau), with Keras's arguments, masks and ``return_attention_scores``."""

from numdeep.autograd import data_of
from numdeep.layers.attention.masks import causal_mask, merge_masks
from numdeep.layers.layer import Layer
from numdeep.layers.regularization import Dropout
from numdeep.ops import eager as ops


class Attention(Layer):
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
        q_mask, v_mask = (data_of(mask[0]), data_of(mask[1])) if mask else (None, None)
        scores_mask = None if v_mask is None else v_mask.astype(bool)[:, None, :]
        if use_causal_mask:
            scores_mask = merge_masks(scores_mask, causal_mask(q.shape[1], v.shape[1])[None])
        weights = ops.masked_softmax(self._scores(q, k), scores_mask, axis=-1)
        out = self._dropout_layer(weights, training=training) @ v
        if q_mask is not None:
            out = out * q_mask.astype(out.dtype)[..., None]
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return data_of(mask[0])

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
