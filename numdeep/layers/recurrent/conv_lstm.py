"""``ConvLSTMCell`` and ``ConvLSTM``: an LSTM whose input and recurrent transformations are
convolutions (Shi et al., 2015), with Keras's arguments and weight layout (``kernel (*k, in,
4 filters)``, ``recurrent_kernel (*k, filters, 4 filters)``, ``bias (4 filters,)``, gates i, f,
c, o). ``ConvLSTM1D/2D/3D`` (in ``conv_lstm_layers``) fix the rank."""

import numpy as np

from numdeep import activations, constraints, initializers, regularizers
from numdeep.autograd.primitives.recurrent import ZeroState
from numdeep.backend import standardize_data_format
from numdeep.layers.layer import Layer
from numdeep.layers.recurrent.cell_base import check_rate
from numdeep.layers.recurrent.dropout_rnn_cell import DropoutRNNCell
from numdeep.layers.recurrent.rnn import RNN
from numdeep.ops import eager as ops
from numdeep.ops.convolution import conv_padding, normalize_tuple
from numdeep.random import SeedGenerator

_CELL_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "unit_forget_bias",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
              "recurrent_dropout")


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One ConvLSTM step: ``z = conv(x, kernel) + bias + conv_same(h, recurrent_kernel)`` split
    into gates i, f, c, o; ``c' = f * c + i * activation(z_c)``, ``h' = o *
    activation(c')``. States ``[h, c]`` have the input conv's output shape.

    Args:
        rank: number of spatial axes (1, 2 or 3).
        filters: channels of the states and output.
        kernel_size, strides, padding (``'valid'``/``'same'``), data_format, dilation_rate: of
            the input convolution (the recurrent one is stride 1, ``'same'``).
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint: as for
            ``LSTMCell``.
        dropout, recurrent_dropout: rates of the per-gate input and state masks; ``seed``
            seeds them.

    Example:
        >>> import numpy as np
        >>> from numdeep.layers.recurrent import ConvLSTMCell
        >>> cell = ConvLSTMCell(rank=2, filters=4, kernel_size=3, padding="same")
        >>> x = np.ones((2, 5, 5, 3), dtype="float32")
        >>> h, (h2, c) = cell(x, [np.zeros((2, 5, 5, 4), "float32")] * 2)
        >>> h.shape, cell.kernel.shape
        ((2, 5, 5, 4), (3, 3, 3, 16))
    """

    _untracked_attrs = Layer._untracked_attrs | DropoutRNNCell.MASK_ATTRS

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        if rank > 3:
            raise ValueError(f"Rank {rank} convolutions are not currently implemented. "
                             f"Received: rank={rank}")
        self.rank, self.filters = rank, filters
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. "
                             f"Received: padding={padding}")
        self.data_format = standardize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Specifying `strides > 1` is not compatible with `dilation_rate > "
                             f"1`. Please provide `strides=1` or `dilation_rate=1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(type(self).__name__, "dropout", dropout)
        self.recurrent_dropout = check_rate(type(self).__name__, "recurrent_dropout",
                                            recurrent_dropout)
        self.dropout_mask_count = 4
        self.state_size = -1  # the states' shape follows the input's (see get_initial_state)

    def build(self, inputs_shape, states_shape=None):
        channel_axis = 1 if self.data_format == "channels_first" else -1
        self.spatial_dims = tuple(inputs_shape[2:] if channel_axis == 1 else inputs_shape[1:-1])
        if None in self.spatial_dims:
            raise ValueError(f"ConvLSTM layers only support static input shapes for the spatial "
                             f"dimension. Received invalid input shape: "
                             f"input_shape={inputs_shape}")
        if inputs_shape[channel_axis] is None:
            raise ValueError(f"The channel dimension of the inputs (last axis) should be "
                             f"defined. Found None. Full input shape received: "
                             f"input_shape={inputs_shape}")
        self.input_dim = inputs_shape[channel_axis]
        width = 4 * self.filters
        self.kernel = self.add_weight(self.kernel_size + (self.input_dim, width),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            self.kernel_size + (self.filters, width), self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((width,), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        n, base = self.filters, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            return np.concatenate([np.asarray(base((n,), dtype=dtype)), np.ones((n,), dtype),
                                   np.asarray(base((2 * n,), dtype=dtype))])

        return forget_bias_one

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        dp = self.get_dropout_mask(inputs) if training and self.dropout > 0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if training and self.recurrent_dropout > 0 else None)
        z_x = self._gate_convs(inputs, self.kernel, dp, self.strides, self.padding,
                               self.dilation_rate, self.bias)
        z_h = self._gate_convs(h_tm1, self.recurrent_kernel, rdp, 1, "same", 1, None)
        i = self.recurrent_activation(z_x[0] + z_h[0])
        f = self.recurrent_activation(z_x[1] + z_h[1])
        c = f * c_tm1 + i * self.activation(z_x[2] + z_h[2])
        o = self.recurrent_activation(z_x[3] + z_h[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _gate_convs(self, x, kernel, masks, strides, padding, dilation, bias):
        """The four gates' convolutions: one convolution with the whole kernel when no
        per-gate dropout mask applies, else one per gate (Keras's order of operations)."""
        axis = 1 if self.data_format == "channels_first" else -1
        n = self.filters
        if masks is None:
            y = ops.conv(x, kernel, bias=bias, strides=strides, padding=padding,
                         data_format=self.data_format, dilation_rate=dilation)
            return [y[:, k * n:(k + 1) * n] if axis == 1 else y[..., k * n:(k + 1) * n]
                    for k in range(4)]
        return [ops.conv(x * masks[k], kernel[..., k * n:(k + 1) * n],
                         bias=None if bias is None else bias[k * n:(k + 1) * n],
                         strides=strides, padding=padding, data_format=self.data_format,
                         dilation_rate=dilation) for k in range(4)]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        first = self.data_format == "channels_first"
        spatial = inputs_shape[2:] if first else inputs_shape[1:-1]
        out = []
        for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            if size is None:
                out.append(None)
                continue
            lo, hi = conv_padding(self.padding, size, k, s, d)
            out.append((size + lo + hi - d * (k - 1) - 1) // s + 1)
        shape = ((inputs_shape[0], self.filters, *out) if first
                 else (inputs_shape[0], *out, self.filters))
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        """Zero ``h`` and ``c`` with the input convolution's output shape."""
        if self.data_format == "channels_last":
            step = (batch_size, *self.spatial_dims, self.input_dim)
        else:
            step = (batch_size, self.input_dim, *self.spatial_dims)
        shape = self.compute_output_shape(step)[0]
        return [ZeroState.apply(shape=tuple(shape), dtype=self.dtype) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        config.update({name: _serialize(name, getattr(self, name)) for name in _CELL_ARGS})
        config["seed"] = self.seed
        return config


def _serialize(name, value):
    if name.endswith("activation"):
        return activations.serialize(value)
    if name.endswith("initializer"):
        return initializers.serialize(value)
    if name.endswith("regularizer"):
        return regularizers.serialize(value)
    if name.endswith("constraint"):
        return constraints.serialize(value)
    return value


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class ConvLSTM(RNN):
    """An ``RNN`` over a ``ConvLSTMCell``: inputs ``(batch, time, *spatial, channels)``
    (channels first with ``data_format='channels_first'``), outputs the last ``h`` (or all of
    them with ``return_sequences``).

    Args:
        rank: number of spatial axes; the other arguments are the cell's (see
            ``ConvLSTMCell``) and ``RNN``'s (``return_sequences``, ``return_state``,
            ``go_backwards``, ``stateful``), plus ``activity_regularizer``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.ConvLSTM2D(filters=2, kernel_size=3)
        >>> layer(np.ones((1, 4, 6, 6, 3), dtype="float32")).shape
        (1, 4, 4, 2)
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **kwargs)
        self.rank = rank

    filters = _from_cell("filters")
    kernel_size = _from_cell("kernel_size")
    strides = _from_cell("strides")
    padding = _from_cell("padding")
    data_format = _from_cell("data_format")
    dilation_rate = _from_cell("dilation_rate")
    activation = _from_cell("activation")
    recurrent_activation = _from_cell("recurrent_activation")
    use_bias = _from_cell("use_bias")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    unit_forget_bias = _from_cell("unit_forget_bias")
    kernel_regularizer = _from_cell("kernel_regularizer")
    recurrent_regularizer = _from_cell("recurrent_regularizer")
    bias_regularizer = _from_cell("bias_regularizer")
    kernel_constraint = _from_cell("kernel_constraint")
    recurrent_constraint = _from_cell("recurrent_constraint")
    bias_constraint = _from_cell("bias_constraint")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                             f"{self.rank + 3} (batch, time, *spatial, channels); received input "
                             f"of shape {sequences_shape}.")
        super().build(sequences_shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.compute_output_shape((batch, *sequences_shape[2:]))[0][1:]
        out = (batch, steps, *state) if self.return_sequences else (batch, *state)
        if self.return_state:
            return out, (batch, *state), (batch, *state)
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    def get_config(self):
        config = Layer.get_config(self)
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask,
                      activity_regularizer=regularizers.serialize(self.activity_regularizer),
                      seed=self.cell.seed)
        config.update({name: _serialize(name, getattr(self, name)) for name in _CELL_ARGS})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
