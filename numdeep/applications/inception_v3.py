"""Inception V3 (Szegedy et al., 2016) with Keras's layer order and names, so Keras's published
weight files load as they are. Only the concatenations (``mixed0`` ... ``mixed10``) and the
top are named; the convolutions get automatic names, as in Keras, and legacy ``.h5`` files are
matched by layer order, so each block creates its layers in Keras's order."""

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

_BASE = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
         "inception_v3_weights_tf_dim_ordering_tf_kernels")
_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """``Conv2D`` (no bias) -> ``BatchNormalization`` (no scale: the ReLU follows) -> ReLU;
    ``name`` names the three ``{name}_conv``, ``{name}_bn`` and ``name``."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=f"{name}_conv" if name else None)(x)
    x = layers.BatchNormalization(axis=_builder.bn_axis(), scale=False,
                                  name=f"{name}_bn" if name else None)(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, specs):
    """``conv2d_bn`` applied in turn for each ``(filters, rows, cols)``."""
    for filters, rows, cols in specs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _avg_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _block_35(x, pool_filters, name):
    """Mixed 0-2: 1x1, 5x5 and double 3x3 branches and a pooled 1x1 (35x35 at 299)."""
    branches = [conv2d_bn(x, 64, 1, 1), _chain(x, [(48, 1, 1), (64, 5, 5)]),
                _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]), _avg_branch(x, pool_filters)]
    return layers.concatenate(branches, axis=_builder.bn_axis(), name=name)


def _block_17(x, width, name):
    """Mixed 4-7: 1x1, factorized 7x7 and double factorized 7x7 branches, a pooled 1x1."""
    branches = [conv2d_bn(x, 192, 1, 1),
                _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
                _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1),
                           (192, 1, 7)]),
                _avg_branch(x, 192)]
    return layers.concatenate(branches, axis=_builder.bn_axis(), name=name)


def _block_8(x, i):
    """Mixed 9-10: 1x1, split 3x3 and split double 3x3 branches, a pooled 1x1."""
    axis = _builder.bn_axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3),
                                    conv2d_bn(branch3x3, 384, 3, 1)], axis=axis,
                                   name=f"mixed9_{i}")
    dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
    dbl = layers.concatenate([conv2d_bn(dbl, 384, 1, 3), conv2d_bn(dbl, 384, 3, 1)],
                             axis=axis)
    return layers.concatenate([branch1x1, branch3x3, dbl, _avg_branch(x, 192)], axis=axis,
                              name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="inception_v3"):
    """Instantiates the Inception V3 architecture (Keras's layer order and weight layout).

    Reference: Rethinking the Inception Architecture for Computer Vision (Szegedy et al., CVPR
    2016). Call ``numdeep.applications.inception_v3.preprocess_input`` (pixels to ``[-1, 1]``)
    on images in ``[0, 255]`` first.

    Args:
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``(299, 299, 3)``
            with ImageNet weights); sides no smaller than 75.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation (``None`` gives logits).
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.InceptionV3(weights=None, include_top=False,
        ...                                     pooling="avg", input_shape=(75, 75, 3))
        >>> model.output_shape
        (None, 2048)
    """
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 299, 75, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.bn_axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _block_35(x, pool_filters, f"mixed{i}")
    # mixed3: grid reduction 35 -> 17
    x = layers.concatenate([
        conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid"),
        conv2d_bn(_chain(x, [(64, 1, 1), (96, 3, 3)]), 96, 3, 3, strides=(2, 2),
                  padding="valid"),
        layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis, name="mixed3")
    for i, width in enumerate((128, 160, 160, 192)):
        x = _block_17(x, width, f"mixed{4 + i}")
    # mixed8: grid reduction 17 -> 8
    x = layers.concatenate([
        conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid"),
        conv2d_bn(_chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)]), 192, 3, 3,
                  strides=(2, 2), padding="valid"),
        layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis, name="mixed8")
    for i in range(2):
        x = _block_8(x, i)
    if include_top:
        x = _builder.dense_top(x, classes, classifier_activation, weights)
    else:
        x = _builder.pool(x, pooling, names=None)

    def imagenet_path():
        fname = _BASE.rsplit("/", 1)[1] + ("" if include_top else "_notop") + ".h5"
        return fetch(fname, _BASE + ("" if include_top else "_notop") + ".h5",
                     file_hash=_HASHES[0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


def preprocess_input(x, data_format=None):
    """Inception V3's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
