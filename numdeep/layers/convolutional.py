"""Convolution layers: ``Conv1D``/``Conv2D``/``Conv3D``, ``DepthwiseConv2D``, ``SeparableConv2D``,
``Conv1DTranspose``/``Conv2DTranspose``.

Keras arguments, defaults and weight layouts: kernels ``(*kernel_size, in // groups, filters)``,
depthwise kernels ``(*kernel_size, in, depth_multiplier)``, transposed kernels
``(*kernel_size, filters, in)``; channels-last inputs, ``data_format='channels_first'`` accepted
(the data is transposed around the channels-last kernels). The math is in
``numdeep.ops.convolution``.
"""

from numdeep import activations, initializers, ops, regularizers
from numdeep.layers.base import InputSpec, Layer
from numdeep.ops import convolution as conv_ops


def _ser(module, obj):
    return None if obj is None else module.serialize(obj)


class BaseConv(Layer):
    """Shared validation, shape logic and config of the convolution layers (rank 1, 2 or 3)."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls, n = type(self).__name__, self.rank
        owner = f"{cls} layer '{self.name}': "
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(f"{owner}weight constraints are not supported yet.")
        if filters is not None and (not isinstance(filters, int) or isinstance(filters, bool)
                                    or filters <= 0):
            raise ValueError(f"{owner}`filters` must be a positive integer. "
                             f"Received: filters={filters!r}")
        self.filters = filters
        self.kernel_size = conv_ops.normalize_tuple(kernel_size, n, "kernel_size", owner)
        self.strides = conv_ops.normalize_tuple(strides, n, "strides", owner)
        self.dilation_rate = conv_ops.normalize_tuple(dilation_rate, n, "dilation_rate", owner)
        if padding not in self.paddings:
            raise ValueError(f"{owner}`padding` must be one of {self.paddings}. "
                             f"Received: padding={padding!r}")
        self.padding = padding
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{owner}`data_format` must be 'channels_last' or "
                             f"'channels_first'. Received: data_format={data_format!r}")
        self.data_format = data_format or "channels_last"
        if not isinstance(groups, int) or groups <= 0 or (filters and filters % groups):
            raise ValueError(f"{owner}`groups` must be a positive integer dividing "
                             f"filters={filters}. Received: groups={groups!r}")
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(ndim=n + 2)

    # ----- shapes ------------------------------------------------------------------------
    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _spatial(self, shape):
        return tuple(shape[2:]) if self.data_format == "channels_first" else tuple(shape[1:-1])

    def _check_input(self, shape):
        """The input's rank and channels, and that the kernel fits a 'valid' input."""
        n, cls = self.rank, type(self).__name__
        if len(shape) != n + 2:
            layout = ("(batch, channels, *spatial)" if self.data_format == "channels_first"
                      else "(batch, *spatial, channels)")
            raise ValueError(f"{cls} layer '{self.name}' expects a {n + 2}-D input {layout} "
                             f"with {n} spatial axes; received input shape {tuple(shape)} "
                             f"({len(shape)}-D).")
        channels = shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{cls} layer '{self.name}' needs a known number of channels; "
                             f"received input shape {tuple(shape)}.")
        self._check_fits(shape)
        return channels

    def _check_fits(self, shape):
        for size, k, d in zip(self._spatial(shape), self.kernel_size, self.dilation_rate):
            if self.padding == "valid" and size is not None and size < d * (k - 1) + 1:
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}': the kernel {self.kernel_size} "
                    f"(dilation {self.dilation_rate}) is larger than the spatial size "
                    f"{self._spatial(shape)} of the input of shape {tuple(shape)} with "
                    f"padding='valid'; use padding='same' or a larger input.")

    def _out_spatial(self, shape):
        return tuple(conv_ops.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                     zip(self._spatial(shape), self.kernel_size, self.strides,
                         self.dilation_rate))

    def _with_spatial(self, shape, spatial, channels):
        if self.data_format == "channels_first":
            return (shape[0], channels, *spatial)
        return (shape[0], *spatial, channels)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self._out_spatial(input_shape), self.filters)

    # ----- weights and call --------------------------------------------------------------
    def build(self, input_shape):
        channels = self._check_input(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} layer '{self.name}': the {channels} input "
                             f"channels of input shape {tuple(input_shape)} are not divisible "
                             f"by groups={self.groups}.")
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self._build_bias(self.filters)
        self._set_spec(channels)

    def _build_bias(self, n):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((n,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")

    def _set_spec(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _prepare(self, inputs):
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        self._check_fits(inputs.shape)
        return inputs

    def call(self, inputs, training=False):
        y = ops.conv(self._prepare(inputs), self.kernel, self.bias, self.strides,
                          self.padding, self.data_format, self.dilation_rate)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate, groups=self.groups,
            activation=activations.serialize(self.activation), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=_ser(regularizers, self.kernel_regularizer),
            bias_regularizer=_ser(regularizers, self.bias_regularizer),
            kernel_constraint=None, bias_constraint=None,
        )
        return config


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

    Call arguments:
        inputs: tensor ``(batch, height, width, channels)`` (channels-last).

    The kernel has shape ``(kh, kw, channels // groups, filters)``, Keras's layout (PyTorch's
    ``(filters, channels, kh, kw)`` converts with ``numdeep.layers._torch_layout``).

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


class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``."""

    rank = 3


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
            pointwise_regularizer=_ser(regularizers, self.pointwise_regularizer),
            pointwise_constraint=None,
        )
        return config


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
