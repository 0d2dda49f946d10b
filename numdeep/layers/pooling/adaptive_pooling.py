"""Adaptive pooling: ``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D`` pool
any input to a fixed ``output_size`` (windows as PyTorch's ``AdaptiveAvgPool``/``MaxPool``;
the math is ``numdeep.ops.adaptive_average_pool``/``adaptive_max_pool``)."""

from numdeep.backend import image_data_format
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class BaseAdaptivePooling(Layer):
    """Pools ``rank`` spatial axes to ``output_size``; subclasses set ``rank`` and
    ``pool_mode``."""

    rank = 2
    pool_mode = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        names = ("length", "(height, width)", "(depth, height, width)")[self.rank - 1]
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, list | tuple) and len(output_size) == self.rank:
            output_size = tuple(output_size)
        else:
            raise TypeError(f"`output_size` must be an integer or {names} tuple. Received: "
                            f"{output_size} of type {type(output_size)}")
        if any(isinstance(n, bool) or not isinstance(n, int) or n <= 0 for n in output_size):
            raise ValueError(f"`output_size` must hold positive integers. Received: "
                             f"output_size={output_size}")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format or image_data_format()
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"Invalid data_format: {self.data_format}. Expected "
                             f"'channels_first' or 'channels_last'.")

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input; received input shape "
                             f"{tuple(input_shape)}.")
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        pool = ops.adaptive_max_pool if self.pool_mode == "max" else ops.adaptive_average_pool
        return pool(inputs, self.output_size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(output_size=self.output_size, data_format=self.data_format)
        return config


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """Mean over ``output_size`` adaptive windows of ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.arange(6, dtype="float32").reshape(1, 6, 1)
        >>> nd.layers.AdaptiveAveragePooling1D(3)(x).numpy().ravel()
        array([0.5, 2.5, 4.5], dtype=float32)
    """

    rank = 1


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Mean over ``output_size`` adaptive windows per axis of images; window ``i`` of an axis
    of length ``n`` spans ``[floor(i * n / out), ceil((i + 1) * n / out))``.

    Args:
        output_size: int or ``(height, width)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.AdaptiveAveragePooling2D((2, 3))
        >>> layer(np.ones((4, 7, 9, 3), dtype="float32")).shape
        (4, 2, 3, 3)
    """

    rank = 2


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """Mean over ``output_size`` adaptive windows per axis of volumes.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.AdaptiveAveragePooling3D(2, data_format="channels_first")
        >>> layer(np.ones((1, 3, 5, 4, 6), dtype="float32")).shape
        (1, 3, 2, 2, 2)
    """

    rank = 3


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """Maximum over ``output_size`` adaptive windows of ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[3.0], [1.0], [4.0], [1.0], [5.0]]], dtype="float32")
        >>> nd.layers.AdaptiveMaxPooling1D(2)(x).numpy().ravel()  # windows [0, 3), [2, 5)
        array([4., 5.], dtype=float32)
    """

    rank = 1
    pool_mode = "max"


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """Maximum over ``output_size`` adaptive windows per axis of images.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> nd.layers.AdaptiveMaxPooling2D(2)(x).numpy()[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """

    rank = 2
    pool_mode = "max"


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """Maximum over ``output_size`` adaptive windows per axis of volumes.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.AdaptiveMaxPooling3D((1, 2, 3))(np.ones((2, 4, 4, 4, 5))).shape
        (2, 1, 2, 3, 5)
    """

    rank = 3
    pool_mode = "max"
