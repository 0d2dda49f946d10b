"""Zero-padding layers: ``ZeroPadding1D``, ``ZeroPadding2D``, ``ZeroPadding3D`` (``ops.pad``,
whose gradient slices the padding off again)."""

from numdeep.layers.input_spec import InputSpec
from numdeep.layers.reshaping._spatial import Spatial, standardize_pairs, standardize_tuple
from numdeep.ops import eager as ops


class _ZeroPadding(Spatial):
    def _pairs(self):
        return self.padding

    def _widths(self, ndim):
        widths = [(0, 0)] * ndim
        for axis, pair in zip(self.spatial_axes(ndim), self._pairs()):
            widths[axis] = pair
        return widths

    def call(self, inputs):
        return ops.pad(inputs, self._widths(inputs.ndim))

    def compute_output_shape(self, input_shape):
        widths = self._widths(len(input_shape))
        return tuple(None if n is None else n + lo + hi
                     for n, (lo, hi) in zip(input_shape, widths))

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the steps axis.

    Args:
        padding: an int (both ends) or ``(start, end)``.
        data_format: ``'channels_last'`` (``(batch, steps, features)``, the default) or
            ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ZeroPadding1D((1, 2))(np.ones((1, 3, 2), "float32")).shape
        (1, 6, 2)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.input_spec = InputSpec(ndim=3)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)

    def _pairs(self):
        return (self.padding,)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: an int (all sides), ``(rows, cols)`` (symmetric) or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 3, 3, 2), "float32")).shape
        (1, 4, 6, 2)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.padding = standardize_pairs(padding, 2, "padding")


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around ``(batch, dim1, dim2, dim3, channels)`` volumes.

    Args:
        padding: an int (all sides), 3 ints (symmetric per axis) or 3 ``(start, end)`` pairs.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ZeroPadding3D((1, 2, 0))(np.ones((1, 2, 2, 2, 1), "float32")).shape
        (1, 4, 6, 2, 1)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.padding = standardize_pairs(padding, 3, "padding")
