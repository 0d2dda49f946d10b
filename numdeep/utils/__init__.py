"""Utilities with Keras's names (``keras.utils``): arrays and labels, datasets, seeding.

Example:
    >>> from numdeep.utils import to_categorical
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
"""

from numdeep.backend import clear_session
from numdeep.utils.arrays import normalize, pad_sequences, set_random_seed, to_categorical
from numdeep.utils.py_dataset import PyDataset, Sequence

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed", "clear_session",
           "PyDataset", "Sequence"]
