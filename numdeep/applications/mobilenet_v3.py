"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019) with Keras's layer names; the
models rescale their input themselves (``include_preprocessing``)."""

import warnings

from numdeep import layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.mobilenet_v2 import _spatial, check_tensor_shape
from numdeep.applications.mobilenet_v2 import make_divisible as _depth
from numdeep.applications.weights import fetch
from numdeep.ops.symbolic import is_keras_tensor

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v3/")
WEIGHTS_HASHES = {  # (with top, without top), MD5
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}


def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _bn(x, name):
    return layers.BatchNormalization(axis=_builder.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, hard_sigmoid(x)])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[_builder.channel_axis()]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = activation(_bn(x, f"{prefix}expand_bn"))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = activation(_bn(x, f"{prefix}depthwise_bn"))
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_bn")
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(input_shape, input_tensor):
    check_tensor_shape(input_shape, input_tensor)
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = _spatial(input_tensor.shape, 1)
        first = _builder.channel_axis() == 1
        return (3, cols, rows) if first else (cols, rows, 3)
    if input_shape is None:
        return (3, None, None) if _builder.channel_axis() == 1 else (None, None, 3)
    return input_shape


def _check(rows, cols, weights, alpha, minimalistic, input_shape):
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape="
                         f"{input_shape}`")
    if weights != "imagenet":
        return
    if (not minimalistic and alpha not in [0.75, 1.0]) or (minimalistic and alpha != 1.0):
        raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, "
                         "`1.0` for non minimalistic or `1.0` for minimalistic only.")
    if rows != cols or rows != 224:
        warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights "
                      "for input shape (224, 224) will be loaded as the default.", stacklevel=4)


def MobileNetV3(stack_fn, last_point_ch, input_shape=None, alpha=1.0,  # noqa: N802
                model_type="large", minimalistic=False, include_top=True, weights="imagenet",
                input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                classifier_activation="softmax", include_preprocessing=True, name=None):
    """The MobileNetV3 network around ``stack_fn`` (its inverted residual blocks)."""
    _builder.check_weights(weights, include_top, classes)
    input_shape = _input_shape(input_shape, input_tensor)
    rows, cols = _spatial(input_shape, 0)
    _check(rows, cols, weights, alpha, minimalistic, input_shape)
    img_input = _builder.image_input(input_tensor, input_shape)
    kernel, activation, se_ratio = (3, relu, None) if minimalistic else (5, hard_swish, 0.25)
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = activation(_bn(x, "conv_bn"))
    x = stack_fn(x, kernel, activation, se_ratio)
    last_conv_ch = _depth(x.shape[_builder.channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = activation(_bn(x, "conv_1_bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pool(x, pooling)

    def imagenet_path():
        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        top = "" if include_top else "_no_top_v2"
        fname = f"weights_mobilenet_v3_{model_name}{top}.h5"
        return fetch(fname, BASE_WEIGHT_PATH + fname,
                     file_hash=WEIGHTS_HASHES[model_name][0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


# (expansion, filters, kernel ("k": the model's), stride, squeeze-excite, activation ("a": the
# model's, "relu")) of each block
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
          (88 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "a"),
          (6, 40, "k", 1, True, "a"), (6, 40, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"),
          (3, 48, "k", 1, True, "a"), (6, 96, "k", 2, True, "a"), (6, 96, "k", 1, True, "a"),
          (6, 96, "k", 1, True, "a"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, "k", 2, True, "relu"),
          (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "a"), (2.5, 80, 3, 1, False, "a"), (2.3, 80, 3, 1, False, "a"),
          (2.3, 80, 3, 1, False, "a"), (6, 112, 3, 1, True, "a"), (6, 112, 3, 1, True, "a"),
          (6, 160, "k", 2, True, "a"), (6, 160, "k", 1, True, "a"),
          (6, 160, "k", 1, True, "a"))


def _stack(table, alpha):
    def stack_fn(x, kernel, activation, se_ratio):
        for block_id, (expansion, filters, k, stride, se, act) in enumerate(table):
            x = _inverted_res_block(x, expansion, _depth(filters * alpha),
                                    kernel if k == "k" else k, stride, se_ratio if se else None,
                                    relu if act == "relu" else activation, block_id)
        return x
    return stack_fn


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: Searching for MobileNetV3 (Howard et al., ICCV 2019). The model rescales its
    input itself (``include_preprocessing=True``): pass images in ``[0, 255]``.

    Args:
        input_shape: the image shape (default ``(None, None, 3)``); sides at least 32.
        alpha: width multiplier (0.75 or 1.0 with ImageNet weights; 1.0 when minimalistic).
        minimalistic: ReLU and 3x3 kernels only, no squeeze-and-excite nor hard-swish.
        include_top: whether to include the classifier (1x1 convolutions on pooled features).
        weights: ``None``, ``"imagenet"`` (from Keras's cache ``~/.keras/models``) or a path.
        input_tensor: optional tensor (output of ``Input()``) to use as the image input.
        classes: the number of classes of the top.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        dropout_rate: dropout rate of the top.
        classifier_activation: the top's activation (``None`` gives logits).
        include_preprocessing: whether the model starts with ``Rescaling`` to ``[-1, 1]``.
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


def _variant(table, last_point_ch, model_type, default_name):
    def build(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
              weights="imagenet", input_tensor=None, classes=1000, pooling=None,
              dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True,
              name=default_name):
        return MobileNetV3(_stack(table, alpha), last_point_ch, input_shape, alpha, model_type,
                           minimalistic, include_top, weights, input_tensor, classes, pooling,
                           dropout_rate, classifier_activation, include_preprocessing,
                           name=name)
    build.__name__ = build.__qualname__ = default_name
    build.__doc__ = DOC.format(name=default_name, features=576 if model_type == "small" else 960)
    return build


MobileNetV3Small = _variant(_SMALL, 1024, "small", "MobileNetV3Small")
MobileNetV3Large = _variant(_LARGE, 1280, "large", "MobileNetV3Large")


def preprocess_input(x, data_format=None):
    """A placeholder kept for API compatibility: MobileNetV3 models rescale their input
    themselves, so this returns ``x`` unchanged.

    Example:
        >>> preprocess_input(255.0)
        255.0
    """
    return x


decode_predictions = imagenet_utils.decode_predictions
