"""The base of Keras 3's image preprocessing layers: batched ``(N, H, W, C)`` or single images,
either data format, and dict inputs ``{'images', 'labels', 'segmentation_masks',
'bounding_boxes'}`` where each entry is transformed consistently with the images.

A subclass draws its random parameters once per call in ``get_random_transformation`` and
applies them in ``transform_images`` (and ``transform_bounding_boxes`` when boxes move). Images
stay Tensors, so gradients flow through the deterministic transforms.
"""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend.config import standardize_data_format
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical

__all__ = ["ImagePreprocessingLayer", "xyxy_boxes"]


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(categorical.to_numpy(x))


def xyxy_boxes(layer, boxes):
    """``boxes`` as a float array, refusing formats other than ``xyxy`` (the one numdeep's
    layers transform)."""
    if layer.bounding_box_format is None:
        raise ValueError(f"You passed an input with a 'bounding_boxes' key, but you didn't "
                         f"specify a bounding box format. Pass a `bounding_box_format` argument "
                         f"to your {type(layer).__name__} layer, e.g. "
                         f"`bounding_box_format='xyxy'`.")
    if layer.bounding_box_format != "xyxy":
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': only "
                         f"bounding_box_format='xyxy' is supported by numdeep. Received: "
                         f"{layer.bounding_box_format!r}")
    return categorical.to_numpy(boxes).astype("float32")


class ImagePreprocessingLayer(Layer):
    """Images in, images out, with the dict protocol of Keras's image preprocessing layers.

    Args:
        bounding_box_format: the format of ``data['bounding_boxes']['boxes']`` (``'xyxy'``).
        data_format: ``'channels_last'`` (default from the config) or ``'channels_first'``.
    """

    def __init__(self, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)
        self._allow_non_tensor_positional_args = True

    # ----- what subclasses define -------------------------------------------------------------
    def get_random_transformation(self, images, training=True):
        """The parameters of this call's transformation (``None`` for deterministic layers);
        ``images`` is the batch or single image as given."""
        return None

    def transform_images(self, images, transformation, training=True):
        raise NotImplementedError

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    # ----- the protocol -----------------------------------------------------------------------
    def _hw_axes(self, ndim):
        return (ndim - 2, ndim - 1) if self.data_format == "channels_first" else (ndim - 3,
                                                                                   ndim - 2)

    def _check_rank(self, images):
        if images.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} layer '{self.name}': Expected image tensor "
                             f"to have rank 3 (single image) or 4 (batch of images). Received: "
                             f"data.shape={images.shape}")

    def _batched(self, fn, x, transformation, training):
        x = _as_tensor(x)
        self._check_rank(x)
        if x.ndim == 4:
            return fn(x, transformation, training)
        out = fn(x.reshape((1,) + x.shape), transformation, training)
        return out.reshape(out.shape[1:])

    def call(self, data, training=True):
        images = data["images"] if isinstance(data, dict) else data
        transformation = self.get_random_transformation(_as_tensor(images), training)
        out_images = self._batched(self.transform_images, images, transformation, training)
        if not isinstance(data, dict):
            return out_images
        out = dict(data)
        out["images"] = out_images
        if "labels" in data:
            out["labels"] = self.transform_labels(_as_tensor(data["labels"]), transformation,
                                                  training)
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self._batched(
                self.transform_segmentation_masks, data["segmentation_masks"], transformation,
                training)
        if "bounding_boxes" in data:
            boxes = dict(data["bounding_boxes"])
            boxes["boxes"] = xyxy_boxes(self, boxes["boxes"])
            single = _as_tensor(images).ndim == 3
            if single:
                boxes["boxes"] = boxes["boxes"][None]
            boxes = self.transform_bounding_boxes(boxes, transformation, training)
            if single:
                boxes["boxes"] = boxes["boxes"][0]
            out["bounding_boxes"] = {k: Tensor(np.asarray(categorical.to_numpy(v)))
                                     for k, v in boxes.items()}
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class PixelLayer(ImagePreprocessingLayer):
    """An image layer that changes pixel values, never positions (brightness, contrast, color
    effects): segmentation masks and bounding boxes pass through it unchanged."""

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return masks
