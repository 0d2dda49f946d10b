"""Preprocessing layers: ``Rescaling``, ``Normalization`` and the image augmentation layers
(``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``, ``RandomCrop``,
``RandomContrast``)."""

from numdeep.layers.preprocessing.augmentation import (
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numdeep.layers.preprocessing.normalization import Normalization
from numdeep.layers.preprocessing.rescaling import Rescaling

__all__ = ["Normalization", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
           "RandomTranslation", "RandomZoom", "Rescaling"]
