"""Embedding layers: ``Embedding`` (token ids to vectors), and the position signals of attention
models, learned ``PositionEmbedding`` and fixed ``SinePositionEncoding`` (KerasHub's layers, same
arguments and weight names).

The position layers return a tensor of the input's shape holding only the position signal, to be
added to the token embeddings (``x + PositionEmbedding(T)(x)``), and pass the input's padding mask
on.
"""

import warnings

import numpy as np

from numdeep import initializers, regularizers
from numdeep.autograd import Tensor
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class Embedding(Layer):
    """Maps token ids in ``[0, input_dim)`` to rows of an ``(input_dim, output_dim)`` table.

    The lookup is a gather; its gradient scatter-adds into the rows that were used (repeated
    ids accumulate), so only those rows change. With ``mask_zero=True`` id 0 is padding:
    ``compute_mask`` returns ``ids != 0`` for the recurrent layers downstream.

    Args:
        input_dim: vocabulary size (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer: initializer of the table (Keras default ``'uniform'``, i.e.
            ``RandomUniform(-0.05, 0.05)``).
        embeddings_regularizer: penalty on the table added to the loss.
        mask_zero: treat id 0 as padding and produce a mask.
        weights: optional initial table, e.g. pretrained vectors (with ``trainable=False``
            to freeze them); not part of the config.

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

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, activity_regularizer=None, **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Embedding: the `input_length` argument is deprecated (as in Keras 3) "
                          "and ignored; remove it.", UserWarning, stacklevel=2)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding `{what}` must be a positive integer. Received: "
                                 f"{what}={value!r}")
        if embeddings_constraint is not None:
            raise NotImplementedError(f"Embedding layer '{self.name}': weight constraints are "
                                      f"not supported yet.")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          name="embeddings")
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _ids(self, inputs):
        ids = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if ids.dtype.kind not in "iu":
            ids = ids.astype(np.int64)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.input_dim):
            raise ValueError(
                f"Embedding layer '{self.name}' received token ids outside [0, "
                f"{self.input_dim}): values from {int(ids.min())} to {int(ids.max())}. "
                f"Raise input_dim or fix the vocabulary.")
        return ids

    def call(self, inputs, training=False):
        return ops.take(self.embeddings, self._ids(inputs), axis=0)

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` (booleans of the input's shape) with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        ids = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return ids != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=None if self.embeddings_regularizer is None
            else regularizers.serialize(self.embeddings_regularizer),
            embeddings_constraint=None, mask_zero=self.mask_zero,
        )
        return config


def _check_positions(layer, steps, start_index):
    if steps is not None and layer.sequence_length is not None and (
            start_index + steps > layer.sequence_length):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' holds {layer.sequence_length} "
            f"positions but received a sequence of {steps} steps (start_index={start_index})."
        )


class PositionEmbedding(Layer):
    """A learned embedding per position: ``(batch, steps, dim)`` -> the ``(steps, dim)`` table
    rows for positions ``start_index .. start_index + steps - 1``, broadcast over the batch.

    Args:
        sequence_length: the maximum number of positions.
        initializer: initializer of the ``embeddings`` weight ``(sequence_length, dim)``.

    Call arguments:
        inputs: ``(batch, steps, dim)`` (only its shape is used).
        start_index: first position (for decoding one step at a time).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> tokens = np.zeros((2, 5, 8), dtype="float32")
        >>> layer = nd.layers.PositionEmbedding(sequence_length=10)
        >>> layer(tokens).shape, layer.weights[0].shape
        ((2, 5, 8), (10, 8))
    """

    supports_masking = True

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if isinstance(sequence_length, bool) or not isinstance(sequence_length, int) or (
                sequence_length <= 0):
            raise ValueError(f"PositionEmbedding `sequence_length` must be a positive int. "
                             f"Received: sequence_length={sequence_length!r}")
        self.sequence_length = sequence_length
        self.initializer = initializers.get(initializer)

    def build(self, input_shape):
        if len(input_shape) < 3 or input_shape[-1] is None:
            raise ValueError(f"PositionEmbedding layer '{self.name}' expects inputs (batch, "
                             f"steps, dim) with a known dim; received {tuple(input_shape)}.")
        self.position_embeddings = self.add_weight((self.sequence_length, input_shape[-1]),
                                                   self.initializer, name="embeddings")

    def call(self, inputs, training=False, start_index=0):
        steps = inputs.shape[-2]
        _check_positions(self, steps, start_index)
        table = self.position_embeddings[start_index:start_index + steps]
        return ops.broadcast_to(table, inputs.shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(sequence_length=self.sequence_length,
                      initializer=initializers.serialize(self.initializer))
        return config


class SinePositionEncoding(Layer):
    """The fixed sinusoidal position encoding of "Attention Is All You Need".

    Feature ``2i`` of position ``p`` is ``sin(p / max_wavelength^(2i/dim))`` and feature
    ``2i + 1`` the matching cosine. No weights.

    Args:
        max_wavelength: the longest wavelength (10000 in the paper).

    Call arguments:
        inputs: ``(batch, steps, dim)`` (only its shape is used).
        start_index: first position.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> enc = nd.layers.SinePositionEncoding()(np.zeros((1, 3, 4), dtype="float32"))
        >>> enc.numpy()[0, 1].round(4)
        array([0.8415, 0.5403, 0.01  , 1.    ], dtype=float32)
    """

    supports_masking = True

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        if max_wavelength <= 0:
            raise ValueError(f"SinePositionEncoding `max_wavelength` must be positive. "
                             f"Received: {max_wavelength!r}")
        self.max_wavelength = max_wavelength

    def call(self, inputs, training=False, start_index=0):
        steps, dim = inputs.shape[-2], inputs.shape[-1]
        position = np.arange(start_index, start_index + steps, dtype=np.float64)[:, None]
        i = np.arange(dim)
        timescales = np.power(1.0 / self.max_wavelength, 2 * (i // 2) / dim)
        angles = position * timescales[None, :]
        table = np.where(i % 2 == 0, np.sin(angles), np.cos(angles)).astype(inputs.dtype)
        return Tensor(np.broadcast_to(table, inputs.shape).copy())

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["max_wavelength"] = self.max_wavelength
        return config
