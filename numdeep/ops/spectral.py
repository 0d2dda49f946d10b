"""Fourier transforms of ``keras.ops.math``: ``fft``, ``fft2``, ``ifft2``, ``rfft``, ``irfft``,
``stft``, ``istft``.

Complex values travel as ``(real, imag)`` pairs of float Tensors, as in Keras. Each transform is
a product with cosine and sine (DFT) matrices built in float64 and cast to the input's dtype,
so every one is differentiable through ``matmul``; the cost is quadratic in the transformed
length, fine for the signal lengths these ops see in models.

Example:
    >>> import numdeep as nd
    >>> real, imag = nd.ops.rfft(nd.Tensor([1.0, 0.0, 0.0, 0.0]))
    >>> real.numpy(), imag.numpy()
    (array([1., 1., 1.], dtype=float32), array([0., 0., 0.], dtype=float32))
"""

import numpy as np

from numdeep.autograd.primitives import Add, GetItem, MatMul, Mul, Sub
from numdeep.backend import to_numpy
from numdeep.ops.core import _data, as_float, convert_to_tensor, promote
from numdeep.ops.numpy_shape import pad, swapaxes

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"]


def _rank(shape, rank):
    if len(shape) < rank:
        raise ValueError(f"Input should have rank >= {rank}. Received: input.shape = {shape}")


def _pair(x, rank=1):
    if not isinstance(x, list | tuple) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. "
                         f"Received: x={x}")
    real, imag = convert_to_tensor(x[0]), convert_to_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. Both "
                         f"the real and imaginary parts should have the same shape. Received: "
                         f"x[0].shape = {real.shape}, x[1].shape = {imag.shape}")
    _rank(real.shape, rank)
    if real.dtype.kind != "f" or imag.dtype.kind != "f":
        raise ValueError(f"At least one tensor in input `x` is not of type float. Received: "
                         f"x={x}.")
    return promote(real, imag)


def _dft(n_in, n_out, dtype, inverse=False, step=1.0):
    """``cos`` and ``sin`` of ``2 pi j k / n`` for ``j < n_in`` and ``k < n_out``."""
    angle = 2 * np.pi * np.outer(np.arange(n_in), np.arange(n_out)) / step
    return np.cos(angle).astype(dtype), np.sin(angle).astype(dtype)


def _complex_matmul(real, imag, cos, sin, sign):
    """``(real + i imag) @ (cos + i sign sin)`` as a pair."""
    out_r = Sub.apply(MatMul.apply(real, cos), Mul.apply(MatMul.apply(imag, sin), sign))
    out_i = Add.apply(MatMul.apply(imag, cos), Mul.apply(MatMul.apply(real, sin), sign))
    return out_r, out_i


def fft(x):
    """Discrete Fourier transform along the last axis of ``(real, imag)``."""
    real, imag = _pair(x)
    n = real.shape[-1]
    cos, sin = _dft(n, n, real.dtype, step=n)
    return _complex_matmul(real, imag, cos, sin, -1.0)


def _ifft(real, imag):
    n = real.shape[-1]
    cos, sin = _dft(n, n, real.dtype, step=n)
    out_r, out_i = _complex_matmul(real, imag, cos, sin, 1.0)
    return Mul.apply(out_r, 1.0 / n), Mul.apply(out_i, 1.0 / n)


def fft2(x):
    """2-D discrete Fourier transform over the last two axes of ``(real, imag)``."""
    real, imag = fft(_pair(x, rank=2))
    real, imag = fft((swapaxes(real, -1, -2), swapaxes(imag, -1, -2)))
    return swapaxes(real, -1, -2), swapaxes(imag, -1, -2)


def ifft2(x):
    """Inverse 2-D discrete Fourier transform over the last two axes of ``(real, imag)``."""
    real, imag = _ifft(*_pair(x, rank=2))
    real, imag = _ifft(swapaxes(real, -1, -2), swapaxes(imag, -1, -2))
    return swapaxes(real, -1, -2), swapaxes(imag, -1, -2)


def _fit(x, n):
    """``x`` cut or zero-padded to length ``n`` along the last axis."""
    if x.shape[-1] >= n:
        return GetItem.apply(x, index=(Ellipsis, slice(0, n)))
    return pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])])


def rfft(x, fft_length=None):
    """Fourier transform of a real signal along the last axis: the ``n // 2 + 1``
    non-negative frequencies as ``(real, imag)``."""
    x = as_float(x)
    _rank(x.shape, 1)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    x = _fit(x, n)
    cos, sin = _dft(n, n // 2 + 1, x.dtype, step=n)
    return MatMul.apply(x, cos), Mul.apply(MatMul.apply(x, sin), -1.0)


def irfft(x, fft_length=None):
    """The real signal whose ``rfft`` is ``(real, imag)``, of length ``fft_length`` (default
    ``2 * (bins - 1)``)."""
    real, imag = _pair(x)
    n = 2 * (real.shape[-1] - 1) if fft_length is None else int(fft_length)
    bins = n // 2 + 1
    real, imag = _fit(real, bins), _fit(imag, bins)
    # Hermitian symmetry: the bins between 0 and n / 2 stand for two, the ends for one.
    weight = np.full(bins, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    cos, sin = _dft(bins, n, "float64", step=n)
    cos = (cos * weight[:, None] / n).astype(real.dtype)
    sin = (sin * weight[:, None] / n).astype(real.dtype)
    return Sub.apply(MatMul.apply(real, cos), MatMul.apply(imag, sin))


def _window(window, length, dtype):
    if window is None:
        return np.ones(length, dtype=dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, '
                             f'`"hamming"`. Received: window={window}')
        # Periodic windows (scipy's get_window default, for spectral analysis).
        a = 0.5 if window == "hann" else 0.54
        return (a - (1 - a) * np.cos(2 * np.pi * np.arange(length) / length)).astype(dtype)
    win = to_numpy(_data(window)).astype(dtype)
    if win.ndim != 1 or win.shape[-1] != length:
        raise ValueError(f"The shape of `window` must be equal to [sequence_length]. Received: "
                         f"window shape={win.shape}")
    return win


def _padded_window(window, sequence_length, fft_length, dtype):
    left = (fft_length - sequence_length) // 2
    win = _window(window, sequence_length, dtype)
    return np.pad(win, (left, fft_length - sequence_length - left))


def _stride(sequence_stride):
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int | np.integer) \
            or sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be a positive integer. Received: "
                         f"sequence_stride={sequence_stride}")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis: ``(real, imag)`` of shape
    ``(..., frames, fft_length // 2 + 1)``."""
    _stride(sequence_stride)
    x = convert_to_tensor(x)
    if x.dtype.name not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input "
                        f"type={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(f"`fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    win = _padded_window(window, sequence_length, fft_length, x.dtype)
    if center:
        x = pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)],
                mode="reflect")
    count = max(0, (x.shape[-1] - fft_length) // sequence_stride + 1)
    index = np.arange(count)[:, None] * sequence_stride + np.arange(fft_length)[None, :]
    frames = Mul.apply(GetItem.apply(x, index=(Ellipsis, index)), win)
    return rfft(frames, fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of ``stft``: overlap-added inverse transforms of the windowed frames (each
    window normalized by the stride-periodic sum of squared windows)."""
    _stride(sequence_stride)
    real, imag = _pair(x, rank=2)
    frames = irfft((real, imag), fft_length)
    if window is not None:
        # Each frame's window is divided by the stride-periodic sum of squared windows (the
        # steady-state overlap), as librosa and Keras's reference do.
        win = _padded_window(window, sequence_length, fft_length, np.float64)
        overlaps = -(-fft_length // sequence_stride)
        denom = np.pad(win**2, (0, overlaps * sequence_stride - fft_length))
        denom = np.tile(denom.reshape(overlaps, sequence_stride).sum(0), overlaps)[:fft_length]
        frames = Mul.apply(frames, (win / np.where(denom == 0, 1, denom)).astype(real.dtype))
    count = frames.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    index = (np.arange(count)[:, None] * sequence_stride + np.arange(fft_length)[None, :])
    # Overlap-add as a product with a 0/1 placement matrix: (frames * fft) x total.
    place = np.zeros((count * fft_length, total), dtype=real.dtype)
    place[np.arange(count * fft_length), index.reshape(-1)] = 1
    flat = frames.reshape(frames.shape[:-2] + (count * fft_length,))
    signal = MatMul.apply(flat, place)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return GetItem.apply(signal, index=(Ellipsis, slice(start, end)))


def _known_axes(count, message):
    def spec(x, *args, **kwargs):
        from numdeep.ops.symbolic import KerasTensor

        for part in (x if isinstance(x, list | tuple) else [x]):
            if isinstance(part, KerasTensor) and None in part.shape[-count:]:
                raise ValueError(f"Input should have its {message} fully-defined. Received: "
                                 f"input.shape = {part.shape}")
        return None

    return spec


# rfft and irfft accept an unknown last size (their output size is then unknown too, as in
# Keras); fft needs it.
fft.symbolic_spec = _known_axes(1, "last dimension")
fft2.symbolic_spec = ifft2.symbolic_spec = _known_axes(2, "last 2 axes")
