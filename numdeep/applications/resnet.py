"""ResNet50, ResNet101 and ResNet152 (He et al., 2015) with Keras's layer names, so the weight
files Keras publishes load as they are; ``resnet_v2`` reuses the blocks here."""

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {  # (with top, without top), MD5
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPS = 1.001e-5


def _imagenet_weights(weights_name, include_top):
    suffix = "" if include_top else "_notop"
    fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return fetch(fname, BASE_WEIGHTS_PATH + fname,
                 file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1])


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet",  # noqa: N802
           input_tensor=None, input_shape=None, pooling=None, classes=1000,
           classifier_activation="softmax", name="resnet", weights_name=None):
    """The ResNet family around ``stack_fn`` (the residual stages); ``preact=True`` gives
    ResNetV2 (batch normalization and ReLU before each convolution)."""
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        x = _builder.dense_top(x, classes, classifier_activation, weights)
    else:
        x = _builder.pool(x, pooling)
    return _builder.finish(img_input, input_tensor, x, name, weights,
                           lambda: _imagenet_weights(weights_name, include_top))


def _bn(x, name):
    return layers.BatchNormalization(axis=_builder.bn_axis(), epsilon=_EPS, name=name)(x)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block of ResNet v1: 1x1, ``kernel_size``, 1x1 convolutions (the last with
    ``4 * filters``) added to the shortcut, then ReLU."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(x, f"{name}_1_bn"))
    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(x, f"{name}_2_bn"))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(x, f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v1 blocks; the first one strides by ``stride1`` and projects the shortcut."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block of ResNet v2 (the stride is on the 3x3 convolution)."""
    preact = _bn(x, f"{name}_preact_bn")
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(x, f"{name}_1_bn"))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(x, f"{name}_2_bn"))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v2 blocks; the first projects the shortcut, the last strides by
    ``stride1``."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _stages(block_counts, stack=stack_residual_blocks_v1, last_stride=2, first_stride=1):
    def stack_fn(x):
        for i, (filters, blocks) in enumerate(zip((64, 128, 256, 512), block_counts)):
            stride = first_stride if i == 0 else (last_stride if i == 3 else 2)
            x = stack(x, filters, blocks, stride1=stride, name=f"conv{i + 2}")
        return x
    return stack_fn


def _v1(blocks, weights_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=weights_name):
        return ResNet(_stages(blocks), False, True, include_top=include_top, weights=weights,
                      input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                      classes=classes, classifier_activation=classifier_activation,
                      name=name, weights_name=weights_name)
    return build


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: Deep Residual Learning for Image Recognition (He et al., CVPR 2015).

    Each Keras application expects its own preprocessing: call
    ``numdeep.applications.{module}.preprocess_input`` on images in ``[0, 255]`` first.

    Args:
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``(224, 224, 3)``
            with ImageNet weights); 3 channels, sides no smaller than 32.
        pooling: without the top, ``None`` (the 4D feature map), ``"avg"`` or ``"max"``
            (global pooling to a 2D output).
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation; ``None`` gives logits (only ``None`` or
            ``"softmax"`` with pretrained weights).
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.{name}(weights=None, include_top=False,
        ...                                 input_shape=(32, 32, 3), pooling="avg")
        >>> model.output_shape
        (None, {features})
"""

ResNet50 = _v1((3, 4, 6, 3), "resnet50")
ResNet101 = _v1((3, 4, 23, 3), "resnet101")
ResNet152 = _v1((3, 8, 36, 3), "resnet152")
for _fn, _name in ((ResNet50, "ResNet50"), (ResNet101, "ResNet101"), (ResNet152, "ResNet152")):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = DOC.format(name=_name, module="resnet", features=2048)


def preprocess_input(x, data_format=None):
    """ResNet's preprocessing (``"caffe"``: RGB to BGR, minus the ImageNet channel means);
    see ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.zeros((1, 1, 3)))
        array([[[-103.939, -116.779, -123.68 ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
