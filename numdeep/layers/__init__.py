"""Layers with Keras names, arguments and weight layouts, one family per module or package.

- ``layer``, ``input_spec``, ``symbolic``: the ``Layer`` contract, input checks, symbolic tensors
- ``core``: ``Dense``, ``Activation``, ``Identity``, ``Lambda``, ``Masking``; ``input_layer``
- ``activations``, ``embedding``, ``merging``, ``pooling``, ``regularization``
- packages: ``convolutional``, ``normalization``, ``attention``, ``recurrent``, ``reshaping``,
  ``preprocessing``
"""

from numdeep import registry
from numdeep.layers.activations import ELU, LeakyReLU, ReLU, Softmax
from numdeep.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from numdeep.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    DepthwiseConv2D,
    SeparableConv2D,
)
from numdeep.layers.core import Activation, Dense, Identity, Lambda, Masking
from numdeep.layers.embedding import Embedding, PositionEmbedding, SinePositionEncoding
from numdeep.layers.input_layer import Input, InputLayer
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer, clear_session
from numdeep.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from numdeep.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from numdeep.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from numdeep.layers.preprocessing import (
    Normalization,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
)
from numdeep.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed
from numdeep.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from numdeep.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

__all__ = [
    "Activation", "Dense", "Dropout", "ELU", "Flatten", "Identity", "Input", "InputLayer",
    "InputSpec", "Layer", "LeakyReLU", "Normalization", "ReLU", "Rescaling", "Reshape", "Softmax",
    "clear_session", "ActivityRegularization", "GaussianDropout", "GaussianNoise",
    "Lambda",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D",
    "AvgPool3D", "BatchNormalization", "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose",
    "Conv3D", "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Convolution3D",
    "Cropping1D", "Cropping2D", "DepthwiseConv2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D",
    "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "RandomContrast", "RandomCrop",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "SeparableConv2D",
    "SeparableConvolution2D", "SpatialDropout1D", "SpatialDropout2D", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "serialize", "deserialize",
]

# Keras aliases of the convolution layers.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, SeparableConvolution2D = Conv2DTranspose, SeparableConv2D

__all__ += [
    "AdditiveAttention", "Attention", "MultiHeadAttention", "GroupNormalization",
    "LayerNormalization", "RMSNormalization", "UnitNormalization", "Add", "Average",
    "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "Permute",
    "PositionEmbedding", "SinePositionEncoding",
]

__all__ += [
    "Bidirectional", "Embedding", "GRU", "LSTM", "Masking", "RepeatVector", "SimpleRNN",
    "TimeDistributed",
]

# Every public layer class (and Keras alias) is loadable from a config by its name.
_KIND = registry.Kind("layer", "keras.layers", base=Layer)
_KIND.register_namespace(globals())


def serialize(layer):
    """A layer's Keras config dict ``{'module', 'class_name', 'config', 'registered_name'}``."""
    return _KIND.serialize(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from ``serialize`` output: numdeep layers, registered ones or
    ``custom_objects``."""
    layer = _KIND.deserialize(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"Cannot rebuild a layer from {config!r}: expected a dict whose "
                         f"'class_name' names a layer class.")
    return layer
