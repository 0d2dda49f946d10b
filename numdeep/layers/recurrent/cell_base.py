"""What the built-in cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) share: arguments,
weights ``kernel``/``recurrent_kernel``/``bias`` in Keras's layout, initial states, config, and
the description of the fused sequence op that ``RNN`` runs instead of stepping the cell."""

import numpy as np

from numdeep import activations, constraints, initializers, regularizers
from numdeep.autograd.primitives.recurrent import FUSED_ACTIVATIONS, ZeroState
from numdeep.layers.layer import Layer
from numdeep.layers.recurrent.dropout_rnn_cell import DropoutRNNCell
from numdeep.random import SeedGenerator


def check_units(units):
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or units <= 0:
        raise ValueError(f"Received an invalid value for argument `units`, expected a positive "
                         f"integer, got {units}.")
    return int(units)


def check_rate(owner, what, rate):
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{owner} `{what}` must be in [0, 1). Received: {what}={rate}")
    return float(rate)


def activation_name(fn):
    """The registered name of an activation function, or None for a custom one."""
    try:
        name = activations.serialize(fn)
    except (TypeError, ValueError):
        return None
    return name if isinstance(name, str) else None


class CellBase(Layer, DropoutRNNCell):
    """Shared by the built-in cells; subclasses set ``_gates`` (column blocks of the kernels)
    and ``_fused_op`` (the ``numdeep.autograd.primitives.recurrent`` op of a whole sequence)."""

    _untracked_attrs = Layer._untracked_attrs | DropoutRNNCell.MASK_ATTRS

    _gates = 1
    _fused_op = None

    def __init__(self, units, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        units = check_units(units)
        kwargs.pop("implementation", None)  # Keras's choice of kernel; numdeep has its own
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.units = units
        self.activation = activations.get(activation)
        if recurrent_activation is not None:
            self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(kind, "dropout", dropout)
        self.recurrent_dropout = check_rate(kind, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        width = self._gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(
            (self.units, width), self.recurrent_initializer, name="recurrent_kernel",
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def get_initial_state(self, batch_size=None):
        """Zero states, one ``(batch_size, units)`` Tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ZeroState.apply(shape=(batch_size, s), dtype=self.dtype) for s in sizes]

    # ----- the fused path -----------------------------------------------------------------
    def _fused_activations(self):
        """``{'activation': name, 'recurrent_activation': name}`` when the fused op supports
        both activations, else None (looked up once per pair of activation functions)."""
        key = (self.activation, getattr(self, "recurrent_activation", activations.sigmoid))
        cached = self.__dict__.get("_fused_names")
        if cached is None or cached[0] != key:
            names = {"activation": activation_name(key[0]),
                     "recurrent_activation": activation_name(key[1])}
            if any(n not in FUSED_ACTIVATIONS for n in names.values()):
                names = None
            cached = self._fused_names = (key, names)
        return cached[1]

    def _fused_params(self):
        return {}

    def _shares_one_recurrent_mask(self):
        """Whether this cell's recurrent dropout is one mask for all gates (the fused op's)."""
        return getattr(self, "dropout_mask_count", None) is None

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
        )
        if hasattr(self, "recurrent_activation"):
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


def split_gates(x, n):
    """The ``n`` equal column blocks of ``x``."""
    width = x.shape[-1] // n
    return [x[..., k * width:(k + 1) * width] for k in range(n)]
