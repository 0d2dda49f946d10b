"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector`` and the spatial
``UpSampling``, ``ZeroPadding`` and ``Cropping`` layers."""

from numdeep.layers.reshaping.reshape import Flatten, Permute, RepeatVector, Reshape
from numdeep.layers.reshaping.spatial import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

__all__ = ["Cropping1D", "Cropping2D", "Flatten", "Permute", "RepeatVector", "Reshape",
           "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D"]
