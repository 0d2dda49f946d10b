"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant`` and ``Identity``."""

import numpy as np

from numdeep.backend import floatx
from numdeep.initializers.base import (
    Initializer,
    normalize_shape,
)


class Zeros(Initializer):
    """Fill with zeros.

    Example:
        >>> Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(normalize_shape(shape), dtype=np.dtype(dtype or floatx()))


class Ones(Initializer):
    """Fill with ones.

    Example:
        >>> Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.ones(normalize_shape(shape), dtype=np.dtype(dtype or floatx()))


class Constant(Initializer):
    """Fill with a constant value (a scalar, or an array broadcastable to the shape).

    Args:
        value: the fill value.

    Example:
        >>> Constant(0.5)((3,))
        array([0.5, 0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = normalize_shape(shape)
        return np.array(np.broadcast_to(np.asarray(self.value), shape), dtype=dtype or floatx())

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray | np.generic):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; non-square gets ``eye(rows, cols)``).

    Args:
        gain: multiplicative factor.

    Example:
        >>> Identity(2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = normalize_shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape. Received: shape={shape}")
        return (self.gain * np.eye(*shape)).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain}
