"""Convolution layers: ``Conv1D/2D/3D``, the transposed ``Conv1DTranspose/2D/3D``, the
depthwise ``DepthwiseConv1D/2D`` and the separable ``SeparableConv1D/2D``."""

from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.layers.convolutional.conv import Conv1D, Conv2D, Conv3D
from numdeep.layers.convolutional.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from numdeep.layers.convolutional.depthwise_separable import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

__all__ = ["BaseConv", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D"]
