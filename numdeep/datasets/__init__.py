"""Dataset loaders with Keras's names and return formats.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``,
``boston_housing`` and ``california_housing`` download Keras's files from Keras's origins, with
Keras's hashes, through ``numdeep.utils.get_file`` (once: the cache is shared with Keras);
pickled parts are read without running code. ``digits`` is bundled (works offline) and
``timeseries`` is computed.

Example:
    >>> from numdeep.datasets import digits
    >>> x, y = digits.load_digits()
    >>> x.shape
    (1797, 8, 8)
"""

from numdeep.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    timeseries,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits",
           "fashion_mnist", "imdb", "mnist", "reuters", "timeseries"]
