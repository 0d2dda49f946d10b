"""Regularization layers: ``Dropout``, ``SpatialDropout1D/2D/3D``, ``AlphaDropout``,
``GaussianNoise``, ``GaussianDropout`` and ``ActivityRegularization``.

The noise layers are active only in training. Each owns a ``numdeep.random.SeedGenerator`` (when
its rate is positive), so a given ``seed`` gives the same sequence of masks run after run, a new
mask at every step, and the generator's state is saved with the model.
"""

import math

import numpy as np

from numdeep import random, regularizers
from numdeep.backend import standardize_data_format
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer


def _check_fraction(name, value):
    if value is None or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value "
                         f"between 0 and 1. Received: {name}={value}")


def _check_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError(f"Invalid value received for argument `noise_shape`. Expected a tuple "
                         f"or list of integers. Received: noise_shape={noise_shape}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(f"Invalid value received for argument `noise_shape`. Expected an "
                         f"iterable of integers (e.g., a tuple or list). "
                         f"Received: noise_shape={noise_shape}") from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all "
                             f"elements to be integers or None. Received element at index {i}: "
                             f"{dim} (type: {type(dim).__name__})")
        if dim <= 0:
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all "
                             f"dimensions to be positive integers or None. Received negative "
                             f"or zero value at index {i}: {dim}")
    return noise_shape


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of inputs during training, scaling the rest by
    ``1 / (1 - rate)`` so the expected sum is unchanged; the identity at inference.

    Args:
        rate: fraction of units to drop, in ``[0, 1]``.
        noise_shape: shape of the keep/drop mask (``None`` entries follow the input), e.g.
            ``(batch, 1, features)`` to drop the same features at every time step.
        seed: seed of this layer's ``SeedGenerator`` (reproducible masks); ``None`` draws one
            from numdeep's global generator (see ``numdeep.utils.set_random_seed``).

    Call arguments:
        inputs: a tensor of any rank.
        training: whether to drop (``fit`` passes True).

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
        _check_fraction("rate", rate)
        self.rate = rate
        self.seed = seed
        self.noise_shape = _check_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return tuple(shape)
        return tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return random.dropout(inputs, self.rate, noise_shape=self._mask_shape(inputs.shape),
                              seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config


class AlphaDropout(Dropout):
    """Dropout for self-normalizing networks (SELU): dropped units are set to SELU's negative
    saturation value ``-alpha * scale`` and an affine correction keeps the inputs' mean and
    variance (Klambauer et al., 2017); the identity at inference.

    Args:
        rate: fraction of units to drop, in ``[0, 1]``.
        noise_shape: shape of the keep/drop mask (``None`` entries follow the input).
        seed: seed of the layer's ``SeedGenerator``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.random.default_rng(0).standard_normal((100, 1000)).astype("float32")
        >>> y = nd.layers.AlphaDropout(0.2, seed=0)(x, training=True).data
        >>> round(float(y.mean()), 1), round(float(y.std()), 1)
        (0.0, 1.0)
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        alpha_p = -self._ALPHA * self._SCALE
        draws = random.uniform(self._mask_shape(inputs.shape), seed=self.seed_generator)
        keep = (draws.data >= self.rate).astype(inputs.dtype)
        # a, b restore zero mean and unit variance after the dropped units take value alpha_p.
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return (inputs * keep + alpha_p * (1 - keep)) * a + b


class SpatialDropout1D(Dropout):
    """Drops entire channels of ``(batch, steps, channels)`` during training (one keep/drop
    decision per sample and channel, shared by all steps), scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Adjacent steps of a feature map are strongly correlated, so per-element dropout barely
    regularizes convolutional features; dropping whole maps does (Tompson et al., 2014).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> y = nd.layers.SpatialDropout1D(0.5, seed=2)(np.ones((4, 3, 5), "float32"),
        ...                                             training=True).data
        >>> bool((y == y[:, :1, :]).all())
        True
    """

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _mask_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self.rank
        return (shape[0],) + (1,) * self.rank + (shape[-1],)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config


class SpatialDropout2D(SpatialDropout1D):
    """Drops entire channels (feature maps) of ``(batch, height, width, channels)`` images
    during training; the identity at inference.

    Args:
        rate: fraction of channels to drop, in ``[0, 1]``.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.
        seed: seed of the layer's ``SeedGenerator``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SpatialDropout2D(0.5, seed=1)
        >>> y = layer(np.ones((2, 4, 4, 3), dtype="float32"), training=True).data
        >>> bool(((y == 0) | (y == 2)).all() and (y == y[:, :1, :1, :]).all())
        True
    """

    rank = 2


class SpatialDropout3D(SpatialDropout1D):
    """Drops entire channels of ``(batch, dim1, dim2, dim3, channels)`` volumes during
    training; the identity at inference.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> y = nd.layers.SpatialDropout3D(0.5, seed=1)(np.ones((2, 2, 2, 2, 3), "float32"),
        ...                                             training=True).data
        >>> bool((y == y[:, :1, :1, :1, :]).all())
        True
    """

    rank = 3


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` during training only
    (a regularizer; GAN discriminators use it on their inputs).

    Args:
        stddev: standard deviation of the noise, in ``[0, 1]``.
        seed: seed of the layer's ``SeedGenerator``.

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
        _check_fraction("stddev", stddev)
        self.stddev, self.seed = stddev, seed
        if stddev > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + random.normal(inputs.shape, stddev=self.stddev, dtype=inputs.dtype,
                                      seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` during training only.

    Args:
        rate: drop probability (as with ``Dropout``), in ``[0, 1]``.
        seed: seed of the layer's ``SeedGenerator``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> y = nd.layers.GaussianDropout(0.5, seed=0)(np.ones((100, 100), "float32"),
        ...                                            training=True).data
        >>> round(float(y.mean()), 1), round(float(y.std()), 1)
        (1.0, 1.0)
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction("rate", rate)
        self.rate, self.seed = rate, seed
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * random.normal(inputs.shape, mean=1.0, stddev=std, dtype=inputs.dtype,
                                      seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class ActivityRegularization(Layer):
    """Identity that adds an L1/L2 penalty on its input to the model's loss.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.ActivityRegularization(l1=0.1)
        >>> _ = layer(np.full((2, 3), -1.0, dtype="float32"))
        >>> round(float(layer.losses[0].data), 4)  # 0.1 * 6 / batch size 2
        0.3
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update(l1=self.l1, l2=self.l2)
        return config
