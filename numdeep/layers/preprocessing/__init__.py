"""Preprocessing layers, by family:

- ``rescaling``, ``normalization``: numeric features (``Rescaling``, ``Normalization``)
- ``category_encoding``, ``discretization``, ``hashing``: categorical features
- ``index_lookup`` (the table), ``lookups`` (``StringLookup``, ``IntegerLookup``),
  ``text_vectorization`` (with the string operations in ``text``), sharing ``categorical``
  (encodings) and ``vocabulary`` (adapt's counts, vocabulary files)
- ``farmhash``, ``siphash``: the string hashes Keras's layers use, in pure Python
- ``image_layer`` (the dict/batch protocol), ``image_resizing`` (``Resizing``, ``CenterCrop``),
  ``color`` (``RandomBrightness``, ``RandomContrast``, ``Solarization``, ``AutoContrast``),
  ``color_effects`` (``RandomInvert``, ``RandomGrayscale``, ``RandomColorDegeneration``,
  ``RandomPosterization``), ``equalization``,
  ``augmentation`` (flips, crops, affine maps): the image layers
- ``pipeline``: ``Pipeline``, layers chained as one layer
"""

from numdeep.layers.preprocessing.augmentation import (
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numdeep.layers.preprocessing.category_encoding import CategoryEncoding
from numdeep.layers.preprocessing.color import (
    AutoContrast,
    RandomBrightness,
    RandomContrast,
    Solarization,
)
from numdeep.layers.preprocessing.color_effects import (
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
)
from numdeep.layers.preprocessing.discretization import Discretization
from numdeep.layers.preprocessing.equalization import Equalization
from numdeep.layers.preprocessing.hashing import Hashing
from numdeep.layers.preprocessing.image_resizing import CenterCrop, Resizing
from numdeep.layers.preprocessing.index_lookup import IndexLookup
from numdeep.layers.preprocessing.lookups import IntegerLookup, StringLookup
from numdeep.layers.preprocessing.normalization import Normalization
from numdeep.layers.preprocessing.pipeline import Pipeline
from numdeep.layers.preprocessing.rescaling import Rescaling
from numdeep.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["AutoContrast", "CategoryEncoding", "CenterCrop", "Discretization", "Equalization",
           "Hashing", "IndexLookup", "IntegerLookup", "Normalization", "Pipeline",
           "RandomBrightness", "RandomColorDegeneration", "RandomContrast", "RandomCrop",
           "RandomFlip", "RandomGrayscale", "RandomInvert", "RandomPosterization",
           "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
           "Solarization", "StringLookup", "TextVectorization"]
