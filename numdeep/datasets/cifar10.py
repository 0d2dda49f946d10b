"""CIFAR-10: 50,000 + 10,000 colour 32x32 images in 10 classes, from Keras's origin and hash.

The archive is downloaded once into the cache Keras uses (``cifar-10-batches-py-target``),
extracted safely, and its pickled batches are read without executing code (``cifar.load_batch``).

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck (``CLASS_NAMES``).
"""

import os

import numpy as np

from numdeep.datasets.cifar import load_batch, to_data_format

__all__ = ["load_data", "CLASS_NAMES"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def load_data():
    """Load CIFAR-10, Keras style.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(50000, 32, 32, 3)`` and
        ``(10000, 32, 32, 3)`` (channels first under ``image_data_format() ==
        "channels_first"``), uint8 labels of shape ``(N, 1)``.
    """
    from numdeep.utils.downloads import get_file

    path = get_file(fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True,
                    file_hash=SHA256)
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([np.asarray(y, np.uint8) for _, y in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_test = np.asarray(y_test, np.uint8)
    return ((to_data_format(x_train), y_train.reshape(-1, 1)),
            (to_data_format(x_test), y_test.reshape(-1, 1)))
