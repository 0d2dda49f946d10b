"""Windowed pooling: ``MaxPooling1D/2D/3D`` and ``AveragePooling1D/2D/3D`` (Keras names,
arguments and messages). They hold no state, so they are built from the start."""

from numdeep.backend import standardize_data_format
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import conv_shapes
from numdeep.ops import eager as ops


class BasePooling(Layer):
    """Pooling over ``rank`` spatial axes; subclasses set ``rank`` and ``pool_mode``."""

    rank = 2
    pool_mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = conv_shapes.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else conv_shapes.normalize_tuple(
            strides, self.rank, "strides")
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} layer '{self.name}': `padding` must be "
                             f"'valid' or 'same'. Received: padding={padding!r}")
        self.padding = padding
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._fitted_shape = None

    def _spatial_axes(self, ndim):
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input with {self.rank} spatial axes; received "
                             f"input shape {tuple(input_shape)}.")
        shape = list(input_shape)
        for a, k, s in zip(self._spatial_axes(len(shape)), self.pool_size, self.strides):
            shape[a] = conv_shapes.conv_output_length(shape[a], k, self.padding, s)
            if shape[a] is not None and shape[a] <= 0:
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}': Computed output size would be "
                    f"zero or negative. Received: "
                    f"`inputs.shape={tuple(input_shape)}`, `pool_size={self.pool_size}`, "
                    f"`strides={self.strides}`, `padding={self.padding}`.")
        return tuple(shape)

    def call(self, inputs):
        if inputs.shape != self._fitted_shape:  # checked once per input shape
            self.compute_output_shape(inputs.shape)
            self._fitted_shape = inputs.shape
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


class MaxPooling1D(BasePooling):
    """Maximum over windows of ``pool_size`` steps of ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0], [3.0], [2.0], [0.0], [5.0]]], dtype="float32")
        >>> nd.layers.MaxPooling1D(2, strides=1)(x).numpy().ravel()
        array([3., 3., 2., 5.], dtype=float32)
    """

    rank = 1


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


class MaxPooling3D(BasePooling):
    """Maximum over windows of volumes ``(batch, d, h, w, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.MaxPooling3D(2)(np.ones((1, 4, 5, 6, 2), dtype="float32")).shape
        (1, 2, 2, 3, 2)
    """

    rank = 3


class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` steps of ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0], [3.0], [2.0]]], dtype="float32")
        >>> nd.layers.AveragePooling1D(2, padding="same")(x).numpy().ravel()
        array([2., 2.], dtype=float32)
    """

    rank = 1
    pool_mode = "average"


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
    pool_mode = "average"


class AveragePooling3D(BasePooling):
    """Mean over windows of volumes ``(batch, d, h, w, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.AveragePooling3D(2)(np.ones((1, 4, 4, 4, 1), dtype="float32")).shape
        (1, 2, 2, 2, 1)
    """

    rank = 3
    pool_mode = "average"
