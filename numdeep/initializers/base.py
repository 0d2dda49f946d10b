"""The ``Initializer`` base class and the helpers every initializer shares (fans, shapes,
dtypes, seeds)."""

import math

import numpy as np

from numdeep import registry
from numdeep.backend import floatx

# Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that
# truncated-normal draws keep the intended variance.
_TRUNC_STD = 0.87962566103423978


def compute_fans(shape):
    """Return ``(fan_in, fan_out)`` for a weight shape, the way Keras computes them.

    Args:
        shape: the weight shape. For >2-D (convolution) kernels laid out ``(*spatial, in, out)``
            both fans are multiplied by the receptive-field size ``prod(spatial)``.

    Returns:
        A pair of ints.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
        >>> compute_fans((10, 5))
        (10, 5)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def normalize_shape(shape):
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"Initializer shape must have non-negative dims. Received: shape={shape}")
    return shape


def float_dtype(dtype, who):
    dtype = np.dtype(dtype or floatx())
    if dtype.kind != "f":
        raise ValueError(f"{who} only supports float dtypes. Received: dtype={dtype}")
    return dtype


def check_seed(seed, who):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ValueError(f"{who} `seed` must be an int or None. Received: seed={seed!r}")
    return None if seed is None else int(seed)


class Initializer(registry.Configurable):
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}


