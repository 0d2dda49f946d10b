"""MobileNet (Howard et al., 2017: depthwise separable convolutions) with Keras's layer
names; ``alpha`` scales the width, ``depth_multiplier`` the depthwise channels."""

import warnings

from numdeep import backend, layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_SIZES = (128, 160, 192, 224)  # the sides Keras publishes weights for


def _default_size(input_shape, sizes):
    if input_shape is None:
        return 224
    rows, cols = (input_shape[1:3] if backend.image_data_format() == "channels_first"
                  else input_shape[:2])
    return rows if rows == cols and rows in sizes else 224


def imagenet_rows(rows, cols, sizes):
    """The side whose ImageNet weights load (224, with a warning, when ``rows`` has none)."""
    if rows != cols or rows not in sizes:
        warnings.warn(f"`input_shape` is undefined or non-square, or `rows` is not in "
                      f"{list(sizes)}. Weights for input shape (224, 224) will be loaded as "
                      f"the default.", stacklevel=3)
        return 224
    return rows


def _rows_cols(input_shape):
    axes = (1, 2) if backend.image_data_format() == "channels_first" else (0, 1)
    return input_shape[axes[0]], input_shape[axes[1]]


def _check_imagenet(alpha, depth_multiplier):
    if depth_multiplier != 1:
        raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                         f"Received depth_multiplier={depth_multiplier}")
    if alpha not in [0.25, 0.50, 0.75, 1.0]:
        raise ValueError("If imagenet weights are being loaded, alpha can be one of`0.25`, "
                         f"`0.50`, `0.75` or `1.0` only.  Received alpha={alpha}")


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=_builder.channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    axis = _builder.channel_axis()
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False,
                      strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


# (pointwise filters, stride) of the 13 depthwise separable blocks
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,  # noqa: N802
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """Instantiates the MobileNet architecture (Keras's layer names and weight layout).

    Reference: MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
    Applications (Howard et al., 2017). Call ``applications.mobilenet.preprocess_input``
    (pixels to ``[-1, 1]``) on images in ``[0, 255]`` first.

    Args:
        input_shape: the image shape (the top needs a static one); ImageNet weights exist for
            square sides 128, 160, 192 and 224.
        alpha: width multiplier (0.25, 0.5, 0.75 or 1.0 with ImageNet weights).
        depth_multiplier: channels per input channel of the depthwise convolutions.
        dropout: dropout rate of the top.
        include_top: whether to include the classifier (a 1x1 convolution on pooled features).
        weights: ``None``, ``"imagenet"`` (from Keras's cache ``~/.keras/models``) or a path.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation (``None`` gives logits).
        name: the model name (default ``mobilenet_{alpha:0.2f}_{rows}``).

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.MobileNet(weights=None, alpha=0.25, include_top=False,
        ...                                   input_shape=(32, 32, 3), pooling="avg")
        >>> model.name, model.output_shape
        ('mobilenet_0.25_32', (None, 256))
    """
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, _default_size(input_shape, _SIZES), 32,
                                           include_top, weights)
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        _check_imagenet(alpha, depth_multiplier)
        rows = imagenet_rows(rows, cols, _SIZES)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling, names=None)
    name = name or f"mobilenet_{alpha:0.2f}_{rows}"

    def imagenet_path():
        alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(alpha, "2_5")
        fname = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        return fetch(fname, BASE_WEIGHT_PATH + fname)
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


def preprocess_input(x, data_format=None):
    """MobileNet's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
