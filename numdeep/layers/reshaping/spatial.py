"""Spatial reshaping layers: ``UpSampling1D/2D``, ``ZeroPadding1D/2D``, ``Cropping1D/2D``.

All compose existing primitives (broadcast + reshape, matmul, pad, slicing), so their gradients
come for free.
"""

from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops
from numdeep.ops.convolution import normalize_tuple
from numdeep.ops.image import resize


def _data_format(layer, data_format):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `data_format` must be "
                         f"'channels_last' or 'channels_first'. Received: {data_format!r}")
    return data_format or "channels_last"


def _pairs(value, rank, name, owner):
    """int -> symmetric everywhere; ``rank`` ints -> symmetric per axis; pairs -> as given."""
    if isinstance(value, int):
        value = (value,) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = (value,)
    pairs = tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)
    if len(pairs) != rank or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{owner}`{name}` must be an int, {rank} ints or {rank} pairs of "
                         f"non-negative ints. Received: {name}={value!r}")
    return tuple(tuple(int(v) for v in p) for p in pairs)


class _Spatial(Layer):
    """Shared data-format handling: the layer math runs channels-last."""

    rank = 2

    def _check_rank(self, ndim):
        if ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input; received a {ndim}-D input.")

    def _spatial_axes(self, ndim):
        self._check_rank(ndim)
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def build(self, input_shape):
        self._check_rank(len(input_shape))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class _UpSampling(_Spatial):
    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} layer '{self.name}': "
        self.size = normalize_tuple(size, self.rank, "size", owner)
        self.data_format = _data_format(self, data_format)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{owner}`interpolation` must be 'nearest' or 'bilinear'. "
                             f"Received: {interpolation!r}")
        if interpolation == "bilinear" and self.rank != 2:
            raise ValueError(f"{owner}only 'nearest' interpolation is available in 1-D.")
        self.interpolation = interpolation

    def call(self, inputs, training=False):
        axes = self._spatial_axes(inputs.ndim)
        if self.interpolation == "bilinear":
            x = inputs if self.data_format == "channels_last" else inputs.transpose(0, 2, 3, 1)
            n, h, w, _ = x.shape
            y = resize(x, h * self.size[0], w * self.size[1])
            return y if self.data_format == "channels_last" else y.transpose(0, 3, 1, 2)
        # Nearest: a new axis of length `size` after each spatial axis, broadcast, then merged.
        shape, target = [], []
        for i, n in enumerate(inputs.shape):
            shape.append(n)
            target.append(n)
            if i in axes:
                shape.append(1)
                target.append(self.size[axes.index(i)])
        y = ops.broadcast_to(inputs.reshape(shape), tuple(target))
        return y.reshape(self.compute_output_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        axes = self._spatial_axes(len(input_shape))
        return tuple(None if n is None else n * self.size[axes.index(i)] if i in axes else n
                     for i, n in enumerate(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, interpolation=self.interpolation)
        return config


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps, c)`` -> ``(batch, steps * size, c)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    """Upsamples images by integer factors ``size`` (rows, cols).

    ``interpolation='nearest'`` (default) repeats pixels; ``'bilinear'`` interpolates with
    half-pixel centers, as Keras's resize does.

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


class _ZeroPadding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} layer '{self.name}': "
        self.padding = _pairs(padding, self.rank, "padding", owner)
        self.data_format = _data_format(self, data_format)

    def _widths(self, ndim):
        widths = [(0, 0)] * ndim
        for a, p in zip(self._spatial_axes(ndim), self.padding):
            widths[a] = p
        return widths

    def call(self, inputs, training=False):
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
    """Adds zeros at the start and end of the steps axis (``padding``: int or pair)."""

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    ``padding``: int (all sides), ``(rows, cols)`` (symmetric) or
    ``((top, bottom), (left, right))``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 3, 3, 2), "float32")).shape
        (1, 4, 6, 2)
    """

    rank = 2


class _Cropping(_Spatial):
    default = 1

    def __init__(self, cropping=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} layer '{self.name}': "
        cropping = self.default if cropping is None else cropping
        self.cropping = _pairs(cropping, self.rank, "cropping", owner)
        self.data_format = _data_format(self, data_format)

    def _index(self, shape):
        index = [slice(None)] * len(shape)
        for a, (lo, hi) in zip(self._spatial_axes(len(shape)), self.cropping):
            if shape[a] is not None and lo + hi >= shape[a]:
                raise ValueError(f"{type(self).__name__} layer '{self.name}': cropping "
                                 f"{self.cropping} removes everything from input of shape "
                                 f"{tuple(shape)}.")
            index[a] = slice(lo, None if hi == 0 else -hi)
        return tuple(index)

    def build(self, input_shape):
        self._index(input_shape)

    def call(self, inputs, training=False):
        return inputs[self._index(inputs.shape)]

    def compute_output_shape(self, input_shape):
        self._index(input_shape)
        out = list(input_shape)
        for a, (lo, hi) in zip(self._spatial_axes(len(out)), self.cropping):
            out[a] = None if out[a] is None else out[a] - lo - hi
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class Cropping1D(_Cropping):
    """Removes steps at the start and end of sequences (``cropping``: int or pair)."""

    rank = 1


class Cropping2D(_Cropping):
    """Removes rows and columns at the image borders.

    ``cropping``: int, ``(rows, cols)`` or ``((top, bottom), (left, right))`` (default: none).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Cropping2D(((2, 2), (4, 4)))(np.ones((1, 28, 28, 3), "float32")).shape
        (1, 24, 20, 3)
    """

    rank = 2
    default = 0
