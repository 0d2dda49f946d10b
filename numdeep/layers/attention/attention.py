"""Single-head attention layers: ``Attention`` (dot-product, Luong) and ``AdditiveAttention``
(Bahdanau), with Keras's arguments, masks and ``return_attention_scores``.

Masked keys get exactly zero weight (``numdeep.ops.masked_softmax``); a query whose keys are all
masked attends to nothing (zero weights) where Keras's ``scores - 1e9`` trick leaves it the
softmax of its unmasked scores. Rows with at least one kept key agree with Keras.
"""

from numdeep.autograd import Tensor, data_of
from numdeep.layers.attention.masks import as_bool, causal_mask, merge_masks
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops
from numdeep.random import SeedGenerator
from numdeep.random import dropout as random_dropout


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _is_shape(x):
    return isinstance(x, tuple | list) and all(d is None or isinstance(d, int) for d in x)


def _swap_last(x):
    return x.transpose((*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


class Attention(Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``.

    ``scores = query @ key^T`` (times a learned scalar ``scale`` when ``use_scale``), or with
    ``score_mode="concat"`` ``concat_score_weight * sum(tanh(scale * (q + k)))``; the output is
    ``softmax(scores) @ value``. Inputs may have several axes before the last two
    (``(batch, ..., T, dim)``).

    Args:
        use_scale: learn a scalar ``scale`` (initialized to 1).
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: dropout rate on the attention weights during training.
        seed: seed of that dropout.

    Call arguments:
        inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim)]`` plus optional ``key``.
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]``; filled in from the inputs'
            padding masks. Masked values get no weight, masked queries give zero outputs.
        return_attention_scores: also return the weights ``(batch, Tq, Tv)``, after dropout
            (the weights that multiplied ``value``), as Keras returns them.
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
        self.use_scale, self.score_mode = use_scale, score_mode
        self.dropout, self.seed = dropout, seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed=seed)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")

    def _validate_inputs(self, inputs, mask=None):
        """Keras's checks of ``inputs`` (or their shapes) and ``mask``."""
        name = f"{type(self).__name__} layer '{self.name}'"
        if not isinstance(inputs, list | tuple) or _is_shape(inputs):
            raise ValueError(f"{name} must be called on a list of inputs, namely [query, value] "
                             f"or [query, value, key]. Received: inputs={inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} accepts inputs list of length 2 or 3, namely [query, "
                             f"value] or [query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, list | tuple):
                raise ValueError(f"{type(self).__name__} layer mask must be a list, namely "
                                 f"[query_mask, value_mask] (layer '{self.name}'). Received: "
                                 f"mask={mask}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} accepts mask list of length 2 or 3. Received: "
                                 f"inputs={inputs}, mask={mask}.")

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def _calculate_scores(self, query, key):
        """``(batch, Tq, Tv)`` scores of ``query`` ``(batch, Tq, dim)`` against ``key``."""
        query, key = _tensor(query), _tensor(key)
        if self.score_mode == "dot":
            scores = query @ _swap_last(key)
            return scores * self.scale if self.scale is not None else scores
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * ops.sum(ops.tanh(pairs), axis=-1)

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        """The boolean mask of the scores: ``v_mask`` ``(batch, Tv)``, and with
        ``use_causal_mask`` a ``(1, Tq, Tv)`` lower triangle merged with it."""
        if not use_causal_mask:
            return v_mask
        causal = causal_mask(scores.shape[-2], scores.shape[-1])[None]
        if v_mask is None:
            return causal
        return merge_masks(as_bool(v_mask)[..., None, :], causal)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        """``(softmax(scores) @ value, weights)`` over the unmasked keys, the weights after
        dropout (as Keras returns them)."""
        mask = as_bool(scores_mask)
        if mask is not None and mask.ndim == 2:
            mask = mask[:, None, :]
        weights = ops.masked_softmax(_tensor(scores), mask, axis=-1)
        if training and self.dropout > 0:
            weights = random_dropout(weights, self.dropout, seed=self.seed_generator)
        return weights @ _tensor(value), weights

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = (mask[0], mask[1]) if mask else (None, None)
        scores = self._calculate_scores(q, k)
        scores_mask = self._calculate_score_mask(scores, as_bool(v_mask), use_causal_mask)
        out, weights = self._apply_scores(scores, v, scores_mask, training=training)
        if q_mask is not None:
            out = out * as_bool(q_mask)[..., None].astype(out.dtype)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return data_of(mask[0])

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        from numdeep.ops.symbolic import KerasTensor

        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        out = KerasTensor(self.compute_output_shape([query.shape, value.shape]),
                          dtype=self.dtype)
        if not return_attention_scores:
            return out
        return out, KerasTensor((*query.shape[:-1], key.shape[-2]), dtype=self.dtype)

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
        self._validate_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")

    def _calculate_scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(_tensor(query), -2) + ops.expand_dims(_tensor(key), -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
