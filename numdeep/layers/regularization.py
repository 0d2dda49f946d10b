"""Regularization layers: ``Dropout``, ``SpatialDropout1D/2D``, ``GaussianNoise``,
``GaussianDropout`` and ``ActivityRegularization``; the noise layers are active only in training.
"""

from numdeep.backend import make_rng
from numdeep.layers.layer import Layer


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of inputs during training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Args:
        rate: fraction of units to drop, in ``[0, 1)``.
        noise_shape: shape of the keep/drop mask (``None`` entries follow the input), e.g.
            ``(batch, 1, features)`` to drop the same features at every time step.
        seed: seed of this layer's own generator (reproducible masks); ``None`` draws one from
            numdeep's generator (see ``numdeep.utils.set_random_seed``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Dropout(0.5, seed=0)
        >>> x = np.ones((2, 4), dtype="float32")
        >>> bool((layer(x, training=False).data == x).all())
        True
        >>> sorted(set(layer(x, training=True).data.ravel().tolist())) in ([0.0, 2.0], [2.0])
        True
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout `rate` must be in [0, 1). Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self._rng = make_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        keep = self._rng.random(shape, dtype="float32") >= self.rate
        mask = keep.astype(inputs.dtype)
        mask *= 1.0 / (1.0 - self.rate)
        return inputs * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape and list(self.noise_shape),
                      seed=self.seed)
        return config


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` during training only
    (a regularizer; GAN discriminators use it on their inputs).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GaussianNoise(0.1, seed=0)
        >>> x = np.zeros((2, 3), dtype="float32")
        >>> bool((layer(x).data == 0).all()), bool((layer(x, training=True).data != 0).all())
        (True, True)
    """

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if stddev < 0:
            raise ValueError(f"GaussianNoise `stddev` must be >= 0. Received: stddev={stddev}")
        self.stddev, self.seed = float(stddev), seed
        self._rng = make_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = self._rng.standard_normal(inputs.shape, dtype="float32") * self.stddev
        return inputs + noise.astype(inputs.dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` during
    training only."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"GaussianDropout `rate` must be in [0, 1). Received: rate={rate}")
        self.rate, self.seed = float(rate), seed
        self._rng = make_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        std = (self.rate / (1.0 - self.rate)) ** 0.5
        noise = 1.0 + self._rng.standard_normal(inputs.shape, dtype="float32") * std
        return inputs * noise.astype(inputs.dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class ActivityRegularization(Layer):
    """Identity that adds an L1/L2 penalty on its input to the model's loss."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        from numdeep import regularizers

        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update(l1=self.l1, l2=self.l2)
        return config


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
