"""Convolution layers ``Conv1D``, ``Conv2D``, ``Conv3D`` (grouped convolution through ``groups``).
"""

from numdeep.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over sequences ``(batch, steps, channels)``; ``padding='causal'`` pads
    only the start so output ``t`` never sees inputs after ``t`` (WaveNet-style).

    Args: as ``Conv2D`` with one int per size (and ``padding`` also ``'causal'``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Conv1D(4, 3, padding="causal")
        >>> layer(np.ones((2, 10, 3), dtype="float32")).shape
        (2, 10, 4)
    """

    rank = 1
    paddings = ("valid", "same", "causal")
    supports_lora = True


class Conv2D(BaseConv):
    """2-D convolution over images: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        filters: number of output channels.
        kernel_size: int or ``(kh, kw)``.
        strides: int or ``(sh, sw)`` (default 1).
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input / stride)``;
            an odd total padding puts the extra row/column at the bottom/right, as in Keras).
        data_format: ``'channels_last'`` (default, ``(batch, h, w, c)``) or
            ``'channels_first'``.
        dilation_rate: int or pair; spacing between kernel taps.
        groups: split the input channels into ``groups`` independent convolutions.
        activation: activation name or function; ``None`` means linear.
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer: Keras defaults ``glorot_uniform``, ``zeros``.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each optimizer update.
        lora_rank, lora_alpha: train a low-rank update of the frozen kernel instead (see
            ``enable_lora``).

    Call arguments:
        inputs: tensor ``(batch, height, width, channels)`` (channels-last).

    The kernel has shape ``(kh, kw, channels // groups, filters)``, Keras's layout (PyTorch's
    ``(filters, channels, kh, kw)`` converts with ``numdeep.saving.torch_layout``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Conv2D(8, 3, activation="relu")
        >>> layer(np.ones((2, 28, 28, 1), dtype="float32")).shape
        (2, 26, 26, 8)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 1, 8), (8,)]
    """

    rank = 2
    supports_lora = True


class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``."""

    rank = 3
    supports_lora = True
