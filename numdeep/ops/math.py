"""Special functions and numerically careful reductions (``keras.ops.math``): ``erf`` and its
kin, ``logsumexp``, ``top_k``, segment reductions, distances, framing and Fourier transforms.

Fourier transforms take and return ``(real, imag)`` pairs, as Keras's do; ``fft``/``rfft`` and
their inverses are linear maps written as products with DFT matrices, so they are
differentiable like everything else.

Example:
    >>> import numdeep as nd
    >>> float(nd.ops.logsumexp(nd.Tensor([1000.0, 1000.0])).data)
    1000.6931...
"""

import numpy as np

from numdeep.autograd.primitives import Erf, Erfinv, GetItem, LogSumExp, Scatter, Sqrt, Sub
from numdeep.backend import to_numpy
from numdeep.ops.core import _data, as_float, convert_to_tensor, plain
from numdeep.ops.linalg import logdet
from numdeep.ops.numpy_index import take_along_axis
from numdeep.ops.numpy_math import divide, multiply
from numdeep.ops.numpy_reduce import sum as _sum
from numdeep.ops.spectral import fft, fft2, ifft2, irfft, istft, rfft, stft

__all__ = [
    "erf", "erfc", "erfinv", "logsumexp", "rsqrt", "top_k", "in_top_k", "segment_sum",
    "segment_max", "segment_min", "segment_prod", "cdist", "extract_sequences", "logdet",
    "fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "view_as_complex",
    "view_as_real",
]


def erf(x):
    """Gauss error function (accurate to ~1e-15 in float64).

    Example:
        >>> import numdeep as nd
        >>> round(float(nd.ops.erf(nd.Tensor([1.0])).data[0]), 6)
        0.842701
    """
    return Erf.apply(as_float(x))


def erfc(x):
    """Complementary error function ``1 - erf(x)``."""
    return Sub.apply(1.0, erf(x))


def erfinv(x):
    """Inverse error function on ``(-1, 1)``."""
    return Erfinv.apply(as_float(x))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` computed without overflow."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return LogSumExp.apply(as_float(x), axis=axis, keepdims=keepdims)


def rsqrt(x):
    """``1 / sqrt(x)``."""
    x = as_float(x)
    return divide(x.dtype.type(1), Sqrt.apply(x))


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their int32 indices (largest first;
    ties keep the earlier index first).

    Example:
        >>> import numdeep as nd
        >>> values, indices = nd.ops.top_k([5, 2, 7, 1, 9, 3], k=3)
        >>> values.numpy(), indices.numpy()
        (array([9, 7, 5], dtype=int32), array([4, 2, 0], dtype=int32))
    """
    x = convert_to_tensor(x)
    k = int(k)
    if not 0 <= k <= (x.shape[-1] if x.ndim else 1):
        raise ValueError(f"top_k: `k` must be in [0, {x.shape[-1] if x.ndim else 1}]. "
                         f"Received: k={k}")
    order = np.argsort(-to_numpy(x.data).astype(np.float64), axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, -1), plain(order, "int32")


def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions of its row."""
    preds = to_numpy(_data(predictions))
    targets = to_numpy(_data(targets)).astype(np.int64)
    if preds.ndim != 2 or targets.shape != preds.shape[:1]:
        raise ValueError(f"in_top_k: `predictions` must be 2-D and `targets` 1-D with one entry "
                         f"per row. Received shapes {preds.shape} and {targets.shape}.")
    target_values = np.take_along_axis(preds, targets[:, None], axis=-1)
    kth = -np.sort(-preds, axis=-1)[:, k - 1:k] if k > 0 else np.full_like(target_values,
                                                                             np.inf)
    return plain((target_values >= kth)[:, 0])


def _segments(data, segment_ids, num_segments, sorted, name):
    data = convert_to_tensor(data)
    ids = to_numpy(_data(segment_ids))
    if ids.ndim != 1:
        raise ValueError(f"Argument `segment_ids` should be an 1-D vector, got shape: "
                         f"{ids.shape}")
    if data.ndim < 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"Argument `segment_ids` and `data` should have same leading "
                         f"dimension. Got {ids.shape} v.s. {data.shape}")
    if ids.dtype.kind not in "iu":
        raise ValueError(f"{name}: `segment_ids` must be integers; received {ids.dtype}.")
    if sorted and ids.size and np.any(np.diff(ids[ids >= 0]) < 0):
        raise ValueError(f"{name}: `sorted=True` but `segment_ids` are not sorted.")
    n = int(num_segments) if num_segments is not None else (int(ids.max()) + 1 if ids.size
                                                             else 0)
    keep = (ids >= 0) & (ids < n)
    return data, ids, keep, n


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums of the rows of ``data`` grouped by ``segment_ids`` (negative ids are dropped).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.segment_sum([1.0, 2.0, 3.0], [0, 0, 1]).numpy()
        array([3., 3.], dtype=float32)
    """
    data, ids, keep, n = _segments(data, segment_ids, num_segments, sorted, "segment_sum")
    rows = GetItem.apply(data, index=np.nonzero(keep)[0])
    return Scatter.apply(rows, index=(ids[keep],), shape=(n,) + data.shape[1:])


def _segment_extremum(data, segment_ids, num_segments, sorted, ufunc, fill, name):
    data, ids, keep, n = _segments(data, segment_ids, num_segments, sorted, name)
    values = to_numpy(data.data)
    out = np.full((n,) + data.shape[1:], fill, dtype=np.float64 if data.dtype.kind == "f"
                  else data.dtype)
    if data.dtype.kind != "f":
        info = np.iinfo(data.dtype)
        out[...] = info.min if fill < 0 else info.max
    ufunc.at(out, ids[keep], values[keep])
    out = out.astype(data.dtype)
    # The winners take the gradient: gather each segment's result back and compare.
    picked = GetItem.apply(data, index=np.nonzero(keep)[0])
    win = to_numpy(picked.data) == out[ids[keep]]
    contrib = Scatter.apply(multiply(picked, win.astype(data.dtype)), index=(ids[keep],),
                            shape=out.shape)
    count = np.zeros(out.shape, dtype=np.float64)
    np.add.at(count, ids[keep], win)
    if data.dtype.kind != "f":
        return plain(out)
    base = np.where(count > 0, 0, out).astype(data.dtype)
    return divide(contrib, np.maximum(count, 1).astype(data.dtype)) + base


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maxima of the rows of ``data`` grouped by ``segment_ids`` (``-inf`` for empty ones)."""
    return _segment_extremum(data, segment_ids, num_segments, sorted, np.maximum, -np.inf,
                             "segment_max")


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minima of the rows of ``data`` grouped by ``segment_ids`` (``inf`` for empty ones)."""
    return _segment_extremum(data, segment_ids, num_segments, sorted, np.minimum, np.inf,
                             "segment_min")


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Products of the rows of ``data`` grouped by ``segment_ids`` (1 for empty ones)."""
    data, ids, keep, n = _segments(data, segment_ids, num_segments, sorted, "segment_prod")
    out = np.ones((n,) + data.shape[1:], dtype=data.dtype)
    np.multiply.at(out, ids[keep], to_numpy(data.data)[keep])
    return plain(out)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` and of ``y`` (batched over leading
    axes)."""
    a, b = as_float(x), as_float(y)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"`cdist` inputs must have rank >= 2. Received shapes {a.shape} and "
                         f"{b.shape}.")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"Last dimension of inputs to `cdist` must match. Received shapes "
                         f"{a.shape} and {b.shape}.")
    diff = a.reshape(a.shape[:-1] + (1, a.shape[-1])) - b.reshape(
        b.shape[:-2] + (1,) + b.shape[-2:])
    return Sqrt.apply(_sum(diff * diff, axis=-1))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` along the last axis, every ``sequence_stride`` samples:
    shape ``(..., num_frames, sequence_length)``.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.extract_sequences(nd.ops.arange(5), 3, 2).numpy()
        array([[0, 1, 2],
               [2, 3, 4]], dtype=int32)
    """
    x = convert_to_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {x.shape}")
    n = x.shape[-1]
    count = max(0, (n - sequence_length) // sequence_stride + 1)
    index = np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return GetItem.apply(x, index=(Ellipsis, index))


def view_as_complex(x):
    """A complex tensor from a real one whose last axis (of size 2) holds real and imaginary
    parts (no gradient)."""
    x = convert_to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). "
                         f"Received shape: {x.shape}")
    data = to_numpy(x.data).astype(np.complex64)
    return plain(data[..., 0] + 1j * data[..., 1])


def view_as_real(x):
    """A real tensor with a last axis of size 2 holding the real and imaginary parts."""
    x = convert_to_tensor(x)
    if x.dtype.kind != "c":
        raise ValueError(f"Input must be a complex tensor. Received dtype: {x.dtype}")
    data = to_numpy(x.data)
    return plain(np.stack([data.real, data.imag], axis=-1))


def _segment_spec(data, segment_ids, num_segments=None, sorted=False):
    from numdeep.ops.symbolic import KerasTensor

    if num_segments is None:  # the number of segments is the largest id: a value
        return KerasTensor((None,) + tuple(data.shape[1:]), dtype=data.dtype)
    return None


for _fn in (segment_sum, segment_max, segment_min, segment_prod):
    _fn.symbolic_spec = _segment_spec
