"""Dtype names as Keras spells them (``'float32'``, ``'int64'``, ``'bool'``), from any NumPy,
Python or string form.

Example:
    >>> import numpy as np
    >>> from numdeep.backend.dtypes import standardize_dtype
    >>> standardize_dtype(np.float32), standardize_dtype(int), standardize_dtype(None)
    ('float32', 'int64', 'float32')
"""

import numpy as np

from numdeep.backend import config

# Keras's dtype families (``keras.src.backend.common.dtypes``).
BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")

_PYTHON = {int: "int64", float: "float32", bool: "bool", complex: "complex64", str: "string"}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int64",
            "uint": "uint64", "str": "string"}


def standardize_dtype(dtype):
    """The Keras name of ``dtype`` (``None`` gives ``floatx()``)."""
    if dtype is None:
        return config.floatx()
    if dtype in _PYTHON:
        return _PYTHON[dtype]
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
        if name in ("string", "bfloat16"):
            return name
        dtype = name
    else:
        text = str(dtype)
        if text.startswith("torch."):  # a torch dtype, as Keras accepts on its torch backend
            dtype = text[len("torch."):]
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None
    if name.startswith("str") or name.startswith("<U") or name == "object":
        return "string"
    return name


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point dtype."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether ``dtype`` is a (signed or unsigned) integer dtype."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


# Keras's promotion rules (a lattice with weak Python scalars, as JAX's) live in ``promotion``.
from numdeep.backend.promotion import (  # noqa: E402, F401 - re-exported
    ALLOWED_DTYPES,
    COMPLEX_TYPES,
    FLOAT8_TYPES,
    result_type,
)
