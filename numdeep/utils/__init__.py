"""Utilities with Keras's names (``keras.utils``): arrays and labels, datasets, seeding, files,
images, plots.

The file, image, dataset and plotting helpers are imported on first use (``_LAZY``), so
``import numdeep`` stays fast and needs none of their optional packages (Pillow, matplotlib).

Example:
    >>> from numdeep.utils import to_categorical
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
"""

import importlib

from numdeep.backend import clear_session
from numdeep.utils.arrays import normalize, pad_sequences, set_random_seed, to_categorical
from numdeep.utils.py_dataset import PyDataset, Sequence

# public name -> the submodule defining it (imported when the name is first used)
_LAZY = {
    "get_file": "downloads", "hash_file": "downloads", "validate_file": "downloads",
    "extract_archive": "archives",
    "Progbar": "progbar",
    "load_img": "image_utils", "img_to_array": "image_utils", "array_to_img": "image_utils",
    "save_img": "image_utils", "smart_resize": "image_utils",
    "split_dataset": "dataset_utils", "BatchedDataset": "dataset_utils",
    "image_dataset_from_directory": "image_dataset_utils",
    "text_dataset_from_directory": "text_dataset_utils",
    "timeseries_dataset_from_array": "timeseries_dataset_utils",
    "plot_model": "model_plot", "model_to_dot": "model_plot", "plot_history": "history_plot",
}

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed", "clear_session",
           "PyDataset", "Sequence", *_LAZY]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'numdeep.utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"numdeep.utils.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
