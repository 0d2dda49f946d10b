"""Layers with Keras names, arguments and weight layouts, one family per module or package.

- ``layer``, ``input_spec``, ``symbolic``: the ``Layer`` contract, input checks, symbolic tensors
- ``core``: ``Dense``, ``Activation``, ``Identity``, ``Masking``; ``einsum_dense``,
  ``lambda_layer``, ``input_layer``, ``wrapper`` (base of wrappers), ``lora`` (LoRA mixin)
- ``activations``, ``embedding``, ``position_embedding``, ``regularization``
- packages: ``convolutional``, ``pooling``, ``normalization``, ``attention``, ``recurrent``,
  ``reshaping``, ``merging``, ``preprocessing``
"""

from numdeep import registry
from numdeep.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from numdeep.layers.attention import (
    AdditiveAttention,
    Attention,
    GroupedQueryAttention,
    GroupQueryAttention,
    MultiHeadAttention,
)
from numdeep.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from numdeep.layers.core import Activation, Dense, Identity, Masking
from numdeep.layers.einsum_dense import EinsumDense
from numdeep.layers.embedding import Embedding, ReversibleEmbedding
from numdeep.layers.input_layer import Input, InputLayer
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.lambda_layer import Lambda
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
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from numdeep.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    SpectralNormalization,
    UnitNormalization,
)
from numdeep.layers.pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from numdeep.layers.position_embedding import PositionEmbedding, SinePositionEncoding
from numdeep.layers.preprocessing import (
    AutoContrast,
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Equalization,
    Hashing,
    IndexLookup,
    IntegerLookup,
    Normalization,
    Pipeline,
    RandomBrightness,
    RandomColorDegeneration,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    Solarization,
    StringLookup,
    TextVectorization,
)
from numdeep.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from numdeep.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from numdeep.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from numdeep.layers.wrapper import Wrapper

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

__all__ += [
    "AlphaDropout", "EinsumDense", "PReLU", "ReversibleEmbedding", "SpatialDropout3D", "Wrapper",
    "Cropping3D", "UpSampling3D", "ZeroPadding3D",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]

# Keras aliases of the convolution layers.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, SeparableConvolution2D = Conv2DTranspose, SeparableConv2D
Convolution1DTranspose, Convolution3DTranspose = Conv1DTranspose, Conv3DTranspose
SeparableConvolution1D = SeparableConv1D

__all__ += [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Conv3DTranspose",
    "Convolution1DTranspose", "Convolution3DTranspose", "DepthwiseConv1D",
    "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D", "GlobalMaxPooling3D",
    "SeparableConv1D", "SeparableConvolution1D", "SpectralNormalization",
]

__all__ += [
    "AdditiveAttention", "Attention", "MultiHeadAttention", "GroupNormalization",
    "GroupedQueryAttention", "GroupQueryAttention",
    "LayerNormalization", "RMSNormalization", "UnitNormalization", "Add", "Average",
    "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "Permute",
    "PositionEmbedding", "SinePositionEncoding",
]

__all__ += [
    "Bidirectional", "Embedding", "GRU", "LSTM", "Masking", "RepeatVector", "SimpleRNN",
    "TimeDistributed", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
]

__all__ += [
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IndexLookup",
    "IntegerLookup", "RandomBrightness", "Resizing", "StringLookup", "TextVectorization",
    "AutoContrast", "Equalization", "Pipeline", "RandomColorDegeneration", "RandomGrayscale",
    "RandomInvert", "RandomPosterization", "Solarization",
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
