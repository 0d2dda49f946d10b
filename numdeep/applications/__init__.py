"""Keras's image classification models (``keras.applications``) with the same layer names and
weight layout, so the weight files Keras publishes load as they are.

``weights="imagenet"`` reads Keras's file from Keras's cache (``~/.keras/models``; see
``numdeep.applications.weights.fetch``); ``weights=None`` starts from random weights and
``weights=path`` loads a ``.h5`` or ``.weights.h5`` file. Each family has its
``preprocess_input`` and ``decode_predictions`` in its module (``applications.resnet50``, ...).
The models and modules load on first use, so ``import numdeep`` stays fast.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> base = nd.applications.MobileNetV2(weights=None, include_top=False,
    ...                                    input_shape=(32, 32, 3), pooling="avg")
    >>> base.output_shape
    (None, 1280)
    >>> x = nd.applications.mobilenet_v2.preprocess_input(np.full((1, 32, 32, 3), 255.0))
    >>> float(x.max())
    1.0
"""

import importlib

# public name -> the module defining it
_MODELS = {
    "resnet": ("ResNet50", "ResNet101", "ResNet152"),
    "resnet_v2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
    "vgg16": ("VGG16",),
    "vgg19": ("VGG19",),
    "mobilenet": ("MobileNet",),
    "mobilenet_v2": ("MobileNetV2",),
    "mobilenet_v3": ("MobileNetV3Small", "MobileNetV3Large"),
    "efficientnet": tuple(f"EfficientNetB{i}" for i in range(8)),
    "efficientnet_v2": tuple(f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")),
    "densenet": ("DenseNet121", "DenseNet169", "DenseNet201"),
    "xception": ("Xception",),
    "inception_v3": ("InceptionV3",),
    "inception_resnet_v2": ("InceptionResNetV2",),
    "nasnet": ("NASNetMobile", "NASNetLarge"),
    "convnext": ("ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
                 "ConvNeXtXLarge"),
}
_NAMES = {name: module for module, names in _MODELS.items() for name in names}
_MODULES = set(_MODELS) | {"resnet50", "imagenet_utils", "weights"}

__all__ = sorted(_NAMES) + sorted(_MODULES)


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
