"""Position signals of attention models, to be added to the token embeddings: learned
``PositionEmbedding`` and fixed ``SinePositionEncoding`` (KerasHub's layers, same arguments and
weight names).

Both return a tensor of the input's shape holding only the position signal
(``x + PositionEmbedding(T)(x)``), and pass the input's padding mask on.
"""

import numpy as np

from numdeep import initializers
from numdeep.autograd import Tensor
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


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
