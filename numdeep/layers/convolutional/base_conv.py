"""``BaseConv``: what every convolution layer shares (arguments and their checks, kernel and
bias, output shapes, channels-first handling, LoRA for the plain convolutions).

Keras arguments, defaults, error messages and weight layouts: kernels
``(*kernel_size, in // groups, filters)``, depthwise kernels ``(*kernel_size, in,
depth_multiplier)``, transposed kernels ``(*kernel_size, filters, in)``; channels-last inputs,
``data_format='channels_first'`` accepted (the data is transposed around the channels-last
kernels). The math is in ``numdeep.ops.convolution``.
"""

from numdeep import activations, constraints, initializers, regularizers
from numdeep.backend import standardize_data_format
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.layers.lora import LoRA
from numdeep.ops import conv_shapes
from numdeep.ops import eager as ops


def positive_int(value, name):
    """``value`` checked as a strictly positive int (Keras's message)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive "
                         f"value. Received {name}={value}.")
    return value


class BaseConv(LoRA, Layer):
    """Shared validation, shape logic, weights and config of the convolution layers (rank 1, 2
    or 3). Subclasses set ``rank``, ``paddings`` and, for LoRA, ``supports_lora``."""

    rank = 2
    paddings = ("valid", "same")
    supports_lora = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        if (lora_rank is not None or lora_alpha is not None) and not self.supports_lora:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument 'lora_rank'")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        n = self.rank
        self.filters = None if filters is None else positive_int(filters, "filters")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. "
                             f"Received: groups={groups}.")
        if filters is not None and filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.groups = groups
        self.kernel_size = conv_shapes.normalize_tuple(kernel_size, n, "kernel_size")
        self.strides = conv_shapes.normalize_tuple(strides, n, "strides")
        self.dilation_rate = conv_shapes.normalize_tuple(dilation_rate, n, "dilation_rate")
        self._check_strides_and_dilation()
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in self.paddings:
            raise ValueError(f"The `padding` argument must be one of {self.paddings}. "
                             f"Received: padding={padding!r}")
        self.padding = padding
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self._fitted_shape = None
        self.input_spec = InputSpec(ndim=n + 2)

    def _check_strides_and_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

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
        self.compute_output_shape(tuple(shape))
        return channels

    def _out_channels(self, channels):
        return self.filters

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis]
        out = None if channels is None else self._out_channels(channels)
        return conv_shapes.conv_output_shape(input_shape, out, self.kernel_size, self.strides,
                                             self.padding, self.data_format, self.dilation_rate,
                                             f"{type(self).__name__} layer '{self.name}': ")

    # ----- weights and call --------------------------------------------------------------
    def build(self, input_shape):
        channels = self._check_input(input_shape)
        if channels % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {channels} channels (full input shape is "
                             f"{tuple(input_shape)}).")
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self._kernel = self._add_kernel(shape, "kernel")
        self._build_bias(self.filters)
        self._set_spec(channels)
        if self.lora_rank:
            self.built = True  # enable_lora extends a built layer
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def _add_kernel(self, shape, name, prefix="kernel"):
        """A kernel weight configured by the ``{prefix}_initializer/regularizer/constraint``
        arguments."""
        return self.add_weight(shape, getattr(self, f"{prefix}_initializer"),
                               regularizer=getattr(self, f"{prefix}_regularizer"),
                               constraint=getattr(self, f"{prefix}_constraint"), name=name)

    def _build_bias(self, n):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((n,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")

    def _set_spec(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    @property
    def kernel(self):
        """The kernel Variable (with LoRA enabled: the kernel plus its scaled low-rank
        update)."""
        if "_kernel" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} layer '{self.name}' has no `kernel` "
                                 f"until it is built.")
        return self._lora_merged(self._kernel)

    @kernel.setter
    def kernel(self, value):
        self._kernel = value

    def _prepare(self, inputs):
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        if inputs.shape != self._fitted_shape:  # checked once per input shape
            self.compute_output_shape(inputs.shape)
            self._fitted_shape = inputs.shape
        return inputs

    def call(self, inputs):
        y = ops.conv(self._prepare(inputs), self.kernel, self.strides, self.padding,
                     self.data_format, self.dilation_rate, bias=self.bias)
        return self.activation(y)

    # ----- LoRA (Conv1D/2D/3D only, as in Keras) -------------------------------------------
    def _lora_base(self):
        return self.__dict__.get("_kernel")

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze the kernel and train a low-rank update ``a @ b`` scaled by
        ``lora_alpha / rank``: ``a`` is ``(*kernel_size, in // groups, rank)``, ``b`` is
        ``(rank, filters)`` (Keras's ``lora_kernel_a``/``lora_kernel_b``)."""
        if not self.supports_lora:
            raise ValueError(f"{type(self).__name__} does not support LoRA.")
        super().enable_lora(rank, lora_alpha, a_initializer, b_initializer)
        # The factors sit beside the kernel, wherever it was built (e.g. in a model's scope).
        scope = self._kernel.path.rpartition("/")[0]
        for v in self._lora_factors():
            v.path = f"{scope}/{v.name}" if scope else v.name

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
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        config.update(self._lora_config())
        return config
