"""California housing prices (20,640 block groups of the 1990 census, 8 features; targets in
dollars), from Keras's origin with its hash."""

from numdeep.datasets.housing import check_test_split, load_xy, split

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load the California housing data, Keras style.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first 600).
        path: the file's name in the cache.
        test_split: the fraction of samples held out (the last ones after shuffling).
        seed: seed of the shuffle (a private generator).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float features ``(N, 8)`` and targets
        ``(N,)``.
    """
    check_test_split(test_split)
    x, y = load_xy(path, ORIGIN + "california_housing.npz", SHA256)
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. "
                         f"Received: version={version}")
    return split(x, y, test_split, seed)
