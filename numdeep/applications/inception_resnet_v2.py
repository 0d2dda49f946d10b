"""Inception-ResNet V2 (Szegedy et al., 2017) with Keras's layer order and names, so Keras's
published weight files load as they are. Each residual block adds its scaled branch with
``CustomScaleLayer`` (Keras's name for ``x + scale * r``)."""

from numdeep import layers, registry
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch
from numdeep.layers.layer import Layer

__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
_FNAME = "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels"
_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")


class CustomScaleLayer(Layer):
    """``inputs[0] + scale * inputs[1]``: a residual connection whose branch is scaled down
    (Inception-ResNet scales its residuals by 0.1-0.2 so the deep stack trains stably).

    Args:
        scale: the factor applied to the branch (the second input).

    Call arguments:
        inputs: a list ``[shortcut, branch]`` of tensors of the same shape.

    Example:
        >>> import numpy as np
        >>> layer = CustomScaleLayer(0.5)
        >>> layer([np.ones((1, 2), "float32"), np.full((1, 2), 4.0, "float32")]).data
        array([[3., 3.]], dtype=float32)
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) != 2:
            raise ValueError(f"CustomScaleLayer '{self.name}' expects a list [shortcut, branch] "
                             f"of two tensors; received {inputs!r}.")
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale)
        return config


registry.kind("layer").register(CustomScaleLayer)


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """``Conv2D`` -> ``BatchNormalization`` (no scale; only without a bias) -> activation,
    named ``name``, ``{name}_bn`` and ``{name}_ac`` (automatic names without ``name``)."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_builder.bn_axis(), scale=False,
                                      name=f"{name}_bn" if name else None)(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac" if name else None)(x)
    return x


def _chain(x, specs):
    for filters, kernel in specs:
        x = conv2d_bn(x, filters, kernel)
    return x


# block type -> its branches, each a chain of (filters, kernel size)
_BLOCKS = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
    "block8": [[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]],
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """One Inception-ResNet block: the branches of ``block_type`` concatenated, projected back
    to the input's channels by a 1x1 convolution, scaled by ``scale`` and added to ``x``."""
    if block_type not in _BLOCKS:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or '
                         f'"block8", but got: {block_type}')
    axis = _builder.bn_axis()
    block_name = f"{block_type}_{block_idx}"
    branches = [_chain(x, specs) for specs in _BLOCKS[block_type]]
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True,
                   name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _stem(img_input):
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [conv2d_bn(x, 96, 1), _chain(x, [(48, 1), (64, 5)]),
                _chain(x, [(64, 1), (96, 3), (96, 3)]),
                conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)]
    return layers.Concatenate(axis=_builder.bn_axis(), name="mixed_5b")(branches)


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    """Instantiates the Inception-ResNet V2 architecture (Keras's layer order and weights).

    Reference: Inception-v4, Inception-ResNet and the Impact of Residual Connections on
    Learning (Szegedy et al., AAAI 2017). Call
    ``numdeep.applications.inception_resnet_v2.preprocess_input`` (pixels to ``[-1, 1]``) on
    images in ``[0, 255]`` first.

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
        >>> model = nd.applications.InceptionResNetV2(weights=None, include_top=False,
        ...                                           pooling="max", input_shape=(75, 75, 3))
        >>> model.output_shape
        (None, 1536)
    """
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 299, 75, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.bn_axis()
    x = _stem(img_input)
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([
        conv2d_bn(x, 384, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, [(256, 1), (256, 3)]), 384, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([
        conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, [(256, 1), (288, 3)]), 320, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8",
                               block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    if include_top:
        x = _builder.dense_top(x, classes, classifier_activation, weights)
    else:
        x = _builder.pool(x, pooling, names=None)

    def imagenet_path():
        fname = f"{_FNAME}{'' if include_top else '_notop'}.h5"
        return fetch(fname, _BASE + fname, file_hash=_HASHES[0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


def preprocess_input(x, data_format=None):
    """Inception-ResNet V2's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
