"""Pooling layers: ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D`` and the global poolings
(Keras names, arguments and aliases such as ``MaxPool2D``)."""

import numpy as np

from numdeep.layers.layer import Layer
from numdeep.ops import convolution as conv_ops
from numdeep.ops import eager as ops


def _data_format(layer, data_format):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `data_format` must be "
                         f"'channels_last' or 'channels_first'. Received: {data_format!r}")
    return data_format or "channels_last"


class BasePooling(Layer):
    """Windowed pooling over ``rank`` spatial axes; subclasses set ``rank`` and ``_pool``."""

    rank = 2

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} layer '{self.name}': "
        self.pool_size = conv_ops.normalize_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = self.pool_size if strides is None else conv_ops.normalize_tuple(
            strides, self.rank, "strides", owner)
        if padding not in ("valid", "same"):
            raise ValueError(f"{owner}`padding` must be 'valid' or 'same'. "
                             f"Received: padding={padding!r}")
        self.padding = padding
        self.data_format = _data_format(self, data_format)

    def _spatial_axes(self, ndim):
        return tuple(range(2, ndim)) if self.data_format == "channels_first" else tuple(
            range(1, ndim - 1))

    def _check(self, shape):
        cls = type(self).__name__
        if len(shape) != self.rank + 2:
            raise ValueError(f"{cls} layer '{self.name}' expects a {self.rank + 2}-D input "
                             f"with {self.rank} spatial axes; received input shape "
                             f"{tuple(shape)}.")
        if self.padding == "valid":
            sizes = [shape[a] for a in self._spatial_axes(len(shape))]
            if any(n is not None and n < k for n, k in zip(sizes, self.pool_size)):
                raise ValueError(f"{cls} layer '{self.name}': pool_size {self.pool_size} is "
                                 f"larger than the spatial size {tuple(sizes)} of the input of "
                                 f"shape {tuple(shape)} with padding='valid'.")

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs, training=False):
        self._check(inputs.shape)
        return self._pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for a, k, s in zip(self._spatial_axes(len(shape)), self.pool_size, self.strides):
            shape[a] = conv_ops.conv_output_length(shape[a], k, self.padding, s)
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


def _max(inputs, *args):
    return conv_ops.max_pool(inputs, *args)


def _avg(inputs, *args):
    return conv_ops.average_pool(inputs, *args)


class MaxPooling1D(BasePooling):
    """Maximum over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    rank = 1
    _pool = staticmethod(_max)


class MaxPooling2D(BasePooling):
    """Maximum over ``pool_size`` windows of images ``(batch, height, width, channels)``.

    Args:
        pool_size: int or ``(ph, pw)`` (default 2).
        strides: int or pair; ``None`` (default) means ``pool_size``.
        padding: ``'valid'`` (windows inside the input; a remainder is dropped) or ``'same'``
            (output ``ceil(input / stride)``; padding is never selected).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Call arguments:
        inputs: tensor ``(batch, height, width, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.MaxPooling2D(2)(np.ones((2, 26, 26, 8), dtype="float32")).shape
        (2, 13, 13, 8)
    """

    rank = 2
    _pool = staticmethod(_max)


class MaxPooling3D(BasePooling):
    """Maximum over windows of volumes ``(batch, d, h, w, channels)``."""

    rank = 3
    _pool = staticmethod(_max)


class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    rank = 1
    _pool = staticmethod(_avg)


class AveragePooling2D(BasePooling):
    """Mean over ``pool_size`` windows of images; with ``padding='same'`` only real pixels are
    averaged (Keras/TensorFlow semantics).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> nd.layers.AveragePooling2D(2)(x).data[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)
    """

    rank = 2
    _pool = staticmethod(_avg)


class AveragePooling3D(BasePooling):
    """Mean over windows of volumes ``(batch, d, h, w, channels)``."""

    rank = 3
    _pool = staticmethod(_avg)


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes; ``keepdims=True`` keeps them with size 1."""

    rank = 2
    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(self, data_format)
        self.keepdims = bool(keepdims)

    def _axes(self, ndim):
        if ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input; received a {ndim}-D input.")
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def build(self, input_shape):
        self._axes(len(input_shape))

    def call(self, inputs, training=False):
        return self._reduce(inputs, axis=self._axes(inputs.ndim), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes(len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(input_shape))
        return tuple(n for i, n in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)`` -> ``(batch, channels)``.

    With a padding mask (e.g. from ``Embedding(mask_zero=True)``), only the unmasked steps are
    averaged, as in Keras; the mask ends here. A fully masked sample gives zeros (Keras: NaN).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0], [3.0], [100.0]]], dtype="float32")
        >>> layer = nd.layers.GlobalAveragePooling1D()
        >>> layer(x).data, layer(x, mask=np.array([[True, True, False]])).data
        (array([[34.666668]], dtype=float32), array([[2.]], dtype=float32))
    """

    rank = 1

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            return super().call(inputs, training)
        steps = self._axes(inputs.ndim)
        weights = np.asarray(getattr(mask, "data", mask), dtype=inputs.dtype)
        weights = np.expand_dims(weights, -1 if self.data_format == "channels_last" else 1)
        count = np.maximum(weights.sum(axis=steps, keepdims=self.keepdims), 1)
        return ops.sum(inputs * weights, axis=steps, keepdims=self.keepdims) / count

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.GlobalAveragePooling2D()(np.ones((2, 7, 7, 5), dtype="float32")).shape
        (2, 5)
    """

    rank = 2


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over the steps of ``(batch, steps, channels)``."""

    rank = 1
    _reduce = staticmethod(ops.max)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    Ties split the gradient evenly (``numdeep.ops.max``), as TensorFlow's reduce_max does.
    """

    rank = 2
    _reduce = staticmethod(ops.max)


# Keras aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
