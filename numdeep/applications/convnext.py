"""ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al., 2022: a ResNet modernized after
vision transformers) with Keras's layer names; the models normalize their input themselves."""

import numpy as np

from numdeep import backend, layers
from numdeep.applications import _builder, imagenet_utils
from numdeep.applications.weights import fetch
from numdeep.backend.naming import unique_name
from numdeep.layers.residual_branch import LayerScale, StochasticDepth
from numdeep.models import Sequential

__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
           "LayerScale", "StochasticDepth", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
WEIGHTS_HASHES = {  # (with top, without top), SHA-256
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768]},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768]},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024]},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536]},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048]},
}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6,  # noqa: N802
                  name=None):
    """A function adding one ConvNeXt block: 7x7 depthwise convolution, layer normalization,
    two pointwise (``Dense``) layers with GELU between, layer scale, residual connection."""
    name = name or unique_name("prestem")

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                          groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim,
                           name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)
    return apply


def _prestem(x, name):
    """ImageNet normalization of pixels in ``[0, 255]`` (statistics in the config only)."""
    mean = [0.485 * 255, 0.456 * 255, 0.406 * 255]
    variance = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]
    return layers.Normalization(mean=mean, variance=variance,
                                name=f"{name}_prestem_normalization")(x)


def _head(x, classes, classifier_activation, name):
    x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
    return layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)


def _downsampling(projection_dims, name):
    stem = Sequential([
        layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    return [stem] + [Sequential([
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
        layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                      name=f"{name}_downsampling_conv_{i}"),
    ], name=f"{name}_downsampling_block_{i}") for i in range(3)]


def _check_imagenet(depths, projection_dims, name, weights_name):
    expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
    if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
        raise ValueError(
            f"Architecture configuration does not match {weights_name} variant. When using "
            f"pre-trained weights, the model architecture must match the pre-trained "
            f"configuration exactly. Expected depths: {expected['depths']}, got: {depths}. "
            f"Expected projection_dims: {expected['projection_dims']}, got: "
            f"{projection_dims}.")
    if weights_name not in name:
        raise ValueError(
            f'Model name "{name}" does not match weights variant "{weights_name}". When using '
            f'imagenet weights, model name must contain the weights variant (e.g., '
            f'"convnext_{weights_name.split("convnext_")[-1]}").')


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,  # noqa: N802
             default_size=224, name="convnext", include_preprocessing=True, include_top=True,
             weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", weights_name=None):
    """The ConvNeXt network with ``depths`` blocks of ``projection_dims`` channels per
    stage."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local config file at "
                         "~/.keras/keras.json")
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, default_size, 32, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = input_tensor if input_tensor is not None else img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = _prestem(x, name)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i, downsample in enumerate(_downsampling(projection_dims, name)):
        x = downsample(x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dims[i], drop_path_rate=rates[cur + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = _head(x, classes, classifier_activation, name)
    else:
        x = _builder.pool(x, pooling, names=None)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    if weights == "imagenet":
        _check_imagenet(depths, projection_dims, name, weights_name)

    def imagenet_path():
        fname = name + (".h5" if include_top else "_notop.h5")
        return fetch(fname, BASE_WEIGHTS_PATH + fname,
                     file_hash=WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return _builder.finish(img_input, input_tensor, x, name, weights, imagenet_path)


DOC = """Instantiates the {name} architecture (Keras's layer names and weight layout).

    Reference: A ConvNet for the 2020s (Liu et al., CVPR 2022). The model normalizes its input
    itself (``include_preprocessing=True``): pass images in ``[0, 255]``.

    Args:
        include_top: whether to include the classifier (pooling, layer norm, ``Dense``).
        include_preprocessing: whether the model starts with ImageNet normalization.
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


def _variant(size):
    config = MODEL_CONFIGS[size]
    public = f"ConvNeXt{'XLarge' if size == 'xlarge' else size.capitalize()}"
    key = f"convnext_{size}"

    def build(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=key):
        return ConvNeXt(config["depths"], config["projection_dims"], drop_path_rate=0.0,
                        layer_scale_init_value=1e-6, default_size=224, name=name,
                        include_preprocessing=include_preprocessing, include_top=include_top,
                        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                        pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name=key)
    build.__name__ = build.__qualname__ = public
    build.__doc__ = DOC.format(name=public, features=config["projection_dims"][-1])
    return build


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x, data_format=None):
    """A placeholder kept for API compatibility: ConvNeXt models normalize their input
    themselves, so this returns ``x`` unchanged.

    Example:
        >>> preprocess_input(255.0)
        255.0
    """
    return x


decode_predictions = imagenet_utils.decode_predictions
