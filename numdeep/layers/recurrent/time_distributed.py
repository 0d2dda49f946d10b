"""``TimeDistributed``: one layer applied to every time step of a sequence."""

from numdeep import registry
from numdeep.layers.layer import Layer


class TimeDistributed(Layer):
    """Applies a layer to every time step: ``(batch, time, ...)`` is folded to
    ``(batch * time, ...)`` for the wrapped layer, whose weights all steps share.

    Args:
        layer: the layer to apply (e.g. ``Dense``, ``Conv2D``).

    Call arguments:
        inputs: tensor of rank >= 3, time on axis 1.
        training: passed to the wrapped layer.
        mask: passed through unchanged (``compute_mask`` returns it).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.TimeDistributed(nd.layers.Dense(2))
        >>> layer(np.ones((4, 7, 3), dtype="float32")).shape
        (4, 7, 2)
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed needs a layer instance; received {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    def _inner_shape(self, shape):
        if len(shape) < 3:
            raise ValueError(f"TimeDistributed layer '{self.name}' expects input of rank >= 3 "
                             f"(batch, time, ...); received input of shape {tuple(shape)}.")
        return (None, *shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._inner_shape(tuple(input_shape)))

    def call(self, inputs, training=False, mask=None):
        n, steps = inputs.shape[:2]
        self._inner_shape(inputs.shape)
        y = self.layer(inputs.reshape(n * steps, *inputs.shape[2:]), training=training)
        return y.reshape(n, steps, *y.shape[1:])

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(tuple(input_shape)))
        return (input_shape[0], input_shape[1], *inner[1:])

    def compute_mask(self, inputs, mask=None):
        """The input mask, unchanged: the time axis is untouched."""
        return mask

    def get_config(self):
        config = super().get_config()
        config["layer"] = registry.kind("layer").serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = registry.kind("layer").deserialize(config["layer"])
        return cls(**config)
