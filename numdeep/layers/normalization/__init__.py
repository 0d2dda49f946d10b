"""Normalization layers: ``BatchNormalization`` (batch statistics), the per-sample
``LayerNormalization``, ``GroupNormalization``, ``RMSNormalization``, ``UnitNormalization``, and
the ``SpectralNormalization`` wrapper.

(The preprocessing layer ``Normalization``, which standardizes features with statistics from
``adapt``, lives with the preprocessing layers, as in Keras.)
"""

from numdeep.layers.normalization.batch_normalization import BatchNormalization
from numdeep.layers.normalization.group_normalization import GroupNormalization
from numdeep.layers.normalization.layer_normalization import (
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from numdeep.layers.normalization.spectral_normalization import SpectralNormalization

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization", "RMSNormalization",
           "SpectralNormalization", "UnitNormalization"]
