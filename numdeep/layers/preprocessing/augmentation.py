"""Image augmentation layers, active only in training: ``RandomFlip``, ``RandomRotation``,
``RandomZoom``, ``RandomTranslation``, ``RandomCrop`` (``RandomContrast`` and
``RandomBrightness`` are in ``color``). As in Keras, a layer
called directly (no ``training`` argument, outside ``fit``/``predict``) augments; ``predict``,
``evaluate`` and ``training=False`` leave images unchanged.

Each draws from its own generator (``seed=`` makes the sequence of augmentations reproducible),
works on channels-last batches ``(N, H, W, C)`` or single images ``(H, W, C)``, and returns its
input unchanged at inference (``RandomCrop`` excepted: it must change the size, see there).
Rotation, zoom and translation share one vectorized inverse-affine sampler (Keras's transform
convention, nearest or bilinear interpolation, ``fill_mode`` reflect/wrap/constant/nearest).
All of them compose differentiable primitives, so gradients flow through them if ever needed.
"""

import math

import numpy as np

from numdeep.backend import make_rng
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing.image_layer import ImagePreprocessingLayer, xyxy_boxes
from numdeep.ops import eager as ops
from numdeep.ops.image import FILL_MODES, INTERPOLATIONS, affine_sample, resize
from numdeep.random import SeedGenerator, uniform


def _factor_range(layer, factor, name, low=-1.0, high=1.0):
    """A number ``f`` -> ``(-|f|, |f|)``; a pair -> sorted; each within ``[low, high]``."""
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        pair = (-abs(factor), abs(factor))
    elif isinstance(factor, tuple | list) and len(factor) == 2:
        pair = tuple(sorted(float(f) for f in factor))
    else:
        pair = None
    if pair is None or pair[0] < low or pair[1] > high:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `{name}` must be a "
                         f"number or a pair of numbers in [{low}, {high}]. "
                         f"Received: {name}={factor!r}")
    return pair


class BaseAugmentation(Layer):
    """Seeded randomness, the training switch, unbatched inputs and channels-first data."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} layer '{self.name}': `data_format` must be "
                             f"'channels_last' or 'channels_first'. Received: {data_format!r}")
        self.data_format = data_format or "channels_last"
        self.seed = seed
        self._rng = make_rng(seed)

    def _check(self, ndim):
        if ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects images "
                             f"(batch, height, width, channels) or (height, width, channels); "
                             f"received a {ndim}-D input.")

    def build(self, input_shape):
        self._check(len(input_shape))

    def call(self, inputs, training=True):
        self._check(inputs.ndim)
        if not training and not self.changes_shape:
            return inputs
        x = inputs if inputs.dtype == self.dtype else inputs.astype(self.dtype)
        if x.ndim == 3:
            x = x.reshape(1, *x.shape)
        if self.data_format == "channels_first":
            x = x.transpose(0, 2, 3, 1)
        y = self.augment(x, training)
        if self.data_format == "channels_first":
            y = y.transpose(0, 3, 1, 2)
        return y.reshape(y.shape[1:]) if inputs.ndim == 3 else y

    changes_shape = False

    def augment(self, images, training):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, data_format=self.data_format)
        return config


class RandomFlip(ImagePreprocessingLayer):
    """Flips each image with probability 1/2 (training only): left-right, up-down, or, for
    ``'horizontal_and_vertical'``, both at once (one draw per image, as in Keras). With dict
    inputs, segmentation masks flip with their images and ``xyxy`` boxes follow them.

    Args:
        mode: ``'horizontal'``, ``'vertical'`` or ``'horizontal_and_vertical'`` (default).
        seed: seed of the layer's generator.
        bounding_box_format: ``'xyxy'`` when dicts carry ``bounding_boxes``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
        >>> layer = nd.layers.RandomFlip("horizontal", seed=3)
        >>> layer(x, training=False).data.ravel()  # inference (and predict): unchanged
        array([0., 1., 2., 3.], dtype=float32)
        >>> sorted(layer(x).data.ravel().tolist())  # called directly: augments, as in Keras
        [0.0, 1.0, 2.0, 3.0]
    """

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in self.MODES:
            raise ValueError(f"RandomFlip layer '{self.name}': `mode` must be one of "
                             f"{self.MODES}. Received: mode={mode!r}")
        self.mode, self.seed = mode, seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        shape = (1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        flips = uniform(shape, seed=self.generator).data <= 0.5
        return {"flips": flips, "input_shape": tuple(images.shape)}

    def _axes(self, ndim):
        rows, cols = self._hw_axes(ndim)
        return [axis for axis, name in ((cols, "horizontal"), (rows, "vertical"))
                if name in self.mode]

    def transform_images(self, images, transformation, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training or transformation is None:
            return images
        flips = np.asarray(transformation["flips"]).reshape(-1, 1, 1, 1)
        for axis in self._axes(images.ndim):
            index = (slice(None),) * axis + (slice(None, None, -1),)
            images = ops.where(flips, images[index], images)
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        rows, cols = self._hw_axes(len(transformation["input_shape"]) + 1)
        height, width = (transformation["input_shape"][a - 1] for a in (rows, cols))
        boxes = xyxy_boxes(self, bounding_boxes["boxes"])
        # One flag per image, broadcast over that image's boxes (Keras squeezes the last axis).
        flips = np.squeeze(np.asarray(transformation["flips"]), -1)
        flipped = boxes.copy()
        if "horizontal" in self.mode:
            flipped[..., [0, 2]] = width - boxes[..., [2, 0]]
        if "vertical" in self.mode:
            flipped[..., [1, 3]] = height - boxes[..., [3, 1]]
        out = np.where(flips, flipped, boxes)
        limits = np.array([width, height, width, height], "float32")
        return {**bounding_boxes, "boxes": np.clip(out, 0, limits)}

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, seed=self.seed)
        return config


class _AffineAugmentation(BaseAugmentation):
    """Random affine maps applied with ``affine_sample`` (bilinear/nearest, fill modes)."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        owner = f"{type(self).__name__} layer '{self.name}'"
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{owner}: `fill_mode` must be one of {FILL_MODES}. "
                             f"Received: fill_mode={fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{owner}: `interpolation` must be one of {INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation!r}")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)

    def augment(self, images, training):
        n, h, w, _ = images.shape
        return affine_sample(images, self.transforms(n, h, w), self.interpolation,
                             self.fill_mode, self.fill_value)

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, interpolation=self.interpolation,
                      fill_value=self.fill_value)
        return config


class RandomRotation(_AffineAugmentation):
    """Rotates each image about its center by a random angle (training only).

    Args:
        factor: fraction of a full turn: ``0.1`` draws angles in ``[-36, 36]`` degrees; a pair
            ``(lo, hi)`` draws in ``[lo * 360, hi * 360]``. Positive is counter-clockwise.
        fill_mode: ``'reflect'`` (default, ``d c b a | a b c d | d c b a``), ``'wrap'``,
            ``'constant'`` (``fill_value``) or ``'nearest'``.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        seed: seed of the layer's generator.
        fill_value: value outside the image for ``fill_mode='constant'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
        >>> layer = nd.layers.RandomRotation(0.25, seed=0)
        >>> bool((layer(x, training=False).data == x).all()), layer(x).shape
        (True, (2, 8, 8, 1))
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self._range = _factor_range(self, factor, "factor")

    def transforms(self, n, h, w):
        angle = self._rng.uniform(*self._range, size=n) * 2 * math.pi
        cos, sin = np.cos(angle), np.sin(angle)
        x_off = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2
        y_off = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2
        return np.stack([cos, -sin, x_off, sin, cos, y_off], axis=1)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomZoom(_AffineAugmentation):
    """Zooms each image in or out about its center by a random amount (training only).

    Args:
        height_factor: fraction, or pair ``(lo, hi)`` in ``[-1, 1]``: the vertical zoom is
            ``1 + uniform(lo, hi)``; positive zooms out (Keras's convention).
        width_factor: the same horizontally; ``None`` (default) keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as ``RandomRotation``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.ones((2, 8, 8, 3), dtype="float32")
        >>> layer = nd.layers.RandomZoom((0.5, 0.5), fill_mode="constant", seed=0)
        >>> y = layer(x, training=True).data  # zoomed out: a zero border appears
        >>> y.shape, bool((y[:, 0] == 0).all()), bool((y[:, 4, 4] == 1).all())
        ((2, 8, 8, 3), True, True)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _factor_range(self, height_factor, "height_factor")
        self._w = None if width_factor is None else _factor_range(self, width_factor,
                                                                  "width_factor")

    def transforms(self, n, h, w):
        zy = 1.0 + self._rng.uniform(*self._h, size=n)
        zx = zy if self._w is None else 1.0 + self._rng.uniform(*self._w, size=n)
        zero = np.zeros(n)
        return np.stack([zx, zero, (w - 1) / 2 * (1 - zx), zero, zy, (h - 1) / 2 * (1 - zy)],
                        axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomTranslation(_AffineAugmentation):
    """Shifts each image by a random fraction of its height and width (training only).

    Args:
        height_factor, width_factor: fraction or pair ``(lo, hi)`` in ``[-1, 1]`` of the image
            height / width; positive shifts move content down / right.
        fill_mode, interpolation, seed, fill_value: as ``RandomRotation``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
        >>> layer = nd.layers.RandomTranslation(0, (0.5, 0.5), fill_mode="nearest")
        >>> layer(x, training=True).data.ravel()  # two columns to the right
        array([0., 0., 0., 1.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _factor_range(self, height_factor, "height_factor")
        self._w = _factor_range(self, width_factor, "width_factor")

    def transforms(self, n, h, w):
        dy = self._rng.uniform(*self._h, size=n) * h
        dx = self._rng.uniform(*self._w, size=n) * w
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, zero, -dx, zero, one, -dy], axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomCrop(BaseAugmentation):
    """Crops a random ``(height, width)`` window, the same for the whole batch (training).

    At inference, and in training when the input is not larger than the target, it takes the
    largest centered window with the target aspect ratio and resizes it (bilinear) to
    ``(height, width)``, so the output size never depends on ``training``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RandomCrop(24, 24, seed=0)
        >>> layer(np.ones((2, 28, 28, 1), "float32"), training=True).shape
        (2, 24, 24, 1)
    """

    changes_shape = True

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if any(not isinstance(v, int) or v <= 0 for v in (height, width)):
            raise ValueError(f"RandomCrop layer '{self.name}': `height` and `width` must be "
                             f"positive ints. Received: {height!r}, {width!r}")
        self.height, self.width = height, width

    def augment(self, images, training):
        _, h, w, _ = images.shape
        if training and h > self.height and w > self.width:
            top = int(self._rng.integers(0, h - self.height + 1))
            left = int(self._rng.integers(0, w - self.width + 1))
            return images[:, top:top + self.height, left:left + self.width]
        crop_h = max(min(h, int(w * self.height / self.width)), 1)
        crop_w = max(min(w, int(h * self.width / self.height)), 1)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        window = images[:, top:top + crop_h, left:left + crop_w]
        return resize(window, (self.height, self.width), data_format="channels_last")

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        rows = -3 if self.data_format == "channels_last" else -2
        shape[rows], shape[rows + 1] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config
