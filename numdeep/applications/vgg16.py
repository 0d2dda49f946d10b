"""VGG16 (Simonyan and Zisserman, 2014) with Keras's layer names; ``vgg19`` reuses ``VGG``."""

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
_HASHES = {  # (with top, without top), MD5
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def _imagenet_weights(family, include_top):
    fname = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return fetch(fname, f"{_BASE}{family}/{fname}",
                 file_hash=_HASHES[family][0 if include_top else 1])


def VGG(convs_per_block, family, include_top=True, weights="imagenet",  # noqa: N802
        input_tensor=None, input_shape=None, pooling=None, classes=1000,
        classifier_activation="softmax", name=None):
    """Five blocks of 3x3 convolutions (64 to 512 filters, ``convs_per_block`` each) and max
    pooling, then two 4096-unit layers and the classifier."""
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, 224, 32, include_top, weights)
    img_input = x = _builder.image_input(input_tensor, input_shape)
    for b, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block)):
        for c in range(convs):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{b + 1}_conv{c + 1}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b + 1}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling, names=None)
    return _builder.finish(img_input, input_tensor, x, name or family, weights,
                           lambda: _imagenet_weights(family, include_top))


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: Very Deep Convolutional Networks for Large-Scale Image Recognition (Simonyan
    and Zisserman, ICLR 2015).

    Call ``numdeep.applications.{module}.preprocess_input`` on images in ``[0, 255]`` first.

    Args:
        include_top: whether to include the three fully-connected layers of the top.
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``(224, 224, 3)``
            with ImageNet weights); 3 channels, sides no smaller than 32.
        pooling: without the top, ``None`` (the 4D feature map), ``"avg"`` or ``"max"``.
        classes: the number of classes of the top (1000 with ImageNet weights).
        classifier_activation: the top's activation; ``None`` gives logits (only ``None`` or
            ``"softmax"`` with pretrained weights).
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.{name}(weights=None, include_top=False,
        ...                               input_shape=(32, 32, 3), pooling="max")
        >>> model.output_shape
        (None, 512)
"""


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    return VGG((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)


VGG16.__doc__ = DOC.format(name="VGG16", module="vgg16")


def preprocess_input(x, data_format=None):
    """VGG's preprocessing (``"caffe"``: RGB to BGR, minus the ImageNet channel means); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.zeros((1, 1, 3)))
        array([[[-103.939, -116.779, -123.68 ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
