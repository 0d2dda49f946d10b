"""EfficientNetV2 B0-B3, S, M and L (Tan and Le, 2021: fused MBConv blocks in the early
stages) with Keras's layer names; the models rescale (and B0-B3 normalize) their input
themselves."""

import copy
import math

from numdeep import initializers, layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER
from numdeep.applications.weights import fetch

_VARIANT_NAMES = ("B0", "B1", "B2", "B3", "S", "M", "L")
__all__ = [f"EfficientNetV2{v}" for v in _VARIANT_NAMES] + ["preprocess_input",
                                                             "decode_predictions"]

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "efficientnet_v2/")
WEIGHTS_HASHES = {  # (with top, without top), MD5
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio",
         "se_ratio", "strides", "conv_type")  # conv_type 1: fused MBConv, 0: MBConv
_B = ((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
      (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0),
      (3, 8, 112, 192, 6, 0.25, 2, 0))
DEFAULT_BLOCKS_ARGS = {name: [dict(zip(_KEYS, row)) for row in rows] for name, rows in {
    "efficientnetv2-s": ((3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1),
                         (3, 4, 48, 64, 4, 0, 2, 1), (3, 6, 64, 128, 4, 0.25, 2, 0),
                         (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "efficientnetv2-m": ((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1),
                         (3, 5, 48, 80, 4, 0, 2, 1), (3, 7, 80, 160, 4, 0.25, 2, 0),
                         (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
                         (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "efficientnetv2-l": ((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1),
                         (3, 7, 64, 96, 4, 0, 2, 1), (3, 10, 96, 192, 4, 0.25, 2, 0),
                         (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
                         (3, 7, 384, 640, 6, 0.25, 1, 0)),
    **{f"efficientnetv2-b{i}": _B for i in range(4)},
}.items()}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by the width coefficient, rounded to a multiple of the divisor."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor
                   * depth_divisor))


def _conv(filters, kernel, name, **kwargs):
    return layers.Conv2D(filters, kernel, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         padding="same", name=name, **kwargs)


def _bn_act(x, momentum, activation, bn_name, act_name=None):
    x = layers.BatchNormalization(axis=_builder.bn_axis(), momentum=momentum, name=bn_name)(x)
    return layers.Activation(activation, name=act_name)(x) if act_name else x


def _squeeze_excite(x, filters, input_filters, se_ratio, activation, name):
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if _builder.bn_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = _conv(max(1, int(input_filters * se_ratio)), 1, f"{name}se_reduce",
               activation=activation)(se)
    se = _conv(filters, 1, f"{name}se_expand", activation="sigmoid")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, rate, name):
    # Keras passes the block's drop-connect rate (its "survival_probability") as the rate.
    if strides == 1 and input_filters == output_filters:
        if rate:
            x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def mb_conv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3,
                  strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                  survival_probability=0.8, name=""):
    """MBConv: 1x1 expansion, depthwise convolution, squeeze-and-excite, 1x1 projection."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", use_bias=False)(x)
        x = _bn_act(x, bn_momentum, activation, f"{name}expand_bn", f"{name}expand_activation")
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv2")(x)
    x = _bn_act(x, bn_momentum, activation, f"{name}bn", f"{name}activation")
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
    x = _conv(output_filters, 1, f"{name}project_conv", use_bias=False)(x)
    x = _bn_act(x, bn_momentum, activation, f"{name}project_bn")
    return _residual(x, inputs, strides, input_filters, output_filters, survival_probability,
                     name)


def fused_mb_conv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3,
                        strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                        survival_probability=0.8, name=""):
    """Fused MBConv: one full ``kernel_size`` convolution replaces the expansion and the
    depthwise convolution (without expansion it is the projection itself)."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, kernel_size, f"{name}expand_conv", strides=strides,
                  use_bias=False)(x)
        x = _bn_act(x, bn_momentum, activation, f"{name}expand_bn", f"{name}expand_activation")
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
    fused = expand_ratio == 1
    x = _conv(output_filters, kernel_size if fused else 1, f"{name}project_conv",
              strides=strides if fused else 1, use_bias=False)(x)
    x = _bn_act(x, bn_momentum, activation, f"{name}project_bn",
                f"{name}project_activation" if fused else None)
    return _residual(x, inputs, strides, input_filters, output_filters, survival_probability,
                     name)


def _input_scaling(x, input_shape, name):
    axis = _builder.bn_axis()
    if name.split("-")[-1].startswith("b") and input_shape[axis - 1] == 3:
        x = layers.Rescaling(scale=1.0 / 255)(x)
        return layers.Normalization(mean=[0.485, 0.456, 0.406],
                                    variance=[0.229**2, 0.224**2, 0.225**2], axis=axis)(x)
    return layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)


def _stages(x, blocks_args, width, depth, min_depth, divisor, bn_momentum, activation,
            drop_connect_rate):
    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    total = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args["input_filters"] = round_filters(args["input_filters"], width, min_depth, divisor)
        args["output_filters"] = round_filters(args["output_filters"], width, min_depth,
                                               divisor)
        block = fused_mb_conv_block if args.pop("conv_type") == 1 else mb_conv_block
        for j in range(int(math.ceil(depth * args.pop("num_repeat")))):
            if j > 0:
                args["strides"], args["input_filters"] = 1, args["output_filters"]
            x = block(x, activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    return x


def EfficientNetV2(width_coefficient, depth_coefficient, default_size,  # noqa: N802
                   dropout_rate=0.2, drop_connect_rate=0.2, depth_divisor=8, min_depth=8,
                   bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet",
                   input_tensor=None, input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """The EfficientNetV2 network scaled by ``width_coefficient`` and ``depth_coefficient``."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = _input_scaling(img_input, input_shape, name) if include_preprocessing else img_input
    stem = round_filters(blocks_args[0]["input_filters"], width_coefficient, min_depth,
                         depth_divisor)
    x = _conv(stem, 3, "stem_conv", strides=2, use_bias=False)(x)
    x = _bn_act(x, bn_momentum, activation, "stem_bn", "stem_activation")
    x = _stages(x, blocks_args, width_coefficient, depth_coefficient, min_depth, depth_divisor,
                bn_momentum, activation, drop_connect_rate)
    x = _conv(round_filters(1280, width_coefficient, min_depth, depth_divisor), 1, "top_conv",
              use_bias=False)(x)
    x = _bn_act(x, bn_momentum, activation, "top_bn", "top_activation")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    else:
        x = _builder.pool(x, pooling)

    def imagenet_path():
        fname = name + (".h5" if include_top else "_notop.h5")
        return fetch(fname, BASE_WEIGHTS_PATH + fname,
                     file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


DOC = """Instantiates the {public} architecture (Keras's layer names and weight layout).

    Reference: EfficientNetV2: Smaller Models and Faster Training (Tan and Le, ICML 2021). The
    model rescales its input itself: pass images in ``[0, 255]``
    (``efficientnet_v2.preprocess_input`` is the identity).

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
        include_preprocessing: whether the model starts with its input rescaling.
        name: the model name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.applications.{public}(weights=None, include_top=False, pooling="avg",
        ...                                input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, {features})
"""

# variant: (width, depth, default size, Keras's weights key)
_VARIANTS = {"b0": (1.0, 1.0, 224, "b0"), "b1": (1.0, 1.1, 240, "b1"),
             "b2": (1.1, 1.2, 260, "b2"), "b3": (1.2, 1.4, 300, "b3"),
             "s": (1.0, 1.0, 384, "-s"), "m": (1.0, 1.0, 480, "-m"), "l": (1.0, 1.0, 480, "-l")}


def _variant(key):
    width, depth, size, weights_name = _VARIANTS[key]

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              include_preprocessing=True, name=f"efficientnetv2-{key}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing,
                              weights_name=weights_name)
    public = f"EfficientNetV2{key.upper()}"
    build.__name__ = build.__qualname__ = public
    build.__doc__ = DOC.format(public=public, size=size,
                               features=round_filters(1280, width, 8, 8))
    return build


EfficientNetV2B0 = _variant("b0")
EfficientNetV2B1 = _variant("b1")
EfficientNetV2B2 = _variant("b2")
EfficientNetV2B3 = _variant("b3")
EfficientNetV2S = _variant("s")
EfficientNetV2M = _variant("m")
EfficientNetV2L = _variant("l")


def preprocess_input(x, data_format=None):
    """A placeholder kept for API compatibility: EfficientNetV2 models rescale their input
    themselves, so this returns ``x`` unchanged.

    Example:
        >>> preprocess_input(255.0)
        255.0
    """
    return x


decode_predictions = imagenet_utils.decode_predictions
