"""Token embeddings: ``Embedding`` (ids to vectors) and ``ReversibleEmbedding`` (which can also
project vectors back to vocabulary logits, with the same table or its own)."""

import warnings

import numpy as np

from numdeep import constraints, initializers, regularizers
from numdeep.autograd import Tensor
from numdeep.autograd.function import NoGradient
from numdeep.autograd.primitives import TakeRows
from numdeep.backend import standardize_dtype
from numdeep.layers.core import check_no_quantization
from numdeep.layers.layer import Layer
from numdeep.layers.lora import LoRA
from numdeep.ops import eager as ops
from numdeep.ops.symbolic import KerasTensor


def _check_dim(what, value, error=ValueError):
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value <= 0:
        raise error(f"`{what}` must be a positive integer. Received: {what}={value} "
                    f"(of type {type(value).__name__}).")


class Embedding(LoRA, Layer):
    """Maps token ids in ``[0, input_dim)`` to rows of an ``(input_dim, output_dim)`` table.

    The lookup is a gather; its gradient scatter-adds into the rows that were used (repeated
    ids accumulate), so only those rows change. With ``mask_zero=True`` id 0 is padding:
    ``compute_mask`` returns ``ids != 0`` for the recurrent layers downstream.

    Args:
        input_dim: vocabulary size (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer: initializer of the table (Keras default ``'uniform'``, i.e.
            ``RandomUniform(-0.05, 0.05)``).
        embeddings_regularizer, embeddings_constraint: penalty and projection of the table.
        mask_zero: treat id 0 as padding and produce a mask.
        weights: optional initial table, e.g. pretrained vectors (with ``trainable=False``
            to freeze them); the layer is built at once. Not part of the config.
        lora_rank, lora_alpha: enable LoRA once built (see ``enable_lora``).

    Call arguments:
        inputs: integer ids of any shape (floats holding whole numbers are accepted).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Embedding(10, 4, mask_zero=True)
        >>> ids = np.array([[3, 5, 0], [1, 0, 0]])
        >>> layer(ids).shape
        (2, 3, 4)
        >>> layer.compute_mask(ids)
        array([[ True,  True, False],
               [ True, False, False]])
    """

    _lora_weight = "embeddings"
    _lora_what = "embedding"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        _check_dim("input_dim", input_dim)
        _check_dim("output_dim", output_dim)
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", UserWarning,
                          stacklevel=2)
        super().__init__(**kwargs)
        check_no_quantization(self, quantization_config)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._init_lora(lora_rank, lora_alpha)
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight((self.input_dim, self.output_dim),
                                           self.embeddings_initializer,
                                           regularizer=self.embeddings_regularizer,
                                           constraint=self.embeddings_constraint,
                                           name="embeddings")
        if self.lora_rank:
            self.built = True  # enable_lora extends a built layer
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def embeddings(self):
        """The ``(input_dim, output_dim)`` table (with its LoRA update when LoRA is on)."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        return self._lora_merged(self._embeddings)

    def call(self, inputs):
        ids = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        # One op that also checks the ids: a training or inference plan replays the check.
        return TakeRows.apply(self.embeddings, ids, what=f"Embedding layer '{self.name}'",
                              hint=" Raise input_dim or fix the vocabulary.")

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` (booleans of the input's shape) with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        if isinstance(inputs, KerasTensor):
            from numdeep import ops as symbolic_ops  # records a graph node

            return symbolic_ops.not_equal(inputs, 0)
        ids = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return PaddingMask.apply(ids).data

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero, **self._lora_config(),
        )
        return config

    @classmethod
    def from_config(cls, config):
        for what in ("input_dim", "output_dim"):
            _check_dim(what, config.get(what), error=TypeError)
        return super().from_config(config)


class PaddingMask(NoGradient):
    """``ids != 0``, as an op (no gradient flows through a mask) so that an inference or
    training plan records where the mask comes from and computes it again for each batch."""

    def forward(self, ids):
        return ids != 0


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that can also map vectors back to vocabulary logits (language-model
    heads): ``layer(x, reverse=True)`` is ``x @ embeddings.T`` with tied weights, else
    ``x @ reverse_embeddings`` (a separate trainable ``(output_dim, input_dim)`` weight). No
    bias (Press and Wolf, 2016).

    Args:
        input_dim, output_dim: vocabulary size and vector size.
        tie_weights: reuse the embedding table for the reverse projection.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint, mask_zero: as
            in ``Embedding``.
        reverse_dtype: dtype the reverse projection computes in (default: the layer's).
        logit_soft_cap: if set, reverse logits become ``tanh(logits / cap) * cap``.

    Call arguments:
        inputs: token ids, or vectors ``(..., output_dim)`` with ``reverse=True``.
        reverse: project vectors to logits instead of looking ids up.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.ReversibleEmbedding(100, 16)
        >>> hidden = layer(np.array([[1, 2, 3]]))
        >>> layer(hidden, reverse=True).shape
        (1, 3, 100)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim),
                                                      self.embeddings_initializer,
                                                      name="reverse_embeddings")

    def call(self, inputs, reverse=False):
        if not reverse:
            out = super().call(inputs)
            out._keras_mask = super().compute_mask(inputs)
            return out
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = standardize_dtype(self.reverse_dtype)
            inputs, kernel = ops.cast(inputs, dtype), ops.cast(kernel, dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the forward call attaches the padding mask itself

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs, reverse=False):
        dtype = self.dtype if not reverse or self.reverse_dtype is None else self.reverse_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse=reverse), dtype=dtype)

    def get_config(self):
        config = super().get_config()
        config.update(tie_weights=self.tie_weights, reverse_dtype=self.reverse_dtype,
                      logit_soft_cap=self.logit_soft_cap)
        return config
