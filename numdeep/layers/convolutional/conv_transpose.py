"""Transposed convolutions ``Conv1DTranspose`` and ``Conv2DTranspose`` (kernels
``(*kernel_size, filters, in)`` as in Keras)."""

from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.ops import convolution as conv_ops
from numdeep.ops import eager as ops


class BaseConvTranspose(BaseConv):
    """Transposed convolution ("deconvolution"): upsamples, e.g. in GAN generators.

    The output length per spatial axis is Keras's: ``input * stride`` for ``'same'``,
    ``input * stride + max(kernel - stride, 0)`` for ``'valid'`` (kernel dilated), or
    ``(input - 1) * stride + kernel - 2 * pad + output_padding`` when ``output_padding`` is set.
    The kernel has Keras's shape ``(*kernel_size, filters, channels)``.
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
            owner = f"{type(self).__name__} layer '{self.name}': "
            self.output_padding = conv_ops.normalize_tuple(
                output_padding, self.rank, "output_padding", owner, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{owner}`output_padding` {self.output_padding} must be "
                                 f"smaller than `strides` {self.strides}.")

    def _check_fits(self, shape):
        pass  # any input size works: the output is never smaller than the kernel

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        shape = self.kernel_size + (self.filters, channels)
        self.kernel = self.add_weight(shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self._build_bias(self.filters)
        self._set_spec(channels)

    def _out_spatial(self, shape):
        pads = self.output_padding or (None,) * self.rank
        return tuple(
            None if n is None else conv_ops.conv_transpose_geometry(n, k, self.padding, s, d, p)[1]
            for n, k, s, d, p in zip(self._spatial(shape), self.kernel_size, self.strides,
                                     self.dilation_rate, pads))

    def call(self, inputs, training=False):
        y = ops.conv_transpose(self._prepare(inputs), self.kernel, self.bias, self.strides,
                                    self.padding, self.output_padding, self.data_format,
                                    self.dilation_rate)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution over sequences ``(batch, steps, channels)``."""

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
