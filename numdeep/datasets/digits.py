"""The UCI 8x8 handwritten digits (1,797 images), bundled with numdeep so examples run offline.

Pixels are counts in 0..16 (each of the 64 cells counts set pixels in a 4x4 block of a 32x32
bitmap). Source and license (CC BY 4.0): ``numdeep/datasets/bundled/README.md``.

Example:
    >>> from numdeep.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_test.shape, x_train.dtype
    ((1438, 8, 8), (359, 8, 8), dtype('uint8'))
"""

import gzip
from pathlib import Path

import numpy as np

__all__ = ["load_data", "load_digits"]

_PATH = Path(__file__).resolve().parent / "bundled" / "digits.csv.gz"


def load_digits():
    """Return all 1,797 digits in file order.

    Returns:
        ``(x, y)``: ``x`` uint8 of shape ``(1797, 8, 8)`` with values 0..16, ``y`` uint8 labels
        0..9.

    Example:
        >>> x, y = load_digits()
        >>> x.shape, int(x.max()), sorted(set(y.tolist())) == list(range(10))
        ((1797, 8, 8), 16, True)
    """
    with gzip.open(_PATH, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    if table.shape != (1797, 65):
        raise ValueError(f"{_PATH} is damaged: expected a 1797x65 table, found {table.shape}.")
    return table[:, :64].reshape(-1, 8, 8), table[:, 64].copy()


def load_data(test_split=0.2, seed=113):
    """Load the digits as a deterministic stratified train/test split, Keras ``load_data`` style.

    Every class contributes (as nearly as possible) the fraction ``test_split`` of its images to
    the test set; both parts are then shuffled. The split depends only on ``seed`` (a private
    generator is used; global random state is untouched).

    Args:
        test_split: fraction of the images held out for testing, in ``[0, 1)``.
        seed: seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(N, 8, 8)`` and uint8 labels.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data(test_split=0.5, seed=0)
        >>> len(x_train), len(x_test)
        (899, 898)
    """
    if not 0.0 <= test_split < 1.0:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split}")
    x, y = load_digits()
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * test_split
    n_test = np.floor(quota).astype(int)
    # Largest-remainder rounding keeps the total at round(N * test_split).
    missing = int(round(len(y) * test_split)) - int(n_test.sum())
    if missing > 0:
        n_test[np.argsort(-(quota - n_test), kind="stable")[:missing]] += 1
    test_idx = []
    for c, k in zip(classes, n_test):
        test_idx.append(rng.permutation(np.flatnonzero(y == c))[:k])
    test_idx = np.concatenate(test_idx)
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])
