"""Layers with Keras names, arguments and weight layouts."""

from numdeep.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from numdeep.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from numdeep.layers.augmentation import (
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numdeep.layers.base import InputSpec, Layer, clear_session
from numdeep.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    DepthwiseConv2D,
    SeparableConv2D,
)
from numdeep.layers.core import Activation, Dense, Identity
from numdeep.layers.input_layer import Input, InputLayer
from numdeep.layers.lambda_layer import Lambda
from numdeep.layers.layer_normalization import (
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
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
from numdeep.layers.normalization import BatchNormalization
from numdeep.layers.permute import Permute
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
from numdeep.layers.positional import PositionEmbedding, SinePositionEncoding
from numdeep.layers.preprocessing import Normalization, Rescaling
from numdeep.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
)
from numdeep.layers.reshaping import Flatten, Reshape
from numdeep.layers.reshaping_spatial import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from numdeep.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D

__all__ = [
    "Activation", "Dense", "Dropout", "ELU", "Flatten", "Identity", "Input", "InputLayer",
    "InputSpec", "Layer", "LeakyReLU", "Normalization", "ReLU", "Rescaling", "Reshape", "Softmax",
    "clear_session", "ActivityRegularization", "GaussianDropout", "GaussianNoise",
    "Lambda",
    # convolutional, pooling, normalization, spatial and augmentation layers (issue 3)
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D",
    "AvgPool3D", "BatchNormalization", "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose",
    "Conv3D", "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Convolution3D",
    "Cropping1D", "Cropping2D", "DepthwiseConv2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D",
    "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "RandomContrast", "RandomCrop",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "SeparableConv2D",
    "SeparableConvolution2D", "SpatialDropout1D", "SpatialDropout2D", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
]

# Keras aliases of the convolution layers.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, SeparableConvolution2D = Conv2DTranspose, SeparableConv2D

# attention, per-sample normalization, merging, permute and position layers (issue 6)
__all__ += [
    "AdditiveAttention", "Attention", "MultiHeadAttention", "GroupNormalization",
    "LayerNormalization", "RMSNormalization", "UnitNormalization", "Add", "Average",
    "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "Permute",
    "PositionEmbedding", "SinePositionEncoding",
]
from numdeep.layers.embedding import Embedding  # noqa: E402
from numdeep.layers.recurrent import GRU, LSTM, SimpleRNN  # noqa: E402
from numdeep.layers.sequence_utils import Masking, RepeatVector  # noqa: E402
from numdeep.layers.wrappers import Bidirectional, TimeDistributed  # noqa: E402

__all__ += [
    "Bidirectional", "Embedding", "GRU", "LSTM", "Masking", "RepeatVector", "SimpleRNN",
    "TimeDistributed",
]
