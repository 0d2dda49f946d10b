"""Upsampling layers: ``UpSampling1D``, ``UpSampling2D``, ``UpSampling3D``.

Nearest-neighbour upsampling repeats each entry (a broadcast and a reshape); the smooth
interpolations of ``UpSampling2D`` resample each image axis with a matrix (``ops.image``), so
every gradient comes from existing primitives.
"""

from numdeep.layers.input_spec import InputSpec
from numdeep.layers.reshaping._spatial import Spatial, standardize_tuple
from numdeep.ops import eager as ops
from numdeep.ops.image import resize

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def _repeat(x, axes, sizes):
    """``x`` with each entry repeated ``sizes[i]`` times along ``axes[i]``."""
    shape, target = [], []
    for i, n in enumerate(x.shape):
        shape.append(n)
        target.append(n)
        if i in axes:
            shape.append(1)
            target.append(sizes[axes.index(i)])
    out = ops.broadcast_to(x.reshape(tuple(shape)), tuple(target))
    return out.reshape(tuple(n * sizes[axes.index(i)] if i in axes else n
                             for i, n in enumerate(x.shape)))


class _UpSampling(Spatial):
    def _sizes(self):
        return self.size

    def call(self, inputs):
        return _repeat(inputs, self.spatial_axes(inputs.ndim), self._sizes())

    def compute_output_shape(self, input_shape):
        axes = self.spatial_axes(len(input_shape))
        sizes = self._sizes()
        return tuple(None if n is None else n * sizes[axes.index(i)] if i in axes else n
                     for i, n in enumerate(input_shape))

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps, c)`` -> ``(batch, steps * size, c)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.UpSampling1D(2)(np.array([[[1.0], [2.0]]], "float32")).data[0, :, 0]
        array([1., 1., 2., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: "
                             f"size={size}")
        self.size = size
        self.data_format = "channels_last"
        self.input_spec = InputSpec(ndim=3)

    def _sizes(self):
        return (self.size,)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class UpSampling2D(_UpSampling):
    """Upsamples images by integer factors ``size`` (rows, cols).

    ``interpolation='nearest'`` (default) repeats pixels; ``'bilinear'``, ``'bicubic'`` (Keys,
    a = -0.5), ``'lanczos3'`` and ``'lanczos5'`` interpolate with half-pixel centers, as Keras's
    ``ops.image.resize`` does.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32").reshape(1, 2, 2, 1)
        >>> nd.layers.UpSampling2D(2)(x).data[0, :, :, 0]
        array([[1., 1., 2., 2.],
               [1., 1., 2., 2.],
               [3., 3., 4., 4.],
               [3., 3., 4., 4.]], dtype=float32)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"UpSampling2D layer '{self.name}': `interpolation` must be one of "
                             f"{INTERPOLATIONS}. Received: interpolation={interpolation!r}")

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        channels_first = self.data_format == "channels_first"
        x = inputs.transpose(0, 2, 3, 1) if channels_first else inputs
        _, h, w, _ = x.shape
        y = resize(x, (h * self.size[0], w * self.size[1]), interpolation=self.interpolation,
                   data_format="channels_last")
        return y.transpose(0, 3, 1, 2) if channels_first else y

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    """Repeats the entries of ``(batch, dim1, dim2, dim3, channels)`` volumes ``size`` times
    along each spatial axis.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.UpSampling3D((2, 1, 3))(np.ones((1, 2, 2, 2, 4), "float32")).shape
        (1, 4, 2, 6, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.size = standardize_tuple(size, 3, "size")
