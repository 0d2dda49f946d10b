"""``ConvLSTM1D``, ``ConvLSTM2D``, ``ConvLSTM3D``: ``ConvLSTM`` with the rank fixed."""

from numdeep.layers.recurrent.conv_lstm import ConvLSTM


class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM: inputs ``(batch, time, steps, channels)``; every argument is
    ``ConvLSTM``'s (``filters``, ``kernel_size``, ``strides``, ``padding``, ``data_format``,
    ``dilation_rate``, activations, initializers, regularizers, constraints, dropouts,
    ``seed``, ``return_sequences``, ``return_state``, ``go_backwards``, ``stateful``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ConvLSTM1D(4, 3)(np.ones((2, 5, 8, 3), dtype="float32")).shape
        (2, 6, 4)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)


class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM: inputs ``(batch, time, rows, cols, channels)``; arguments as
    ``ConvLSTM1D``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
        >>> layer(np.ones((2, 5, 6, 6, 3), dtype="float32")).shape
        (2, 5, 6, 6, 4)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(2, filters, kernel_size, **kwargs)


class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM: inputs ``(batch, time, d1, d2, d3, channels)``; arguments as
    ``ConvLSTM1D``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.ConvLSTM3D(2, 3)(np.ones((1, 2, 4, 4, 4, 1), dtype="float32")).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(3, filters, kernel_size, **kwargs)
