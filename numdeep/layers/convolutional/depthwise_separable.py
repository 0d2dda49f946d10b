"""``DepthwiseConv2D`` (one filter bank per input channel) and ``SeparableConv2D`` (depthwise then
pointwise), with Keras's weight names and layouts."""

from numdeep import initializers, regularizers
from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.ops import eager as ops


class DepthwiseConv2D(BaseConv):
    """Depthwise 2-D convolution: each input channel is filtered by its own
    ``depth_multiplier`` kernels, giving ``channels * depth_multiplier`` outputs.

    The kernel (``depthwise_kernel``) has Keras's shape ``(kh, kw, channels, depth_multiplier)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
        >>> layer(np.ones((1, 5, 5, 3), dtype="float32")).shape
        (1, 5, 5, 6)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"DepthwiseConv2D layer '{self.name}': `depth_multiplier` must be "
                             f"a positive integer. Received: {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        shape = self.kernel_size + (channels, self.depth_multiplier)
        self.depthwise_kernel = self.add_weight(shape, self.kernel_initializer,
                                                regularizer=self.kernel_regularizer,
                                                name="depthwise_kernel")
        self._build_bias(channels * self.depth_multiplier)
        self._set_spec(channels)

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis]
        out = None if channels is None else channels * self.depth_multiplier
        return self._with_spatial(input_shape, self._out_spatial(input_shape), out)

    def call(self, inputs, training=False):
        y = ops.depthwise_conv(self._prepare(inputs), self.depthwise_kernel, self.bias,
                                    self.strides, self.padding, self.data_format,
                                    self.dilation_rate)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            del config[key]
        for key in ("initializer", "regularizer", "constraint"):
            config[f"depthwise_{key}"] = config.pop(f"kernel_{key}")
        config["depth_multiplier"] = self.depth_multiplier
        return config


class SeparableConv2D(BaseConv):
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

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint or pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"SeparableConv2D layer '{self.name}': `depth_multiplier` must be "
                             f"a positive integer. Received: {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        depth = channels * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.kernel_initializer,
            regularizer=self.kernel_regularizer, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1, 1, depth, self.filters), self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, name="pointwise_kernel")
        self._build_bias(self.filters)
        self._set_spec(channels)

    def call(self, inputs, training=False):
        y = ops.separable_conv(self._prepare(inputs), self.depthwise_kernel,
                                    self.pointwise_kernel, self.bias, self.strides,
                                    self.padding, self.data_format, self.dilation_rate)
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
            pointwise_constraint=None,
        )
        return config
