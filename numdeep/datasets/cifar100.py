"""CIFAR-100: 50,000 + 10,000 colour 32x32 images in 100 fine classes grouped into 20 coarse
ones, from Keras's origin and hash (read without executing the pickles, as ``cifar10``)."""

import os

import numpy as np

from numdeep.datasets.cifar import load_batch, to_data_format

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Load CIFAR-100, Keras style.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(N, 32, 32, 3)`` and int64
        labels ``(N, 1)`` (as Keras returns them).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. '
                         f"Received: label_mode={label_mode}.")
    from numdeep.utils.downloads import get_file

    path = get_file(fname="cifar-100-python-target", origin=ORIGIN, extract=True,
                    file_hash=SHA256)
    path = os.path.join(path, "cifar-100-python")
    out = []
    for part in ("train", "test"):
        x, y = load_batch(os.path.join(path, part), label_key=f"{label_mode}_labels")
        # Keras reshapes the label list as it is, which gives int64 labels.
        out.append((to_data_format(x), np.reshape(y, (len(y), 1))))
    return tuple(out)
