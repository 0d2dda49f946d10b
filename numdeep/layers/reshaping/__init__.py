"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector`` (``reshape``) and the
spatial ``Cropping``, ``ZeroPadding`` and ``UpSampling`` layers in 1-D, 2-D and 3-D."""

from numdeep.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from numdeep.layers.reshaping.padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from numdeep.layers.reshaping.reshape import Flatten, Permute, RepeatVector, Reshape
from numdeep.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "Flatten", "Permute", "RepeatVector",
           "Reshape", "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D",
           "ZeroPadding2D", "ZeroPadding3D"]
