"""``Rescaling``: ``inputs * scale + offset``, the preprocessing tutorials do by hand."""

import numpy as np

from numdeep.layers.layer import Layer


class Rescaling(Layer):
    """Computes ``inputs * scale + offset`` (e.g. ``Rescaling(1/255)`` for 8-bit images).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Rescaling(1 / 255)(np.array([[0, 255]], dtype="uint8")).data
        array([[0., 1.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs, training=False):
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        return inputs * np.asarray(self.scale, self.dtype) + np.asarray(self.offset, self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config
