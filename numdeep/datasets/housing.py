"""Shared by the housing-price regressions: download, read (no pickles) and split like Keras."""

import numpy as np

__all__ = ["load_xy", "split"]


def load_xy(fname, origin, file_hash):
    from numdeep.utils.downloads import get_file

    path = get_file(fname, origin=origin, file_hash=file_hash)
    try:
        with np.load(path, allow_pickle=False) as f:
            return f["x"], f["y"]
    except (KeyError, ValueError, OSError) as e:
        raise ValueError(f"{path}: not a Keras housing .npz ({e}).") from None


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         f"and 1 (exclusive of 1).")


def split(x, y, test_split, seed):
    """Shuffle with Keras's seeded ``RandomState`` (private) and cut off the test part."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
