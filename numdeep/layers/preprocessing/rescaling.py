"""``Rescaling``: ``inputs * scale + offset``, the preprocessing tutorials do by hand."""

import numpy as np

from numdeep.backend.config import image_data_format
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
        scale = np.asarray(self.scale, self.dtype)
        if scale.ndim and image_data_format() == "channels_first":
            # A per-channel scale lines up with axis -3 of (..., C, H, W) images.
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return inputs * scale + np.asarray(self.offset, self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=_plain(self.scale), offset=_plain(self.offset))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("scale", "offset"):
            value = config.get(key)
            if isinstance(value, dict) and value.get("class_name") == "__numpy__":
                # Keras writes NumPy arguments as {'class_name': '__numpy__', 'config': ...}.
                value = np.array(value["config"]["value"], dtype=value["config"].get("dtype"))
            config[key] = value
        return cls(**config)


def _plain(value):
    """NumPy scalars and arrays as JSON-friendly numbers and lists."""
    return np.asarray(value).tolist() if isinstance(value, np.ndarray | np.generic) else value
