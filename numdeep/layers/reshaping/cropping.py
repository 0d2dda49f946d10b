"""Cropping layers: ``Cropping1D``, ``Cropping2D``, ``Cropping3D`` (a slice, so the gradient
is the slice's)."""

from numdeep.layers.input_spec import InputSpec
from numdeep.layers.reshaping._spatial import Spatial, standardize_pairs, standardize_tuple


class _Cropping(Spatial):
    def _check(self, shape):
        for axis, (lo, hi) in zip(self.spatial_axes(len(shape)), self.cropping):
            if shape[axis] is not None and lo + hi >= shape[axis]:
                raise self._too_much(shape)

    def _too_much(self, shape):
        return ValueError(f"Values in `cropping` argument should be smaller than the "
                          f"corresponding spatial dimension of the input. Layer '{self.name}' "
                          f"received: input_shape={tuple(shape)}, cropping={self.cropping}")

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        self._check(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(self.spatial_axes(inputs.ndim), self.cropping):
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (lo, hi) in zip(self.spatial_axes(len(out)), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - lo - hi
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class Cropping1D(_Cropping):
    """Removes steps at the start and end of ``(batch, steps, features)`` sequences.

    Args:
        cropping: an int (both ends) or ``(start, end)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Cropping1D((1, 2))(np.ones((1, 6, 3), "float32")).shape
        (1, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.data_format = "channels_last"
        self.input_spec = InputSpec(ndim=3)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)

    def _check(self, shape):
        lo, hi = self.cropping
        if shape[1] is not None and lo + hi >= shape[1]:
            raise ValueError(f"`cropping` parameter of `Cropping1D` layer must be smaller than "
                             f"the input length. Layer '{self.name}' received: "
                             f"input_shape={tuple(shape)}, cropping={self.cropping}")

    def call(self, inputs):
        self._check(inputs.shape)
        return inputs[:, self.cropping[0]:inputs.shape[1] - self.cropping[1]]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        steps = None if input_shape[1] is None else input_shape[1] - sum(self.cropping)
        return (input_shape[0], steps, *input_shape[2:])

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(_Cropping):
    """Removes rows and columns at the image borders.

    Args:
        cropping: an int (all sides), ``(rows, cols)`` (symmetric) or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Cropping2D(((2, 2), (4, 4)))(np.ones((1, 28, 28, 3), "float32")).shape
        (1, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.cropping = standardize_pairs(cropping, 2, "cropping")


class Cropping3D(_Cropping):
    """Removes slices at the borders of ``(batch, dim1, dim2, dim3, channels)`` volumes.

    Args:
        cropping: an int (all sides), 3 ints (symmetric per axis) or 3 ``(start, end)`` pairs.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Cropping3D(((1, 1), (2, 0), (0, 1)))
        >>> layer(np.ones((1, 5, 5, 5, 2), "float32")).shape
        (1, 3, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.cropping = standardize_pairs(cropping, 3, "cropping")
