"""MobileNetV2 (Sandler et al., 2018: inverted residuals with linear bottlenecks) with Keras's
layer names."""

from numdeep import backend, layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.mobilenet import imagenet_rows
from numdeep.applications.weights import fetch
from numdeep.ops.symbolic import is_keras_tensor

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v2/")
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of the 17 inverted residual blocks
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
           (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
           (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def make_divisible(v, divisor=8, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _spatial(shape, offset):
    """(rows, cols) of a shape without (``offset=0``) or with (1) the batch axis."""
    first = backend.image_data_format() == "channels_first"
    return tuple(shape[offset + 1:offset + 3]) if first else tuple(shape[offset:offset + 2])


def default_size(input_shape, input_tensor, sizes):
    """The side whose weights fit: the input's when square and published, else 224."""
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = _spatial(input_tensor.shape, 1)
    elif input_shape is not None:
        rows, cols = _spatial(input_shape, 0)
    else:
        return 224
    return rows if rows == cols and rows in sizes else 224


def check_tensor_shape(input_shape, input_tensor):
    """``input_shape`` and ``input_tensor`` given together must agree on the width."""
    if input_shape is None or input_tensor is None:
        return
    if not is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor is not a Keras tensor; Received "
                         f"`input_tensor={input_tensor}`")
    if _spatial(input_tensor.shape, 1)[1] != _spatial(input_shape, 0)[1]:
        raise ValueError(f"input_tensor.shape[2] must equal input_shape[1]; Received "
                         f"`input_tensor.shape={input_tensor.shape}`, "
                         f"`input_shape={input_shape}`")


def _bn(x, name):
    return layers.BatchNormalization(axis=_builder.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[_builder.channel_axis()]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=f"{prefix}expand")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN"))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3),
                                 name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN"))
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",  # noqa: N802
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """Instantiates the MobileNetV2 architecture (Keras's layer names and weight layout).

    Reference: MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al., CVPR
    2018). Call ``applications.mobilenet_v2.preprocess_input`` (pixels to ``[-1, 1]``) on
    images in ``[0, 255]`` first.

    Args:
        input_shape: the image shape (the top needs a static one); ImageNet weights exist for
            square sides 96, 128, 160, 192 and 224.
        alpha: width multiplier (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 with ImageNet weights).
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None``, ``"imagenet"`` (from Keras's cache ``~/.keras/models``) or a path.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation (``None`` gives logits).
        name: the model name (default ``mobilenetv2_{alpha:0.2f}_{rows}``).

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.MobileNetV2(weights=None, alpha=0.35, classes=10,
        ...                                     input_shape=(32, 32, 3))
        >>> model.name, model.output_shape
        ('mobilenetv2_0.35_32', (None, 10))
    """
    _builder.check_weights(weights, include_top, classes)
    check_tensor_shape(input_shape, input_tensor)
    input_shape = _builder.input_shape_for(input_shape,
                                           default_size(input_shape, input_tensor, _SIZES), 32,
                                           include_top, weights)
    rows, cols = _spatial(input_shape, 0)
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; Received "
                             f"`alpha={alpha}`")
        rows = imagenet_rows(rows, cols, _SIZES)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling, names=None)
    name = name or f"mobilenetv2_{alpha:0.2f}_{rows}"

    def imagenet_path():
        top = "" if include_top else "_no_top"
        fname = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
        return fetch(fname, BASE_WEIGHT_PATH + fname)
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


def preprocess_input(x, data_format=None):
    """MobileNetV2's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
