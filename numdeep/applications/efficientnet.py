"""EfficientNetB0 to B7 (Tan and Le, 2019: compound scaling of width, depth and resolution)
with Keras's layer names; the models rescale and normalize their input themselves."""

import copy
import math

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch

__all__ = [f"EfficientNetB{i}" for i in range(8)] + ["preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
WEIGHTS_HASHES = {  # (with top, without top), MD5
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
_KEYS = ("kernel_size", "repeats", "filters_in", "filters_out", "expand_ratio", "id_skip",
         "strides", "se_ratio")
DEFAULT_BLOCKS_ARGS = [dict(zip(_KEYS, row)) for row in (
    (3, 1, 32, 16, 1, True, 1, 0.25), (3, 2, 16, 24, 6, True, 2, 0.25),
    (5, 2, 24, 40, 6, True, 2, 0.25), (3, 3, 40, 80, 6, True, 2, 0.25),
    (5, 3, 80, 112, 6, True, 1, 0.25), (5, 4, 112, 192, 6, True, 2, 0.25),
    (3, 1, 192, 320, 6, True, 1, 0.25))]
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def _conv(filters, kernel, name, **kwargs):
    kwargs.setdefault("use_bias", False)
    return layers.Conv2D(filters, kernel, kernel_initializer=CONV_KERNEL_INITIALIZER, name=name,
                         **kwargs)


def _squeeze_excite(x, filters, filters_in, se_ratio, activation, name):
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if _builder.bn_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = _conv(max(1, int(filters_in * se_ratio)), 1, f"{name}se_reduce", padding="same",
               activation=activation, use_bias=True)(se)
    se = _conv(filters, 1, f"{name}se_expand", padding="same", activation="sigmoid",
               use_bias=True)(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """A mobile inverted bottleneck (expansion, depthwise convolution, squeeze-and-excite,
    projection), with a residual connection and drop-connect when the shapes allow."""
    axis = _builder.bn_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", padding="same")(x)
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    conv_pad = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
        conv_pad = "valid"
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding=conv_pad, use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, filters_in, se_ratio, activation, name)
    x = _conv(filters_out, 1, f"{name}project_conv", padding="same")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _round_filters(filters, width_coefficient, divisor):
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(new_filters + divisor if new_filters < 0.9 * filters else new_filters)


def _blocks(x, blocks_args, width, depth, divisor, activation, drop_connect_rate):
    rounds = lambda r: int(math.ceil(depth * r))  # noqa: E731
    total = float(sum(rounds(args["repeats"]) for args in blocks_args))
    b = 0
    for i, args in enumerate(copy.deepcopy(blocks_args)):
        if args["repeats"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNet` must be > 0. Received: "
                             f"repeats={args['repeats']}")
        args["filters_in"] = _round_filters(args["filters_in"], width, divisor)
        args["filters_out"] = _round_filters(args["filters_out"], width, divisor)
        for j in range(rounds(args.pop("repeats"))):
            if j > 0:
                args["strides"], args["filters_in"] = 1, args["filters_out"]
            x = block(x, activation, drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    return x


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,  # noqa: N802
                 drop_connect_rate=0.2, depth_divisor=8, activation="swish",
                 blocks_args="default", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", weights_name=None):
    """The EfficientNet network scaled by ``width_coefficient`` and ``depth_coefficient``."""
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.bn_axis()
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        # The original network divides by the variance (std**2) where Normalization divides by
        # its square root; the published weights expect the extra 1/sqrt(std), as in Keras
        # (tensorflow/tensorflow#49930).
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(_round_filters(32, width_coefficient, depth_divisor), 3, "stem_conv", strides=2,
              padding="valid")(x)
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    x = _blocks(x, blocks_args, width_coefficient, depth_coefficient, depth_divisor,
                activation, drop_connect_rate)
    x = _conv(_round_filters(1280, width_coefficient, depth_divisor), 1, "top_conv",
              padding="same")(x)
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling)

    def imagenet_path():
        fname = name + (".h5" if include_top else "_notop.h5")
        return fetch(fname, BASE_WEIGHTS_PATH + fname,
                     file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (Tan
    and Le, ICML 2019). The model rescales and normalizes its input itself: pass images in
    ``[0, 255]`` (``efficientnet.preprocess_input`` is the identity).

    Args:
        include_top: whether to include the classifier (global average pooling + ``Dense``).
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published weights,
            from Keras's cache ``~/.keras/models``) or the path of a weights file.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        input_shape: the image shape, only without the top (the top needs ``({size}, {size},
            3)`` with ImageNet weights); sides no smaller than 32.
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

# variant: (width, depth, default size, dropout)
_VARIANTS = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
             "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
             "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}


def _variant(key):
    width, depth, size, dropout = _VARIANTS[key]

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=f"efficientnet{key}"):
        return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top,
                            weights=weights, input_tensor=input_tensor,
                            input_shape=input_shape, pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation, weights_name=key)
    public = f"EfficientNet{key.upper()}"
    build.__name__ = build.__qualname__ = public
    build.__doc__ = DOC.format(name=public, size=size,
                               features=_round_filters(1280, width, 8))
    return build


EfficientNetB0 = _variant("b0")
EfficientNetB1 = _variant("b1")
EfficientNetB2 = _variant("b2")
EfficientNetB3 = _variant("b3")
EfficientNetB4 = _variant("b4")
EfficientNetB5 = _variant("b5")
EfficientNetB6 = _variant("b6")
EfficientNetB7 = _variant("b7")


def preprocess_input(x, data_format=None):
    """A placeholder kept for API compatibility: EfficientNet models rescale and normalize
    their input themselves, so this returns ``x`` unchanged.

    Example:
        >>> preprocess_input(255.0)
        255.0
    """
    return x


decode_predictions = imagenet_utils.decode_predictions
