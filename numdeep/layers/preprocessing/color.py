"""Pixel-value layers: ``RandomBrightness`` (a random offset added to each image),
``RandomContrast`` (a random scale about each image's mean) and ``Solarization`` (bright pixels
inverted), in training only, and ``AutoContrast`` (each channel stretched over the value range,
always)."""

from numdeep.layers.preprocessing.image_layer import PixelLayer
from numdeep.ops import eager as ops
from numdeep.random import SeedGenerator, uniform

__all__ = ["AutoContrast", "RandomBrightness", "RandomContrast", "Solarization", "factor_pair"]


def value_range_pair(value_range):
    """``value_range`` checked (two numbers, as Keras words the error) and sorted."""
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return sorted(value_range)


def factor_pair(factor, bounds=(-1, 1)):
    """Keras's ``factor``: a number ``f`` -> ``(-|f|, |f|)`` (clipped to ``bounds``), a pair ->
    sorted; anything outside ``bounds`` is refused."""
    message = (f"The `factor` argument should be a number (or a list of two numbers) in the "
               f"range [{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, tuple | list):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        return max(-abs(factor), bounds[0]), abs(factor)
    raise ValueError(message)


class RandomBrightness(PixelLayer):
    """Adds ``uniform(*factor) * (value_range[1] - value_range[0])`` to each image (one draw
    per image, all pixels and channels alike), then clips to ``value_range``; inference leaves
    images unchanged.

    Args:
        factor: a number in ``[-1, 1]`` (range ``(-|f|, |f|)``) or a pair ``(lower, upper)``:
            the offset as a fraction of the value range.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomBrightness(factor=(0.5, 0.5), value_range=(0, 1))
        >>> layer(np.full((2, 2, 1), 0.25, "float32")).data.ravel()  # +0.5, training default
        array([0.75, 0.75, 0.75, 0.75], dtype=float32)
        >>> layer(np.full((2, 2, 1), 0.25, "float32"), training=False).data.ravel()
        array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range_pair(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _set_factor(self, factor):
        self.factor = factor_pair(factor)

    def get_random_transformation(self, images, training=True):
        if images.ndim not in (3, 4):
            raise ValueError(f"Expected the input image to be rank 3 or 4. Received "
                             f"inputs.shape={images.shape}")
        shape = (1, 1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        if not training:
            return None
        delta = uniform(shape, self.factor[0], self.factor[1], seed=self.generator)
        return delta * float(self.value_range[1] - self.value_range[0])

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        return ops.clip(images + transformation.astype(images.dtype),
                        float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomContrast(PixelLayer):
    """Scales each image's deviation from its per-channel mean (over height and width) by a
    random factor in ``[1 - lower, 1 + upper]`` (training only), then clips to
    ``value_range``. With dict inputs, labels, masks and boxes pass through unchanged.

    Args:
        factor: number in ``[0, 1]`` (``lower = upper = factor``) or pair ``(lower, upper)``.
        value_range: the valid pixel range, ``(0, 255)`` by default as in Keras; use ``(0, 1)``
            for scaled images.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([40.0, 60.0], dtype="float32").reshape(1, 1, 2, 1)
        >>> layer = nd.layers.RandomContrast((0.5, 0.5), seed=0)
        >>> y = layer(x).data.ravel()  # spread 20 scaled by 0.5..1.5 about 50
        >>> bool(abs(y.mean() - 50) < 1e-4 and 10 <= y[1] - y[0] <= 30)
        True
        >>> layer(x, training=False).data.ravel()
        array([40., 60.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        pair = (factor, factor) if isinstance(factor, int | float) else tuple(factor)
        if len(pair) != 2 or not all(0 <= f <= 1 for f in pair):
            raise ValueError(f"RandomContrast layer '{self.name}': `factor` must be a number "
                             f"or a pair in [0, 1]. Received: factor={factor!r}")
        self.factor, self._range = factor, (1.0 - pair[0], 1.0 + pair[1])
        self.value_range = value_range_pair(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if images.ndim not in (3, 4):
            raise ValueError(f"Expected the input image to be rank 3 or 4. Received "
                             f"inputs.shape={images.shape}")
        shape = (1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        if not training:
            return {"contrast_factor": ops.ones(shape)}
        return {"contrast_factor": uniform(shape, self._range[0], self._range[1],
                                           seed=self.generator)}

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training:
            return images
        factor = transformation["contrast_factor"].astype(images.dtype)
        mean = images.mean(axis=self._hw_axes(images.ndim), keepdims=True)
        out = (images - mean) * factor.reshape((-1, 1, 1, 1)) + mean
        return ops.clip(out, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class AutoContrast(PixelLayer):
    """Stretches each channel of each image so that its lowest value becomes
    ``value_range[0]`` and its highest ``value_range[1]`` (in training and inference alike).
    A constant channel (or one holding NaN) is left as it is. Integer images come out in the
    layer's float dtype.

    Args:
        value_range: the range of the pixel values, ``(0, 255)`` by default.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> image = np.array([[[10.0], [20.0]], [[30.0], [40.0]]], "float32")
        >>> nd.layers.AutoContrast(value_range=(0, 255))(image).data.ravel()
        array([  0.,  85., 170., 255.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range_pair(value_range)

    def transform_images(self, images, transformation=None, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        axes = self._hw_axes(images.ndim)
        low = ops.min(images, axis=axes, keepdims=True)
        span = ops.max(images, axis=axes, keepdims=True) - low
        # Keras divides by the span and puts back the NaN of a constant (or NaN) channel.
        flat = ops.logical_not(span.data > 0)
        lo, hi = (float(v) for v in self.value_range)
        stretched = (images - low) * ((hi - lo) / ops.where(flat, 1.0, span)) + lo
        return ops.where(flat, images, ops.clip(stretched, lo, hi))

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config


def _unit_factor(factor, name):
    """Solarization's factors: a number ``f`` -> ``(0, f)``, a pair -> sorted, within [0, 1]."""
    message = (f"The `addition_factor` and `threshold_factor` arguments should be a number (or a "
               f"list of two numbers) in the range [0, 1]. Received: {name}={factor}")
    if isinstance(factor, tuple | list):
        pair = tuple(sorted(factor)) if len(factor) == 2 else None
    elif isinstance(factor, int | float) and not isinstance(factor, bool):
        pair = (0.0, factor)
    else:
        pair = None
    if pair is None or pair[0] < 0 or pair[1] > 1:
        raise ValueError(message)
    return pair


class Solarization(PixelLayer):
    """Inverts the pixels at or above a threshold (``max - x + min``), after adding an offset
    (training only). Per image, ``addition`` and ``threshold`` are drawn from
    ``addition_factor`` and ``threshold_factor`` times 255, on images mapped to ``[0, 255]``
    from ``value_range``; the sum is clipped to ``[0, 255]`` before thresholding.

    Args:
        addition_factor: a number ``f`` in [0, 1] (range ``(0, f)``) or a pair; 0 by default.
        threshold_factor: the same for the threshold; 0 (solarize every pixel) by default.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: seed of the layer's generator.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Solarization(threshold_factor=(0.5, 0.5), value_range=(0, 1))
        >>> layer(np.array([0.2, 0.6, 1.0], "float32").reshape(1, 3, 1)).data.ravel()
        array([0.2, 0.4, 0. ], dtype=float32)
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = value_range_pair(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        shape = (1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        draw = [uniform(shape, lo * 255.0, hi * 255.0, seed=self.generator)
                for lo, hi in (self.addition_factor, self.threshold_factor)]
        return {"additions": draw[0], "thresholds": draw[1]}

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        lo, hi = (float(v) for v in self.value_range)
        additions, thresholds = (transformation[k].astype(images.dtype).reshape((-1, 1, 1, 1))
                                 for k in ("additions", "thresholds"))
        x = ops.clip((images - lo) * (255.0 / (hi - lo)) + additions, 0.0, 255.0)
        x = ops.where(x.data < thresholds.data, x, 255.0 - x)
        return x * ((hi - lo) / 255.0) + lo

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, addition_factor=self.addition_factor,
                      threshold_factor=self.threshold_factor, seed=self.seed)
        return config
