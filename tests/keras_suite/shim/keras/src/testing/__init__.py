"""numdeep's ``keras.src.testing``: the ``TestCase`` Keras's test files subclass."""

from keras.src.testing.test_case import TestCase
from keras.src.testing.test_utils import named_product

__all__ = ["TestCase", "named_product"]


# numdeep runs on the CPU here: none of Keras's accelerator-specific branches apply.
def uses_gpu():
    return False


def uses_tpu():
    return False


jax_uses_gpu = jax_uses_tpu = tensorflow_uses_gpu = tensorflow_uses_tpu = torch_uses_gpu = uses_gpu
