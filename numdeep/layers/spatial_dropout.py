"""``SpatialDropout1D``/``SpatialDropout2D``: dropout of whole feature maps."""

from numdeep.layers.regularization import Dropout


class SpatialDropout1D(Dropout):
    """Drops entire channels of ``(batch, steps, channels)`` during training (one keep/drop
    decision per sample and channel, shared by all steps), scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Adjacent steps of a feature map are strongly correlated, so per-element dropout barely
    regularizes convolutional features; dropping whole maps does.
    """

    rank = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: `data_format` must be 'channels_last' or "
                             f"'channels_first'. Received: {data_format!r}")
        self.data_format = data_format or "channels_last"
        ones = (1,) * self.rank
        noise = ((None, None) + ones if self.data_format == "channels_first"
                 else (None,) + ones + (None,))
        super().__init__(rate, noise_shape=noise, seed=seed, **kwargs)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input; received input shape "
                             f"{tuple(input_shape)}.")

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config


class SpatialDropout2D(SpatialDropout1D):
    """Drops entire channels (feature maps) of ``(batch, height, width, channels)`` images
    during training; the identity at inference.

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: seed of the layer's own generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SpatialDropout2D(0.5, seed=1)
        >>> y = layer(np.ones((2, 4, 4, 3), dtype="float32"), training=True).data
        >>> bool(((y == 0) | (y == 2)).all() and (y == y[:, :1, :1, :]).all())
        True
    """

    rank = 2
