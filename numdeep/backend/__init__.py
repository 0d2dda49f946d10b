"""The only place that knows which array module (NumPy or CuPy) holds the data.

Everything else asks ``xp_of(array)`` for the module that owns an array, so that the same op
code runs on NumPy today and on CuPy once a GPU backend lands.

Example:
    >>> import numpy as np
    >>> from numdeep.backend import xp_of, floatx
    >>> xp_of(np.zeros(3)) is np
    True
    >>> floatx()
    'float32'
"""

import sys

import numpy as np

from numdeep.backend.allocator import tune_allocator
from numdeep.backend.random import default_rng, make_rng, set_seed

__all__ = [
    "xp_of", "floatx", "set_floatx", "scatter_add", "to_numpy", "np",
    "default_rng", "make_rng", "set_seed",
]

_FLOATX = ["float32"]
ALLOCATOR_TUNED = tune_allocator()


def xp_of(*arrays):
    """Return the array module (``numpy`` or ``cupy``) that owns the given arrays."""
    if "cupy" not in sys.modules:  # no CuPy array can exist before cupy is imported
        return np
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            return sys.modules["cupy"]
    return np


def floatx():
    """Return the default float dtype name used for weights and inputs (``'float32'``)."""
    return _FLOATX[0]


def set_floatx(dtype):
    """Set the default float dtype (``'float16'``, ``'float32'`` or ``'float64'``)."""
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {dtype!r}; expected 'float16', 'float32' or 'float64'.")
    _FLOATX[0] = dtype


def scatter_add(target, indices, values):
    """Add ``values`` into ``target[indices]`` in place, accumulating repeated indices."""
    xp = xp_of(target)
    if xp is np:
        np.add.at(target, indices, values)
    else:  # pragma: no cover - needs a GPU
        import cupyx

        cupyx.scatter_add(target, indices, values)
    return target


def to_numpy(a):
    """Return ``a`` as a NumPy array (copying from the GPU when needed)."""
    if type(a).__module__.startswith("cupy"):  # pragma: no cover - needs a GPU
        return a.get()
    return np.asarray(a)
