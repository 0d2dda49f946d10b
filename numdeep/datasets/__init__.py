"""Dataset loaders: ``digits`` (bundled, works offline) and ``mnist`` (local files only).

Each module has a Keras-style ``load_data()`` returning ``(x_train, y_train), (x_test, y_test)``.

Example:
    >>> from numdeep.datasets import digits
    >>> x, y = digits.load_digits()
    >>> x.shape
    (1797, 8, 8)
"""

from numdeep.datasets import digits, mnist, timeseries

__all__ = ["digits", "mnist", "timeseries"]
