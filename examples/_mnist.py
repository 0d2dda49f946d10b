"""MNIST for the examples: the full set (on disk, cached or downloaded), else the t10k split."""

from pathlib import Path

import numdeep as keras

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def load_mnist(data_dir=None):
    """The full MNIST split (the given folder, the cache, or a download, as Keras does), else
    the t10k split (with a note saying so)."""
    try:
        return keras.datasets.mnist.load_data(data_dir)
    except OSError as e:  # FileNotFoundError, or a failed download (offline)
        print(f"Note: {str(e).splitlines()[0][:300]}")
    fallback = data_dir or SHARED_MNIST
    print(f"Note: the full MNIST training set was not found, so this run uses the official "
          f"10,000-image test set from {fallback}, split 8,000 for training / 2,000 for testing "
          f"(keras.datasets.mnist.load_t10k_split), so expect lower accuracy than with 60,000.")
    return keras.datasets.mnist.load_t10k_split(fallback)
