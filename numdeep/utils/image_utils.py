"""Image files and arrays with Keras's names: ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img``, ``smart_resize``.

Pillow is the optional ``images`` extra (``pip install "numdeep[images]"``) and is imported only
when an image is read, written or converted.

Example:
    >>> import numpy as np, os, tempfile
    >>> from numdeep.utils import array_to_img, img_to_array, load_img, save_img
    >>> path = os.path.join(tempfile.mkdtemp(), "square.png")
    >>> save_img(path, np.full((4, 6, 3), 200, dtype="uint8"), scale=False)
    >>> img = load_img(path, target_size=(2, 3))
    >>> img.size, img_to_array(img).shape, img_to_array(img)[0, 0].tolist()
    ((3, 2), (2, 3, 3), [200.0, 200.0, 200.0])
"""

import io
import os
import pathlib

import numpy as np

from numdeep.backend import floatx, standardize_data_format

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize", "pil_image"]

PIL_INTERPOLATION_NAMES = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """``PIL.Image``, or an ``ImportError`` saying how to install it."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("Image utilities need Pillow: pip install 'numdeep[images]' (or pip "
                          "install pillow).") from e
    return Image


def _pil_method(name):
    image = pil_image()
    if name not in PIL_INTERPOLATION_NAMES:
        raise ValueError(f"Invalid interpolation method {name!r}; supported methods are "
                         f"{', '.join(PIL_INTERPOLATION_NAMES)}.")
    return getattr(image.Resampling, name.upper())


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array (``(height, width, channels)`` or channels first) as a PIL image.

    Args:
        x: array with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the backend's).
        scale: rescale the values to 0-255 (min to 0, max to 255).
        dtype: the array's dtype before conversion (default ``floatx()``).
    """
    image = pil_image()
    data_format = standardize_data_format(data_format)
    x = np.asarray(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with "
                         f"shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 32-bit signed integer grayscale
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a 3-D float array (``(height, width, channels)`` or channels first)."""
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a file (format from ``file_format`` or the file's extension;
    RGBA is flattened to RGB for JPEG, which has no alpha)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if file_format is None and isinstance(path, str | os.PathLike):
        file_format = os.path.splitext(os.fspath(path))[1][1:] or None
    if img.mode == "RGBA" and file_format and file_format.lower() in ("jpg", "jpeg"):
        img = img.convert("RGB")
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img.save(path, format=file_format, **kwargs)


def _convert(img, color_mode):
    if color_mode == "grayscale":
        # 16- and 32-bit grayscale stay as they are; anything else becomes 8-bit.
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode == "rgba":
        return img if img.mode == "RGBA" else img.convert("RGBA")
    if color_mode == "rgb":
        return img if img.mode == "RGB" else img.convert("RGB")
    raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file into a PIL image.

    Args:
        path: a path or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or ``None``.
        interpolation: ``"nearest"``, ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"``
            or ``"lanczos"``.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.
    """
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, pathlib.Path | bytes | str):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    img = _convert(img, color_mode)
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    method = _pil_method(interpolation)
    box = None
    if keep_aspect_ratio:
        width, height = img.size
        crop_h = min(height, width * target_size[0] // target_size[1])
        crop_w = min(width, height * target_size[1] // target_size[0])
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize(width_height, method, box=box)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize an image (or a batch) to ``size`` without distorting it: crop the largest centred
    window of the target aspect ratio, then resize (``numdeep.ops.image.resize``)."""
    from numdeep.autograd import data_of
    from numdeep.ops import image as image_ops

    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    out = image_ops.resize(x, size, interpolation=interpolation, crop_to_aspect_ratio=True,
                           data_format=data_format)
    return np.asarray(data_of(out))
