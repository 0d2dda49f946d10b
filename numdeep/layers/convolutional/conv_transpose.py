"""Transposed convolutions ``Conv1DTranspose``, ``Conv2DTranspose`` and ``Conv3DTranspose``
(kernels ``(*kernel_size, filters, in)`` as in Keras)."""

from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.ops import conv_shapes
from numdeep.ops import eager as ops


class BaseConvTranspose(BaseConv):
    """Transposed convolution ("deconvolution"): upsamples, e.g. in GAN generators.

    The output length per spatial axis is Keras's: ``input * stride`` for ``'same'``,
    ``(input - 1) * stride + max(kernel, stride)`` for ``'valid'`` (kernel dilated); with
    ``output_padding`` ``(input - 1) * stride + kernel + output_padding`` for ``'valid'`` and
    ``(input - 1) * stride + kernel % 2 + output_padding`` for ``'same'`` (see
    ``numdeep.ops.conv_shapes.conv_transpose_padding``). The kernel has Keras's shape
    ``(*kernel_size, filters, channels)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         1, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = conv_shapes.normalize_tuple(
                output_padding, self.rank, "output_padding", allow_zero=True)
            for i, (p, s) in enumerate(zip(self.output_padding, self.strides)):
                if p >= s:
                    raise ValueError(
                        f"`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {i}, `output_padding` is {p} but `strides` "
                        f"is {s}. Received: output_padding={self.output_padding}, "
                        f"strides={self.strides}")

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        self._kernel = self._add_kernel(self.kernel_size + (self.filters, channels), "kernel")
        self._build_bias(self.filters)
        self._set_spec(channels)

    def compute_output_shape(self, input_shape):
        return conv_shapes.compute_conv_transpose_output_shape(
            tuple(input_shape), self.kernel_size, self.filters, self.strides, self.padding,
            self.output_padding, self.data_format, self.dilation_rate)

    def call(self, inputs):
        y = ops.conv_transpose(self._prepare(inputs), self.kernel, self.strides,
                               self.padding, self.output_padding, self.data_format,
                               self.dilation_rate, bias=self.bias)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution over sequences ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Conv1DTranspose(1, 2, strides=2, padding="same",
        ...                                   output_padding=1, use_bias=False)
        >>> layer.build((1, 3, 1))
        >>> layer.set_weights([np.array([1.0, 2.0]).reshape(2, 1, 1)])
        >>> layer(np.ones((1, 3, 1), dtype="float32")).numpy().ravel()
        array([1., 2., 1., 2., 1.], dtype=float32)
    """

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution: the layer GAN generators and decoders upsample with.

    Args: as ``Conv2D`` (without ``groups``), plus ``output_padding`` (int or pair, each
    smaller than the stride) to pick among the output sizes that map back to the input.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
        >>> layer(np.ones((2, 7, 7, 16), dtype="float32")).shape
        (2, 14, 14, 8)
        >>> layer.kernel.shape
        (3, 3, 8, 16)
    """

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution over volumes ``(batch, depth, height, width, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Conv3DTranspose(4, 3, strides=2, padding="same")
        >>> layer(np.ones((1, 2, 3, 4, 2), dtype="float32")).shape
        (1, 4, 6, 8, 4)
    """

    rank = 3
