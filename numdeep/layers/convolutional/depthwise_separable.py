"""Depthwise convolutions (one filter bank per input channel) ``DepthwiseConv1D/2D`` and the
separable ``SeparableConv1D/2D`` (depthwise then pointwise), with Keras's weight names and
layouts."""

from numdeep import constraints, initializers, regularizers
from numdeep.layers.convolutional.base_conv import BaseConv, positive_int
from numdeep.ops import eager as ops


class BaseDepthwiseConv(BaseConv):
    """Each input channel filtered by its own ``depth_multiplier`` kernels, giving
    ``channels * depth_multiplier`` outputs; the kernel (``kernel``, Keras 3's name) has shape
    ``(*kernel_size, channels, depth_multiplier)``."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)

    def _check_strides_and_dilation(self):
        pass  # Keras allows both together here, and so does the primitive

    def _out_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        self._kernel = self._add_kernel(self.kernel_size + (channels, self.depth_multiplier),
                                        "kernel")
        self._build_bias(channels * self.depth_multiplier)
        self._set_spec(channels)

    def call(self, inputs):
        y = ops.depthwise_conv(self._prepare(inputs), self.kernel, self.strides,
                               self.padding, self.data_format, self.dilation_rate, bias=self.bias)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            del config[key]
        for key in ("initializer", "regularizer", "constraint"):
            config[f"depthwise_{key}"] = config.pop(f"kernel_{key}")
        config["depth_multiplier"] = self.depth_multiplier
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution over sequences ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.DepthwiseConv1D(3, depth_multiplier=2)
        >>> layer(np.ones((1, 8, 3), dtype="float32")).shape
        (1, 6, 6)
    """

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution: each input channel is filtered by its own
    ``depth_multiplier`` kernels, giving ``channels * depth_multiplier`` outputs.

    The kernel (``kernel``; Keras 2 named it ``depthwise_kernel``, and files that say so load
    by position) has Keras's shape ``(kh, kw, channels, depth_multiplier)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
        >>> layer(np.ones((1, 5, 5, 3), dtype="float32")).shape
        (1, 5, 5, 6)
        >>> [w.name for w in layer.weights]
        ['kernel', 'bias']
    """

    rank = 2


class BaseSeparableConv(BaseConv):
    """A depthwise convolution then a pointwise (size-1) convolution to ``filters`` channels.

    Weights (Keras order): ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, ..., channels * depth_multiplier, filters)``, ``bias``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _check_strides_and_dilation(self):
        pass  # Keras allows both together here, and so does the primitive

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        depth = channels * self.depth_multiplier
        self.depthwise_kernel = self._add_kernel(
            self.kernel_size + (channels, self.depth_multiplier), "depthwise_kernel")
        self.pointwise_kernel = self._add_kernel(
            (1,) * self.rank + (depth, self.filters), "pointwise_kernel", "pointwise")
        self._build_bias(self.filters)
        self._set_spec(channels)

    def call(self, inputs):
        y = ops.separable_conv(self._prepare(inputs), self.depthwise_kernel,
                               self.pointwise_kernel, self.strides, self.padding,
                               self.data_format, self.dilation_rate, bias=self.bias)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        for key in ("initializer", "regularizer", "constraint"):
            config[f"depthwise_{key}"] = config.pop(f"kernel_{key}")
        config.update(
            depth_multiplier=self.depth_multiplier,
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
        )
        return config


class SeparableConv1D(BaseSeparableConv):
    """Depthwise separable 1-D convolution over sequences ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SeparableConv1D(4, 3, padding="same")
        >>> layer(np.ones((2, 7, 3), dtype="float32")).shape
        (2, 7, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 1), (1, 3, 4), (4,)]
    """

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """Depthwise separable 2-D convolution: a ``DepthwiseConv2D`` then a 1x1 ``Conv2D``.

    Weights (Keras order): ``depthwise_kernel`` ``(kh, kw, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, channels * depth_multiplier, filters)``, ``bias``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SeparableConv2D(4, 3)
        >>> layer(np.ones((1, 6, 6, 3), dtype="float32")).shape
        (1, 4, 4, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 3, 1), (1, 1, 3, 4), (4,)]
    """

    rank = 2
