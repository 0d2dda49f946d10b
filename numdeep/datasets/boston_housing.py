"""Boston housing prices (506 districts, 13 features; targets in thousands of dollars).

Note: the data set has known ethical problems (a feature built on the share of Black residents)
and is kept for compatibility with Keras tutorials; prefer ``california_housing``.
"""

from numdeep.datasets.housing import check_test_split, load_xy, split

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load the Boston housing data, Keras style.

    Args:
        path: the file's name in the cache.
        test_split: the fraction of samples held out (the last ones after shuffling).
        seed: seed of the shuffle (a private generator).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 features ``(N, 13)`` and targets
        ``(N,)``.
    """
    check_test_split(test_split)
    x, y = load_xy(path, ORIGIN + "boston_housing.npz", SHA256)
    return split(x, y, test_split, seed)
