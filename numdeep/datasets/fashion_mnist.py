"""Fashion-MNIST (Zalando): 60,000 + 10,000 grayscale 28x28 images of 10 kinds of clothing.

Downloaded from Keras's origin into ``<cache>/datasets/fashion-mnist/`` (Keras's folder, so a
copy Keras fetched is reused) and parsed with the strict IDX reader of ``mnist``. Keras publishes
no hashes for these four files; the reader checks every header, size and byte count instead.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot (``CLASS_NAMES``).
"""

import os

from numdeep.datasets.mnist import load_idx

__all__ = ["load_data", "CLASS_NAMES"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")


def load_data():
    """Load Fashion-MNIST, Keras style (downloaded once into the shared cache).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``, uint8 labels 0-9.
    """
    from numdeep.utils.downloads import get_file

    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN + name, cache_subdir=subdir) for name in FILES]
    train = load_idx(paths[1], paths[0])
    return train, load_idx(paths[3], paths[2])
