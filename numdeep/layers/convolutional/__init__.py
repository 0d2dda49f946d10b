"""Convolution layers: ``Conv1D/2D/3D``, ``DepthwiseConv2D``, ``SeparableConv2D`` and the
transposed ``Conv1DTranspose``/``Conv2DTranspose``."""

from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.layers.convolutional.conv import Conv1D, Conv2D, Conv3D
from numdeep.layers.convolutional.conv_transpose import Conv1DTranspose, Conv2DTranspose
from numdeep.layers.convolutional.depthwise_separable import DepthwiseConv2D, SeparableConv2D

__all__ = ["BaseConv", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "DepthwiseConv2D", "SeparableConv2D"]
