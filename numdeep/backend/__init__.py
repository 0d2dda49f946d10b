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

import contextlib
import sys

import numpy as np

from numdeep.backend import config
from numdeep.backend.allocator import tune_allocator
from numdeep.backend.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    standardize_data_format,
)
from numdeep.backend.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype
from numdeep.backend.kernels import scatter
from numdeep.backend.naming import (
    clear_session,
    current_path,
    name_scope,
    unique_name,
)
from numdeep.backend.random import default_rng, make_rng, set_seed

__all__ = [
    "xp_of", "floatx", "set_floatx", "scatter_add", "to_numpy", "np", "default_rng",
    "make_rng", "set_seed", "config", "backend", "epsilon", "set_epsilon", "image_data_format",
    "set_image_data_format", "standardize_data_format", "standardize_dtype", "is_float_dtype",
    "is_int_dtype", "result_type", "name_scope", "current_path", "unique_name", "clear_session",
    "SUPPORTS_SPARSE_TENSORS", "SUPPORTS_RAGGED_TENSORS", "SUPPORTS_COMPLEX_DTYPES",
    "get_keras_mask", "device", "standardize_shape", "set_keras_mask",
]

# Keras's backend capability flags: numdeep's arrays are dense; complex dtypes are NumPy's.
SUPPORTS_SPARSE_TENSORS = False
SUPPORTS_RAGGED_TENSORS = False
SUPPORTS_COMPLEX_DTYPES = True
ALLOCATOR_TUNED = tune_allocator()


def standardize_shape(shape):
    """``shape`` as a tuple of non-negative ints and ``None`` (unknown sizes), checked.

    Example:
        >>> from numdeep.backend import standardize_shape
        >>> standardize_shape([None, 3])
        (None, 3)
    """
    if shape is None:
        raise ValueError("Undefined shapes are not supported.")
    if not hasattr(shape, "__iter__"):
        raise ValueError(f"Cannot convert '{shape}' to a shape.")
    out = []
    for d in shape:
        if d is None:
            out.append(None)
            continue
        if isinstance(d, str | float):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension "
                             f"'{d}' of type '{type(d)}'. ")
        try:
            d = int(d)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension "
                             f"'{d}' of type '{type(d)}'. ") from e
        if d < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not "
                             f"allowed.")
        out.append(d)
    return tuple(out)


@contextlib.contextmanager
def device(device_name):
    """Keras's ``backend.device`` scope. numdeep runs where its arrays live (NumPy on the CPU,
    CuPy on a GPU), so ``"cpu"`` changes nothing and a GPU must be chosen by its arrays.

    Example:
        >>> from numdeep import backend
        >>> with backend.device("cpu"):
        ...     pass
    """
    kind = str(device_name).lower().split(":")[0]
    if kind != "cpu":
        raise ValueError(f"numdeep places computations by their arrays (CuPy arrays run on the "
                         f"GPU), not by a device scope; received device_name={device_name!r}. "
                         f"Use 'cpu', or move the model's arrays to CuPy.")
    yield


def xp_of(*arrays):
    """Return the array module (``numpy`` or ``cupy``) that owns the given arrays."""
    if "cupy" not in sys.modules:  # no CuPy array can exist before cupy is imported
        return np
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            return sys.modules["cupy"]
    return np


def get_keras_mask(x):
    """The padding mask a tensor carries (``None`` when it has none)."""
    return getattr(x, "_keras_mask", None)


def set_keras_mask(x, mask):
    """Attach a padding mask to a tensor (Keras's ``backend.set_keras_mask``)."""
    x._keras_mask = mask


def scatter_add(target, indices, values, zeroed=False):
    """Add ``values`` into ``target[indices]`` in place, accumulating repeated indices
    (``zeroed``: ``target`` is known to hold only zeros, which saves work)."""
    xp = xp_of(target)
    rows = indices[0] if type(indices) is tuple and len(indices) == 1 else indices
    if (xp is np and type(rows) is np.ndarray and rows.dtype.kind in "iu"
            and type(values) is np.ndarray and values.dtype == target.dtype
            and values.shape == rows.shape + target.shape[1:] and target.flags.c_contiguous
            and values.size >= scatter.MIN_SIZE):
        scatter.scatter_add_rows(target, rows, values, zeroed)  # np.add.at's rows: 8x slower
    elif xp is np:
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
