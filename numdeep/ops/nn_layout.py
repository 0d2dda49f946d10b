"""Encodings and layout changes of ``keras.ops.nn``: ``one_hot``/``multi_hot``,
``depth_to_space``/``space_to_depth``, ``unfold``/``fold`` (im2col and col2im on NCHW images)
and ``polar``.

The layout changes are reshapes and transposes, and ``unfold``/``fold`` gathers and
scatter-adds, so all of them pass gradients.

Example:
    >>> import numdeep as nd
    >>> nd.ops.depth_to_space(nd.ops.arange(4.0).reshape((1, 1, 1, 4)), 2)[0, ..., 0].numpy()
    array([[0., 1.],
           [2., 3.]], dtype=float32)
"""

import numpy as np

from numdeep.autograd.primitives import GetItem, Reshape, Scatter, Transpose
from numdeep.backend import floatx, standardize_data_format, standardize_dtype, to_numpy, xp_of
from numdeep.ops.core import _data, as_float, convert_to_tensor, plain
from numdeep.ops.symbolic import KerasTensor

__all__ = ["one_hot", "multi_hot", "depth_to_space", "space_to_depth", "unfold", "fold", "polar"]


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer labels ``x`` into a new axis ``axis`` (a plain array, no
    gradient); negative labels (padding) give all-zero rows.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.one_hot([0, 2, -1], 3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 0., 0.]], dtype=float32)
    """
    if sparse:
        raise ValueError("numdeep tensors are dense: `sparse=True` is not supported.")
    labels = _data(x)
    xp = xp_of(labels)
    if labels.size and int(labels.max()) >= num_classes:
        raise ValueError(f"one_hot: labels must be below num_classes={num_classes}; received "
                         f"values up to {int(labels.max())}.")
    classes = xp.arange(num_classes)
    out = (labels[..., None] == classes).astype(standardize_dtype(dtype) if dtype else floatx())
    return out if axis in (-1, out.ndim - 1) else xp.moveaxis(out, -1, axis)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encode: ``one_hot`` of each row of integer labels, reduced with ``max`` over
    the row (a 1-D input is one row)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs:
        raise TypeError(f"multi_hot got unexpected arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    labels = to_numpy(_data(inputs)).astype(np.int64)
    hot = one_hot(labels, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return hot.max(axis=1 if labels.ndim > 1 else 0)


def _spatial(x, data_format):
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: x.shape={x.shape}")
    return x, standardize_data_format(data_format) == "channels_last"


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move ``block_size**2`` groups of channels into ``block_size x block_size`` spatial
    blocks (pixel shuffle)."""
    x, last = _spatial(x, data_format)
    b = _block(block_size)
    if last:
        n, h, w, c = x.shape
        y = Reshape.apply(x, shape=(n, h, w, b, b, c // (b * b)))
        y = Transpose.apply(y, axes=(0, 1, 3, 2, 4, 5))
        return Reshape.apply(y, shape=(n, h * b, w * b, c // (b * b)))
    n, c, h, w = x.shape
    y = Reshape.apply(x, shape=(n, c // (b * b), b, b, h, w))
    y = Transpose.apply(y, axes=(0, 1, 4, 2, 5, 3))
    return Reshape.apply(y, shape=(n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """The inverse of ``depth_to_space``: ``block_size x block_size`` spatial blocks become
    channels."""
    x, last = _spatial(x, data_format)
    b = _block(block_size)
    if last:
        n, h, w, c = x.shape
        y = Reshape.apply(x, shape=(n, h // b, b, w // b, b, c))
        y = Transpose.apply(y, axes=(0, 1, 3, 2, 4, 5))
        return Reshape.apply(y, shape=(n, h // b, w // b, c * b * b))
    n, c, h, w = x.shape
    y = Reshape.apply(x, shape=(n, c, h // b, b, w // b, b))
    y = Transpose.apply(y, axes=(0, 1, 3, 5, 2, 4))
    return Reshape.apply(y, shape=(n, c * b * b, h // b, w // b))


def _block(block_size):
    if block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    return int(block_size)


def _pair(v):
    return (int(v), int(v)) if isinstance(v, int | np.integer) else tuple(int(i) for i in v)


def _patch_index(size, k, d, s):
    """Row/column positions of every kernel tap at every output position, ``(k, n)``."""
    n = (size - (k - 1) * d - 1) // s + 1
    return np.arange(k)[:, None] * d + np.arange(n)[None, :] * s, n


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding ``kernel_size`` blocks of an NCHW image as columns: ``(N, C * kh * kw, L)``
    (PyTorch's ``unfold``, im2col)."""
    from numdeep.ops.numpy_shape import pad

    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"Input must be a 4D tensor (N, C, H, W). Received: x.shape={x.shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (kernel_size, dilation, padding,
                                                        stride))
    if ph or pw:
        x = pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    n, c, h, w = x.shape
    rows, oh = _patch_index(h, kh, dh, sh)
    cols, ow = _patch_index(w, kw, dw, sw)
    index = (slice(None), slice(None), rows[:, None, :, None], cols[None, :, None, :])
    patches = GetItem.apply(x, index=index)  # (N, C, kh, kw, oh, ow)
    return Reshape.apply(patches, shape=(n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns ``(N, C * kh * kw, L)`` back into an NCHW image of ``output_size``
    (PyTorch's ``fold``, col2im; overlapping taps add up)."""
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"Input must be a 3D tensor (N, C*kh*kw, L). Received: "
                         f"x.shape={x.shape}")
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(
        _pair, (output_size, kernel_size, dilation, padding, stride))
    n, ckk, _ = x.shape
    c = ckk // (kh * kw)
    rows, nh = _patch_index(oh + 2 * ph, kh, dh, sh)
    cols, nw = _patch_index(ow + 2 * pw, kw, dw, sw)
    blocks = Reshape.apply(x, shape=(n, c, kh, kw, nh, nw))
    # Scatter-add each tap into the padded image, with spatial axes first for Scatter.
    moved = Transpose.apply(blocks, axes=(2, 3, 4, 5, 0, 1))
    index = (np.broadcast_to(rows[:, None, :, None], (kh, kw, nh, nw)),
             np.broadcast_to(cols[None, :, None, :], (kh, kw, nh, nw)))
    image = Scatter.apply(moved, index=index, shape=(oh + 2 * ph, ow + 2 * pw, n, c))
    image = Transpose.apply(image, axes=(2, 3, 0, 1))
    return GetItem.apply(image, index=(Ellipsis, slice(ph, ph + oh), slice(pw, pw + ow)))


def polar(abs_, angle):
    """The complex number with modulus ``abs_`` and argument ``angle`` (no gradient)."""
    r, theta = to_numpy(as_float(abs_).data), to_numpy(as_float(angle).data)
    return plain(r * np.cos(theta) + 1j * r * np.sin(theta))


def _polar_spec(abs_, angle):
    # Keras's Polar.compute_output_spec: ``abs_``'s shape.
    wide = standardize_dtype(getattr(abs_, "dtype", "float32")) == "float64"
    return KerasTensor(tuple(np.shape(abs_)), dtype="complex128" if wide else "complex64")


polar.symbolic_spec = _polar_spec
