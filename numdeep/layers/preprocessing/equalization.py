"""``Equalization``: histogram equalization of each channel of each image."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend import xp_of
from numdeep.layers.preprocessing.color import value_range_pair
from numdeep.layers.preprocessing.image_layer import PixelLayer

__all__ = ["Equalization"]


def equalize_rows(rows, bins):
    """Equalize each row of ``rows`` (values in ``[0, 255]``) over ``bins`` histogram bins:
    each value becomes 255 times the share of values in lower bins (the cumulative histogram,
    shifted to start at 0). Rows with at most one occupied bin are returned unchanged."""
    xp = xp_of(rows)
    n = rows.shape[0]
    index = xp.clip((rows * ((bins - 1) / 255.0)).astype(np.int64), 0, bins - 1)
    offsets = xp.arange(n, dtype=np.int64)[:, None] * bins
    hist = xp.bincount((index + offsets).ravel(), minlength=n * bins).reshape(n, bins)
    cdf = xp.cumsum(hist, axis=1)
    cdf_min = xp.take_along_axis(cdf, xp.argmax(cdf > 0, axis=1)[:, None], axis=1)
    spread = cdf[:, -1:] - cdf_min
    lookup = xp.clip(xp.round((cdf - cdf_min) * 255.0 / xp.where(spread == 0, 1, spread)), 0, 255)
    out = xp.take_along_axis(lookup, index, axis=1).astype(rows.dtype)
    flat = xp.count_nonzero(hist, axis=1)[:, None] <= 1
    return xp.where(flat, rows, out)


class Equalization(PixelLayer):
    """Spreads the values of each channel of each image over the whole ``value_range`` by
    histogram equalization (in training; inference leaves images unchanged, as in Keras). The
    output is a lookup of the input's histogram, so no gradient flows through it.

    Args:
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        bins: the number of histogram bins, 256 by default.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> image = np.array([[[10.0], [10.0]], [[20.0], [40.0]]], "float32")
        >>> nd.layers.Equalization()(image).data.ravel()
        array([  0.,   0., 128., 255.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), bins=256, **kwargs):
        super().__init__(**kwargs)
        value_range = value_range_pair(value_range)
        if not isinstance(bins, int) or bins < 2:
            raise ValueError(f"Equalization layer '{self.name}': `bins` must be an integer of at "
                             f"least 2. Received: bins={bins!r}")
        self.value_range, self.bins = value_range, bins

    def transform_images(self, images, transformation=None, training=True):
        if images.dtype != self.dtype:
            images = images.astype(self.dtype)
        if not training:
            return images
        x = images.data
        if self.data_format == "channels_first":
            x = x.transpose(0, 2, 3, 1)
        n, h, w, c = x.shape
        lo, hi = (float(v) for v in self.value_range)
        rows = ((x - lo) * (255.0 / (hi - lo))).transpose(0, 3, 1, 2).reshape(n * c, h * w)
        out = equalize_rows(rows, self.bins).reshape(n, c, h, w).transpose(0, 2, 3, 1)
        out = out * ((hi - lo) / 255.0) + lo
        if self.data_format == "channels_first":
            out = out.transpose(0, 3, 1, 2)
        return Tensor(xp_of(out).ascontiguousarray(out).astype(self.dtype, copy=False))

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, bins=self.bins)
        return config
