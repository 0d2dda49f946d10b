"""Array creation of ``keras.ops.numpy``: constants and ``*_like`` copies, ranges, identity
and triangle matrices, window functions, ``vander``.

Results default to ``floatx()`` (ranges: the promoted dtype of their bounds, as in Keras).

Example:
    >>> import numdeep as nd
    >>> nd.ops.ones((2,)).dtype, nd.ops.arange(3).dtype, nd.ops.linspace(0, 1, 3).numpy()
    (dtype('float32'), dtype('int32'), array([0. , 0.5, 1. ], dtype=float32))
"""

import numpy as np

from numdeep.autograd.primitives import Mul, Pow
from numdeep.backend import config, standardize_dtype, to_numpy
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, convert_to_tensor, dtype_name, plain, to_dtype

__all__ = [
    "ones", "zeros", "full", "empty", "ones_like", "zeros_like", "full_like", "empty_like",
    "eye", "identity", "tri", "arange", "linspace", "logspace", "geomspace", "array",
    "bartlett", "blackman", "hamming", "hanning", "kaiser", "vander",
]


def _dtype(dtype):
    return standardize_dtype(dtype) if dtype is not None else config.floatx()


def _shape(shape):
    if isinstance(shape, int) or np.ndim(_data(shape) if hasattr(shape, "data") else shape) == 0:
        return (int(_data(shape) if hasattr(shape, "data") else shape),)
    return tuple(int(s) for s in (to_numpy(shape.data).tolist() if hasattr(shape, "data")
                                  else shape))


def ones(shape, dtype=None):
    """A tensor of ones (``floatx()`` unless ``dtype`` is given)."""
    return plain(np.ones(_shape(shape), dtype=_dtype(dtype)))


def zeros(shape, dtype=None):
    """A tensor of zeros."""
    return plain(np.zeros(_shape(shape), dtype=_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (which may itself broadcast)."""
    return plain(np.full(_shape(shape), to_numpy(_data(fill_value)), dtype=_dtype(dtype)))


def empty(shape, dtype=None):
    """An uninitialised tensor (zeros in numdeep)."""
    return zeros(shape, dtype)


def _like_dtype(x, dtype):
    return standardize_dtype(dtype) if dtype is not None else standardize_dtype(
        convert_to_tensor(x).dtype)


def ones_like(x, dtype=None):
    """Ones in the shape (and dtype, unless given) of ``x``."""
    return plain(np.ones(np.shape(_data(x)), dtype=_like_dtype(x, dtype)))


def zeros_like(x, dtype=None):
    """Zeros in the shape (and dtype, unless given) of ``x``."""
    return plain(np.zeros(np.shape(_data(x)), dtype=_like_dtype(x, dtype)))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in the shape (and dtype, unless given) of ``x``."""
    return plain(np.full(np.shape(_data(x)), to_numpy(_data(fill_value)),
                         dtype=_like_dtype(x, dtype)))


def empty_like(x, dtype=None):
    """An uninitialised tensor like ``x`` (zeros in numdeep)."""
    return zeros_like(x, dtype)


def _int(value, name):
    if isinstance(value, int | np.integer):
        return int(value)
    data = np.asarray(_data(value) if hasattr(value, "data") else value)
    if data.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must be an integer. Received: {name}={value}")
    return int(data)


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 (NumPy's argument names)
    """An ``N x M`` matrix with ones on the ``k``-th diagonal."""
    return plain(np.eye(_int(N, "N"), None if M is None else _int(M, "M"), k=_int(k, "k"),
                        dtype=_dtype(dtype)))


def identity(n, dtype=None):
    """The ``n x n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    """An ``N x M`` matrix with ones at and below the ``k``-th diagonal."""
    return plain(np.tri(int(N), None if M is None else int(M), k=int(k), dtype=_dtype(dtype)))


def _bound_dtype(*values, extra=()):
    names = [dtype_name(v) if not hasattr(v, "shape") or hasattr(v, "dtype") else
             dtype_name(convert_to_tensor(v)) for v in values if v is not None]
    return result_type(*names, *extra)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` counts from 0.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.arange(1, 2, 0.25).numpy()
        array([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    dtype = standardize_dtype(dtype) if dtype is not None else _bound_dtype(start, stop, step)
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = [to_numpy(_data(v)).item() if hasattr(v, "shape") else v for v in (start, stop, step)]
    return plain(np.arange(*values, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (and the step with
    ``retstep``)."""
    dtype = standardize_dtype(dtype) if dtype is not None else _bound_dtype(start, stop,
                                                                           extra=(float,))
    out = np.linspace(to_numpy(_data(start)), to_numpy(_data(stop)), num=int(num),
                      endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return plain(out[0], dtype), plain(np.asarray(out[1]), dtype)
    return plain(out, dtype)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    dtype = standardize_dtype(dtype) if dtype is not None else _bound_dtype(start, stop,
                                                                           extra=(float,))
    out = np.logspace(to_numpy(_data(start)), to_numpy(_data(stop)), num=int(num),
                      endpoint=endpoint, base=to_numpy(_data(base)), axis=axis)
    return plain(out, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values from ``start`` to ``stop`` spaced evenly on a log scale."""
    out = np.geomspace(to_numpy(_data(start)), to_numpy(_data(stop)), num=int(num),
                       endpoint=endpoint, axis=axis)
    return plain(out, _dtype(dtype))


def array(x, dtype=None):
    """``x`` as a tensor (``convert_to_tensor``)."""
    return convert_to_tensor(x, dtype=dtype)


def _window(fn, x, *args):
    return plain(fn(int(to_numpy(_data(x))), *args), config.floatx())


def bartlett(x):
    """The Bartlett (triangular) window of ``x`` points."""
    return _window(np.bartlett, x)


def blackman(x):
    """The Blackman window of ``x`` points."""
    return _window(np.blackman, x)


def hamming(x):
    """The Hamming window of ``x`` points."""
    return _window(np.hamming, x)


def hanning(x):
    """The Hann window of ``x`` points."""
    return _window(np.hanning, x)


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    return _window(np.kaiser, x, float(to_numpy(_data(beta))))


def vander(x, N=None, increasing=False):  # noqa: N803
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x`` (decreasing unless
    ``increasing``); differentiable in ``x``."""
    x = convert_to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: `x` must be 1-D. Received: x.shape={x.shape}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError(f"vander: `N` must be non-negative. Received: N={N}")
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    compute = result_type(standardize_dtype(x.dtype), config.floatx())
    base = to_dtype(x, compute)
    out = Pow.apply(Mul.apply(base.reshape((-1, 1)), np.ones((1, n), dtype=compute)),
                    powers.astype(compute))
    return to_dtype(out, standardize_dtype(x.dtype))
