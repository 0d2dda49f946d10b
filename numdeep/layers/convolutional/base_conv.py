"""``BaseConv``: what every convolution layer shares (arguments, kernel and bias, output shapes,
channels-first handling).

Keras arguments, defaults and weight layouts: kernels ``(*kernel_size, in // groups, filters)``,
depthwise kernels ``(*kernel_size, in, depth_multiplier)``, transposed kernels
``(*kernel_size, filters, in)``; channels-last inputs, ``data_format='channels_first'`` accepted
(the data is transposed around the channels-last kernels). The math is in
``numdeep.ops.convolution``.
"""

from numdeep import activations, initializers, regularizers
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import convolution as conv_ops
from numdeep.ops import eager as ops


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
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=None, bias_constraint=None,
        )
        return config
