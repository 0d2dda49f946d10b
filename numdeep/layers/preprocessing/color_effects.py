"""Whole-image color effects (training only): ``RandomInvert`` (negative) and
``RandomGrayscale`` (luma in every channel) on a random subset of the images,
``RandomColorDegeneration`` (a random blend towards gray) and ``RandomPosterization`` (fewer
bits per channel)."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend import make_rng
from numdeep.layers.preprocessing.color import factor_pair, value_range_pair
from numdeep.layers.preprocessing.image_layer import PixelLayer
from numdeep.ops import eager as ops
from numdeep.ops.image import rgb_to_grayscale
from numdeep.random import SeedGenerator, uniform

__all__ = ["RandomColorDegeneration", "RandomGrayscale", "RandomInvert", "RandomPosterization"]


def _batch_size(images):
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected the input image to be rank 3 or 4. Received "
                         f"inputs.shape={images.shape}")
    return 1 if images.ndim == 3 else images.shape[0]


class RandomInvert(PixelLayer):
    """Replaces some images by their negative, ``max + min - x`` over ``value_range``. Each
    image draws a probability ``p`` from ``factor`` and is inverted with probability ``p``.

    Args:
        factor: a number ``f`` in [0, 1] (``p`` drawn from ``(0, f)``, so ``1.0`` inverts half
            of the images on average) or a pair ``(lower, upper)``; ``(1, 1)`` inverts all.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomInvert(factor=(1, 1), value_range=(0, 1))
        >>> layer(np.array([[[0.25], [1.0]]], "float32")).data.ravel()
        array([0.75, 0.  ], dtype=float32)
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        message = (f"RandomInvert layer '{self.name}': `factor` must be a number or a pair of "
                   f"numbers in [0, 1]. Received: factor={factor!r}")
        if isinstance(factor, tuple | list):
            if len(factor) != 2:
                raise ValueError(message)
            pair = tuple(sorted(factor))
        elif isinstance(factor, int | float) and not isinstance(factor, bool):
            pair = (0.0, factor)
        else:
            raise ValueError(message)
        if pair[0] < 0 or pair[1] > 1:
            raise ValueError(message)
        self.factor, self.value_range = pair, value_range_pair(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        n = _batch_size(images)
        probability = uniform((n,), self.factor[0], self.factor[1], seed=self.generator)
        draw = uniform((n,), seed=self.generator)
        return {"apply_inversion": draw.data < probability.data}

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        invert = transformation["apply_inversion"].reshape(-1, 1, 1, 1)
        total = float(self.value_range[0] + self.value_range[1])
        return ops.where(invert, total - images, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomGrayscale(PixelLayer):
    """Turns each RGB image, with probability ``factor``, into its luma
    (``0.2989 R + 0.587 G + 0.114 B``) repeated in the three channels.

    Args:
        factor: the probability in [0, 1] that an image becomes gray; 0.5 by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomGrayscale(factor=1.0)
        >>> layer(np.array([[[100.0, 200.0, 50.0]]], "float32")).data.round(2)
        array([[[152.99, 152.99, 152.99]]], dtype=float32)
    """

    def __init__(self, factor=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(factor, int | float) or not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor, self.seed = factor, seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        draw = uniform((_batch_size(images),), seed=self.generator)
        return draw.data < self.factor

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        gray = rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(transformation.reshape(-1, 1, 1, 1), gray, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, seed=self.seed)
        return config


class RandomColorDegeneration(PixelLayer):
    """Blends each image towards its grayscale version, ``x + f * (gray - x)``, with ``f``
    drawn per image from ``factor``, then clips to ``value_range``: 0 leaves colors as they
    are, 1 makes the image gray, negative values push colors away from gray.

    Args:
        factor: a number ``f`` in [-1, 1] (``f`` drawn from ``(-|f|, |f|)``, as Keras's code
            does) or a pair ``(lower, upper)``; ``(0.5, 0.5)`` always blends half-way.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomColorDegeneration((1, 1))
        >>> layer(np.array([[[100.0, 200.0, 50.0]]], "float32")).data.round(2)
        array([[[152.99, 152.99, 152.99]]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor_pair(factor)
        self.value_range = value_range_pair(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        shape = (_batch_size(images), 1, 1, 1)
        return {"factor": uniform(shape, self.factor[0], self.factor[1], seed=self.generator)}

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        factor = transformation["factor"].astype(images.dtype).reshape((-1, 1, 1, 1))
        gray = rgb_to_grayscale(images, data_format=self.data_format)
        blended = images + factor * (gray - images)
        return ops.clip(blended, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomPosterization(PixelLayer):
    """Keeps only the ``bits`` most significant bits of each 8-bit channel value (images are
    mapped from ``value_range`` to ``[0, 255]`` and back), ``bits`` drawn per image from
    ``[lower, upper)`` as in Keras (``(f, f)``: exactly ``f`` bits). The result is a
    quantization: no gradient flows through it.

    Args:
        factor: a pair ``(lower, upper)`` of integers in [1, 8], or a number ``f``: the pair
            ``(1, f)`` (so ``1`` keeps one bit).
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomPosterization((2, 2))
        >>> layer(np.array([[[200.0, 100.0, 30.0]]], "float32")).data
        array([[[192.,  64.,   0.]]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor_pair(factor, bounds=(1, 8))
        self.value_range = value_range_pair(value_range)
        self.seed = seed
        self._rng = make_rng(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        n = _batch_size(images)
        low, high = int(self.factor[0]), int(self.factor[1])
        bits = np.full(n, low) if low == high else self._rng.integers(low, high, n)
        return {"shift_factor": (8 - bits).astype(np.uint8)}

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        lo, hi = (float(v) for v in self.value_range)
        shift = np.asarray(transformation["shift_factor"], np.uint8).reshape(-1, 1, 1, 1)
        x = ((images.data - lo) * (255.0 / (hi - lo))).astype(np.uint8)
        x = (x >> shift) << shift
        return Tensor((x * ((hi - lo) / 255.0) + lo).astype(self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config
