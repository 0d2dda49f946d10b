"""``RandomBrightness``: a random offset added to each image (training only)."""

from numdeep.layers.preprocessing.image_layer import ImagePreprocessingLayer
from numdeep.ops import eager as ops
from numdeep.random import SeedGenerator, uniform

__all__ = ["RandomBrightness", "factor_pair"]


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


class RandomBrightness(ImagePreprocessingLayer):
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
        if not isinstance(value_range, tuple | list) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                             f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)
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

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return masks

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config
