"""numdeep's ``keras.src.testing``: the ``TestCase`` Keras's test files subclass."""

from keras.src.testing.test_case import TestCase
from keras.src.testing.test_utils import named_product

__all__ = ["TestCase", "named_product"]
