"""Padding, cropping and patch extraction of ``keras.ops.image``: ``pad_images``,
``crop_images``, ``extract_patches`` (2-D) and ``extract_patches_3d``.

Patches are gathers (``GetItem`` with integer arrays), so they pass gradients back to the
images, overlapping patches accumulating.

Example:
    >>> import numpy as np
    >>> from numdeep.ops import image
    >>> image.extract_patches(np.ones((1, 4, 4, 3), "float32"), 2).shape
    (1, 2, 2, 12)
"""

import numpy as np

from numdeep.autograd.primitives import GetItem, Reshape, Transpose
from numdeep.backend import standardize_data_format
from numdeep.ops.core import convert_to_tensor

__all__ = ["pad_images", "crop_images", "extract_patches", "extract_patches_3d"]


def _rank(x):
    if x.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch "
                         f"of images). Received: images.shape={x.shape}")


def _exactly_two(names, values):
    if [v is None for v in values].count(True) != 1:
        received = ", ".join(f"{n}={v}" for n, v in zip(names, values))
        raise ValueError(f"Must specify exactly two of {', '.join(names)}. Received: "
                         f"{received}")
    for n, v in zip(names, values):
        if v is not None and v < 0:
            raise ValueError(f"{n} must be >= 0. Received: {n}={v}")


def _spatial_axes(x, data_format):
    last = standardize_data_format(data_format) == "channels_last"
    return (x.ndim - 3, x.ndim - 2) if last else (x.ndim - 2, x.ndim - 1)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad images: give two of each (top, bottom, target height) and (left, right,
    target width); the third follows."""
    from numdeep.ops.numpy_shape import pad

    x = convert_to_tensor(images)
    _rank(x)
    _exactly_two(("top_padding", "bottom_padding", "target_height"),
                 (top_padding, bottom_padding, target_height))
    _exactly_two(("left_padding", "right_padding", "target_width"),
                 (left_padding, right_padding, target_width))
    rows, cols = _spatial_axes(x, data_format)
    h, w = x.shape[rows], x.shape[cols]
    top = target_height - bottom_padding - h if top_padding is None else top_padding
    bottom = target_height - top - h if bottom_padding is None else bottom_padding
    left = target_width - right_padding - w if left_padding is None else left_padding
    right = target_width - left - w if right_padding is None else right_padding
    for name, value in (("top_padding", top), ("bottom_padding", bottom),
                        ("left_padding", left), ("right_padding", right)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    widths = [(0, 0)] * x.ndim
    widths[rows], widths[cols] = (top, bottom), (left, right)
    return pad(x, widths)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images: give two of each (top, bottom, target height) and (left, right, target
    width); the third follows."""
    x = convert_to_tensor(images)
    _rank(x)
    _exactly_two(("top_cropping", "bottom_cropping", "target_height"),
                 (top_cropping, bottom_cropping, target_height))
    _exactly_two(("left_cropping", "right_cropping", "target_width"),
                 (left_cropping, right_cropping, target_width))
    rows, cols = _spatial_axes(x, data_format)
    h, w = x.shape[rows], x.shape[cols]
    top = h - bottom_cropping - target_height if top_cropping is None else top_cropping
    height = h - top - bottom_cropping if target_height is None else target_height
    left = w - right_cropping - target_width if left_cropping is None else left_cropping
    width = w - left - right_cropping if target_width is None else target_width
    for name, value in (("top_cropping", top), ("target_height", height),
                        ("left_cropping", left), ("target_width", width)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    if top + height > h or left + width > w:
        raise ValueError(f"The cropping window exceeds the image of size ({h}, {w}): top={top}, "
                         f"left={left}, height={height}, width={width}.")
    index = [slice(None)] * x.ndim
    index[rows], index[cols] = slice(top, top + height), slice(left, left + width)
    return GetItem.apply(x, index=tuple(index))


def _tuple(value, n, name):
    if isinstance(value, int | np.integer):
        return (int(value),) * n
    if len(value) != n:
        raise TypeError(f"Invalid `{name}` argument. Expected an int or a tuple of length {n}. "
                        f"Received: {name}={value}")
    return tuple(int(v) for v in value)


def _patches(x, size, strides, dilation_rate, padding, data_format, n):
    """Patches of the ``n`` spatial axes of a batched channels-last/first tensor, flattened to
    ``prod(size) * channels`` features (in ``(*size, channels)`` order, as a conv with an
    identity kernel orders them)."""
    from numdeep.ops.numpy_shape import pad

    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding}")
    size = _tuple(size, n, "size")
    strides = size if not strides else _tuple(strides, n, "strides")
    dilation = _tuple(dilation_rate, n, "dilation_rate")
    first = standardize_data_format(data_format) == "channels_first"
    if first:
        x = Transpose.apply(x, axes=(0,) + tuple(range(2, n + 2)) + (1,))
    spatial = x.shape[1:-1]
    reach = [(k - 1) * d + 1 for k, d in zip(size, dilation)]
    if padding == "same":
        outs = [-(-s // st) for s, st in zip(spatial, strides)]
        totals = [max((o - 1) * st + r - s, 0) for o, st, r, s in zip(outs, strides, reach,
                                                                       spatial)]
        x = pad(x, [(0, 0)] + [(t // 2, t - t // 2) for t in totals] + [(0, 0)])
        spatial = x.shape[1:-1]
    outs = [max((s - r) // st + 1, 0) for s, r, st in zip(spatial, reach, strides)]
    # One index array per spatial axis, shaped (*outs, *size) with the axis's own dims filled.
    index = [slice(None)]
    for i in range(n):
        pos = (np.arange(outs[i]) * strides[i])[:, None] + np.arange(size[i])[None, :] \
            * dilation[i]
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = outs[i], size[i]
        index.append(pos.reshape(shape))
    patches = GetItem.apply(x, index=tuple(index))  # (N, *outs, *size, C)
    features = int(np.prod(size)) * x.shape[-1]
    out = Reshape.apply(patches, shape=(x.shape[0], *outs, features))
    if first:
        out = Transpose.apply(out, axes=(0, n + 1) + tuple(range(1, n + 1)))
    return out


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of ``size`` (an int or ``(h, w)``; a 3-tuple dispatches to
    ``extract_patches_3d``) every ``strides`` pixels, flattened into the channel axis."""
    if isinstance(size, str) or not isinstance(size, int | tuple | list):
        raise TypeError(f"Invalid `size` argument. Expected an int or a tuple of length 2 or 3. "
                        f"Received: size={size}")
    if not isinstance(size, int) and len(size) not in (2, 3):
        raise ValueError(f"Invalid `size` argument. Expected a tuple of length 2 or 3. "
                         f"Received: size={size}")
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    x = convert_to_tensor(images)
    _rank(x)
    single = x.ndim == 3
    out = _patches(x.reshape((1,) + x.shape) if single else x, size, strides, dilation_rate,
                   padding, data_format, 2)
    return out.reshape(out.shape[1:]) if single else out


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """Patches of ``size`` (an int or ``(d, h, w)``) of ``(N, D, H, W, C)`` (or unbatched)
    volumes every ``strides`` voxels, flattened into the channel axis."""
    x = convert_to_tensor(volumes)
    if x.ndim not in (4, 5):
        raise ValueError(f"Invalid volumes rank: expected rank 4 (single volume) or rank 5 "
                         f"(batch of volumes). Received: volumes.shape={x.shape}")
    if strides is not None and not isinstance(strides, int) and len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    single = x.ndim == 4
    out = _patches(x.reshape((1,) + x.shape) if single else x, size, strides, dilation_rate,
                   padding, data_format, 3)
    return out.reshape(out.shape[1:]) if single else out


def _crop_spec(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
               right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Output shape of ``crop_images`` on symbolic images whose height or width may be unknown:
    a given target size is the answer; without one the size cannot be known."""
    from numdeep.ops.symbolic import KerasTensor

    shape = list(images.shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch "
                         f"of images). Received: images.shape={tuple(shape)}")
    _exactly_two(("top_cropping", "bottom_cropping", "target_height"),
                 (top_cropping, bottom_cropping, target_height))
    _exactly_two(("left_cropping", "right_cropping", "target_width"),
                 (left_cropping, right_cropping, target_width))
    rows = len(shape) - (3 if standardize_data_format(data_format) == "channels_last" else 2)
    if None not in (shape[rows], shape[rows + 1]):
        return None  # known sizes: the dummy run checks everything
    for axis, target, what in ((rows, target_height, "height"), (rows + 1, target_width,
                                                                  "width")):
        if shape[axis] is None:
            if target is None:
                raise ValueError(f"When the {what} of the images is unknown, `target_{what}` "
                                 f"must be specified. Received images.shape={tuple(shape)}")
            shape[axis] = target
        elif target is not None:
            shape[axis] = target
    return KerasTensor(tuple(shape), dtype=images.dtype)


crop_images.symbolic_spec = _crop_spec
