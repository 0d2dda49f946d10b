"""Xception (Chollet, 2017: depthwise separable convolutions throughout) with Keras's layer
names; the four unnamed projection shortcuts get automatic names, as in Keras."""

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _bn(x, name=None):
    return layers.BatchNormalization(axis=_builder.channel_axis(), name=name)(x)


def _sepconv(x, filters, name):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _bn(x, f"{name}_bn")


def _shortcut(x, filters):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return _bn(residual)


def _entry_block(x, filters, block, first_relu=True, sep_filters=None):
    """Two separable convolutions and a strided max pooling, added to a 1x1 projection."""
    residual = _shortcut(x, filters)
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv(x, sep_filters or filters, f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sepconv(x, filters, f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def _middle_block(x, block):
    residual = x
    for i in (1, 2, 3):
        x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
        x = _sepconv(x, 728, f"block{block}_sepconv{i}")
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="xception"):
    """Instantiates the Xception architecture (Keras's layer names and weight layout).

    Reference: Xception: Deep Learning with Depthwise Separable Convolutions (Chollet, CVPR
    2017). Call ``numdeep.applications.xception.preprocess_input`` (pixels to ``[-1, 1]``) on
    images in ``[0, 255]`` first.

    Args:
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``(299, 299, 3)``
            with ImageNet weights); sides no smaller than 71.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation (``None`` gives logits).
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.Xception(weights=None, include_top=False, pooling="avg",
        ...                                  input_shape=(71, 71, 3))
        >>> model.output_shape
        (None, 2048)
    """
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 299, 71, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.Activation("relu", name="block1_conv1_act")(_bn(x, "block1_conv1_bn"))
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(_bn(x, "block1_conv2_bn"))
    x = _entry_block(x, 128, 2, first_relu=False)
    x = _entry_block(x, 256, 3)
    x = _entry_block(x, 728, 4)
    for i in range(8):
        x = _middle_block(x, i + 5)
    x = _entry_block(x, 1024, 13, sep_filters=728)
    x = _sepconv(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = _builder.dense_top(x, classes, classifier_activation, weights)
    else:
        x = _builder.pool(x, pooling, names=None)

    def imagenet_path():
        fname = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        return fetch(fname, _BASE + fname, file_hash=_HASHES[0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


def preprocess_input(x, data_format=None):
    """Xception's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
