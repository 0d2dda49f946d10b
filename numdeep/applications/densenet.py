"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017: each layer takes all earlier
feature maps of its block) with Keras's layer names."""

from numdeep import backend, layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
_EPS = 1.001e-5
# blocks per dense block: (file prefix, (MD5 with top, MD5 without top))
_WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", ("9d60b8095a5708f2dcce2bca79d332c7",
                                      "30ee3e1110167f948a6b9946edeeb738")),
    (6, 12, 32, 32): ("densenet169", ("d699b8f76981ab1b30698df4c175e90b",
                                      "b8c4d4c20dd625c148057b9ff1c1176b")),
    (6, 12, 48, 32): ("densenet201", ("1ceb130c1ea1b78c3bf6114dbdfd8807",
                                      "c13680b51ded0fb44dff2d8f86ac8bb1")),
}


def _bn(x, name):
    return layers.BatchNormalization(axis=_builder.bn_axis(), epsilon=_EPS, name=name)(x)


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv-BN-ReLU-3x3 conv giving ``growth_rate`` maps, concatenated to ``x``."""
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(_bn(x, f"{name}_0_bn"))
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(_bn(x1, f"{name}_1_bn"))
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                       name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=_builder.bn_axis(), name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU-1x1 conv (``reduction`` of the channels) and 2x2 average pooling."""
    x = layers.Activation("relu", name=f"{name}_relu")(_bn(x, f"{name}_bn"))
    x = layers.Conv2D(int(x.shape[_builder.bn_axis()] * reduction), 1, use_bias=False,
                      name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """The DenseNet network with ``blocks`` layers in each of its four dense blocks."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local config file at "
                         "~/.keras/keras.json")
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.Activation("relu", name="relu")(_bn(x, "bn"))
    if include_top:
        x = _builder.dense_top(x, classes, classifier_activation, weights)
    else:
        x = _builder.pool(x, pooling)

    def imagenet_path():
        if tuple(blocks) not in _WEIGHTS:
            raise ValueError("weights_path undefined")
        prefix, hashes = _WEIGHTS[tuple(blocks)]
        fname = f"{prefix}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        return fetch(fname, BASE_WEIGHTS_PATH + fname, file_hash=hashes[0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: Densely Connected Convolutional Networks (Huang et al., CVPR 2017). Call
    ``numdeep.applications.densenet.preprocess_input`` (``"torch"`` mode) on images in
    ``[0, 255]`` first.

    Args:
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``(224, 224, 3)``
            with ImageNet weights); sides no smaller than 32.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation (``None`` gives logits).
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.{name}(weights=None, include_top=False, pooling="avg",
        ...                                input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, {features})
"""


def _variant(blocks, public, features):
    default_name = public.lower()

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=default_name):
        return DenseNet(list(blocks), include_top, weights, input_tensor, input_shape, pooling,
                        classes, classifier_activation, name=name)
    build.__name__ = build.__qualname__ = public
    build.__doc__ = DOC.format(name=public, features=features)
    return build


DenseNet121 = _variant((6, 12, 24, 16), "DenseNet121", 1024)
DenseNet169 = _variant((6, 12, 32, 32), "DenseNet169", 1664)
DenseNet201 = _variant((6, 12, 48, 32), "DenseNet201", 1920)


def preprocess_input(x, data_format=None):
    """DenseNet's preprocessing (``"torch"``: pixels scaled to ``[0, 1]``, then normalized with
    ImageNet's channel means and standard deviations); see ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.full((1, 1, 3), 255.0)).round(4)
        array([[[2.2489, 2.4286, 2.64  ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = imagenet_utils.decode_predictions
