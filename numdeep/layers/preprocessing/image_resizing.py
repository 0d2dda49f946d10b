"""``Resizing`` and ``CenterCrop``: images to a fixed ``(height, width)``, boxes following."""

import numpy as np

from numdeep.layers.preprocessing.image_layer import ImagePreprocessingLayer
from numdeep.ops.image import resize

__all__ = ["Resizing", "CenterCrop"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


def _check_size(layer, height, width):
    if any(not isinstance(v, int | np.integer) or v <= 0 for v in (height, width)):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `height` and `width` "
                         f"must be positive ints. Received: height={height!r}, "
                         f"width={width!r}")


def _sized(layer, input_shape):
    shape = list(input_shape)
    if isinstance(shape[0], list | tuple) or len(shape) not in (3, 4):
        raise ValueError("`input_shape` must be a non-nested tuple or list of rank-1 with size 3 "
                         "(unbatched) or 4 (batched). ")
    h, w = layer._hw_axes(len(shape))
    shape[h], shape[w] = layer.height, layer.width
    return tuple(shape)


def _clip_boxes(boxes, height, width):
    return np.stack([np.clip(boxes[..., 0], 0, width), np.clip(boxes[..., 1], 0, height),
                     np.clip(boxes[..., 2], 0, width), np.clip(boxes[..., 3], 0, height)], -1)


class Resizing(ImagePreprocessingLayer):
    """Resizes images to ``(height, width)``.

    Args:
        height, width: the output size.
        interpolation: ``'bilinear'`` (default), ``'nearest'``, ``'bicubic'``, ``'lanczos3'``,
            ``'lanczos5'`` or ``'area'``.
        crop_to_aspect_ratio: first crop the largest centered window with the target aspect
            ratio (no distortion).
        pad_to_aspect_ratio: first pad with ``fill_value`` to the target aspect ratio.
        fill_mode: ``'constant'`` (the only mode).
        fill_value: the padding value.
        antialias: average what downsampling skips.
        data_format: ``'channels_last'`` or ``'channels_first'``.
        bounding_box_format: ``'xyxy'`` to move ``bounding_boxes`` of dict inputs along.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> img = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> nd.layers.Resizing(2, 2, interpolation="nearest")(img).data[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        _check_size(self, height, width)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing layer '{self.name}': `interpolation` must be one of "
                             f"{INTERPOLATIONS}. Received: interpolation={interpolation!r}")
        self.height, self.width, self.interpolation = height, width, interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, bool(antialias)

    def get_random_transformation(self, images, training=True):
        h, w = self._hw_axes(images.ndim)
        return images.shape[h], images.shape[w]

    def transform_images(self, images, transformation=None, training=True):
        return self._resize(images, self.interpolation)

    def transform_segmentation_masks(self, masks, transformation=None, training=True):
        return self._resize(masks, "nearest")

    def _resize(self, images, interpolation):
        return resize(images, (self.height, self.width), interpolation=interpolation,
                      antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                      pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                      fill_value=self.fill_value, data_format=self.data_format)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        boxes = bounding_boxes["boxes"]
        empty = np.all(boxes == -1, axis=-1) | np.all(boxes == 0, axis=-1)
        if self.pad_to_aspect_ratio:
            scale = min(self.height / in_h, self.width / in_w)
            sx = sy = scale
            dx, dy = (self.width - in_w * scale) // 2, (self.height - in_h * scale) // 2
        elif self.crop_to_aspect_ratio:
            source, target = in_w / in_h, self.width / self.height
            new_w = self.height * source if source > target else self.width
            new_h = self.height if source > target else self.width / source
            sx, sy = new_w / in_w, new_h / in_h
            dx, dy = -((new_w - self.width) // 2), -((new_h - self.height) // 2)
        else:
            sx, sy, dx, dy = self.width / in_w, self.height / in_h, 0.0, 0.0
        moved = boxes * np.array([sx, sy, sx, sy], boxes.dtype) + np.array([dx, dy, dx, dy],
                                                                             boxes.dtype)
        moved = _clip_boxes(moved, self.height, self.width)
        return dict(bounding_boxes, boxes=np.where(empty[..., None], 0.0, moved))

    def compute_output_shape(self, input_shape):
        return _sized(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, interpolation=self.interpolation,
                      crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                      pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                      fill_value=self.fill_value, antialias=self.antialias,
                      data_format=self.data_format)
        return config


class CenterCrop(ImagePreprocessingLayer):
    """Crops the central ``(height, width)`` window of each image; an image smaller than that
    is first cropped to the target aspect ratio and resized up (Keras's ``smart_resize``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> img = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> nd.layers.CenterCrop(2, 2)(img).data[0, :, :, 0]
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        _check_size(self, height, width)
        self.height, self.width = height, width

    def get_random_transformation(self, images, training=True):
        return {"input_shape": tuple(images.shape)}

    def transform_images(self, images, transformation=None, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        h_axis, w_axis = self._hw_axes(images.ndim)
        in_h, in_w = images.shape[h_axis], images.shape[w_axis]
        if in_h >= self.height and in_w >= self.width:
            top, left = (in_h - self.height) // 2, (in_w - self.width) // 2
            index = [slice(None)] * images.ndim
            index[h_axis] = slice(top, top + self.height)
            index[w_axis] = slice(left, left + self.width)
            return images[tuple(index)]
        return resize(images, (self.height, self.width), crop_to_aspect_ratio=True,
                      data_format=self.data_format)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        shape = transformation["input_shape"]
        h_axis, w_axis = self._hw_axes(len(shape))
        in_h, in_w = shape[h_axis], shape[w_axis]
        boxes = bounding_boxes["boxes"]
        if in_h >= self.height and in_w >= self.width:
            crop_h, crop_w = self.height, self.width
            top, left = int((in_h - self.height) / 2), int((in_w - self.width) / 2)
        else:
            crop_h = max(min(in_h, int(in_w * self.height / self.width)), 1)
            crop_w = max(min(in_w, int(in_h * self.width / self.height)), 1)
            top, left = int((in_h - crop_h) / 2), int((in_w - crop_w) / 2)
        boxes = _clip_boxes(boxes - np.array([left, top, left, top], boxes.dtype), crop_h,
                            crop_w)
        scale = np.array([self.width / crop_w, self.height / crop_h] * 2, boxes.dtype)
        return dict(bounding_boxes, boxes=_clip_boxes(boxes * scale, self.height, self.width))

    def compute_output_shape(self, input_shape):
        return _sized(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, data_format=self.data_format)
        return config
