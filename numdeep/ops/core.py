"""Conversion between user data and Tensors, shared by every ``numdeep.ops`` family.

Inputs may be Tensors, arrays, lists or Python scalars; Python scalars stay weakly typed, so
``multiply(x32, 2.0)`` stays float32.
"""

from numdeep.autograd.tensor import Tensor
from numdeep.backend import standardize_dtype, to_numpy, xp_of

__all__ = [
    "as_tensor", "convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "cast",
]


def as_tensor(x, dtype=None):
    """Return ``x`` as a Tensor: Tensors pass through (cast when ``dtype`` differs).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.as_tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return Tensor(x, dtype=dtype)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _operand(x):
    # Arrays and Python scalars go to the primitive as they are (no gradient, weak scalar
    # typing); lists and other array-likes become Tensors so they get floatx() like any input.
    if isinstance(x, Tensor | int | float) or hasattr(x, "dtype"):
        return x
    return Tensor(x)


def _binary(cls, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return cls.apply(_operand(a), _operand(b))


def _mask(x, cond):
    """A boolean array as a constant of ``x``'s float dtype (for masks that multiply)."""
    return cond.astype(x.dtype)


def _data(x):
    if isinstance(x, Tensor):
        return x.data
    return xp_of(x).asarray(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a Tensor (Keras's name for ``as_tensor``)."""
    return as_tensor(x, dtype=None if dtype is None else standardize_dtype(dtype))


def convert_to_numpy(x):
    """``x`` as a NumPy array (copied from the GPU when needed)."""
    return to_numpy(x.data if isinstance(x, Tensor) else x)


def is_tensor(x):
    """Whether ``x`` is a numdeep Tensor (a Variable is one too)."""
    return isinstance(x, Tensor)


def shape(x):
    """The shape of ``x`` as a tuple (``None`` for unknown sizes of symbolic tensors)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(xp_of(x).shape(x))


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float dtypes)."""
    return _t(x).astype(standardize_dtype(dtype))
