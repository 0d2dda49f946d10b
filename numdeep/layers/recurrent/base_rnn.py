"""What the recurrent layers share: configuration, weights, states, masks, dropout, statefulness.

Each layer call is one fused primitive from ``numdeep.autograd.primitives.recurrent`` (the whole
time loop and its backpropagation through time), whatever the sequence length.
"""

import numpy as np

from numdeep import activations, initializers, regularizers
from numdeep.autograd import Tensor, data_of
from numdeep.autograd.primitives.recurrent import (
    FUSED_ACTIVATIONS,
    Unpack,
)
from numdeep.backend import make_rng
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer


def _array(x):
    return np.asarray(data_of(x))


def split_sequence_shape(input_shape):
    """The sequence's shape when ``input_shape`` also lists initial-state shapes."""
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple | list):
        return tuple(input_shape[0])
    return tuple(input_shape)


class FusedRNN(Layer):
    """Shared by the recurrent layers: configuration, weights, states, masks and dropout."""

    _op = None
    _gates = 1
    _n_states = 1
    supports_masking = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's kernel choice; there is one kernel here
        kwargs.pop("use_cudnn", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        kind = type(self).__name__
        if any(c is not None for c in (kernel_constraint, recurrent_constraint, bias_constraint)):
            raise NotImplementedError(f"{kind} layer '{self.name}': weight constraints are not "
                                      f"supported yet.")
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{kind} `units` must be a positive integer. Received: "
                             f"units={units!r}")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{kind} `{what}` must be in [0, 1). Received: {what}={rate}")
        self.units = int(units)
        self.activation = self._fused(activation, "activation")
        self.recurrent_activation = self._fused(recurrent_activation, "recurrent_activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed = seed
        self._rng = make_rng(seed)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.unroll = bool(unroll)  # accepted for Keras configs; the fused op never unrolls
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None

    def _fused(self, identifier, what):
        fn = activations.get(identifier)
        name = activations.serialize(fn)
        if name not in FUSED_ACTIVATIONS:
            raise ValueError(f"{type(self).__name__} `{what}` must be one of "
                             f"{', '.join(FUSED_ACTIVATIONS)} (the fused kernel differentiates "
                             f"through the activation's output). Received: {identifier!r}")
        return fn

    # ----- weights -----------------------------------------------------------------------
    def build(self, input_shape):
        shape = self._check_shape(split_sequence_shape(input_shape))
        width = self._gates * self.units
        self.kernel = self.add_weight((shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(),
                                        regularizer=self.bias_regularizer, name="bias")
        self._features = shape[-1]

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _check_shape(self, shape):
        kind = f"{type(self).__name__} layer '{self.name}'"
        if len(shape) != 3:
            hint = (f" For one feature per step, reshape it to {format_shape((*shape, 1))}."
                    if len(shape) == 2 else "")
            raise ValueError(f"{kind} expects 3-D input (batch, timesteps, features); received "
                             f"input of shape {format_shape(shape)}.{hint}")
        if shape[-1] is None:
            raise ValueError(f"{kind} needs a known number of features (last axis); received "
                             f"input shape {format_shape(shape)}.")
        if self.built and shape[-1] != self._features:
            raise ValueError(f"{kind} was built for {self._features} features per step; "
                             f"received input of shape {format_shape(shape)}.")
        if shape[1] == 0:
            raise ValueError(f"{kind} needs at least one time step; received input of shape "
                             f"{format_shape(shape)}.")
        return shape

    # ----- calling -----------------------------------------------------------------------
    def __call__(self, inputs, training=None, initial_state=None, **kwargs):
        # Initial states travel with the inputs so a functional graph records them as inputs.
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, list | tuple) else [initial_state]
            inputs = [inputs, *states]
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=False, mask=None):
        if isinstance(inputs, list | tuple):
            x, initial_state = inputs[0], list(inputs[1:])
        else:
            x, initial_state = inputs, None
        n, steps, _ = self._check_shape(x.shape)
        states = self._initial_states(initial_state, n)
        if training and self.dropout:
            x = x * self._dropout_mask((n, 1, x.shape[-1]), self.dropout, x.dtype)
        rmask = None
        if training and self.recurrent_dropout:
            rmask = self._dropout_mask((n, self.units), self.recurrent_dropout, x.dtype)
        y = self._op.apply(
            x, self.kernel, self.recurrent_kernel, self.bias, *states,
            mask=self._check_mask(mask, x.shape), recurrent_mask=rmask,
            go_backwards=self.go_backwards, return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask,
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            **self._op_params())
        n_out = steps if self.return_sequences else 1
        output = Unpack.apply(y, index=(slice(None), slice(0, steps) if self.return_sequences
                                        else 0))
        finals = [Unpack.apply(y, index=(slice(None), n_out + k)) for k in range(self._n_states)]
        if self.stateful:
            self.states = [np.array(s.data) for s in finals]
        return [output, *finals] if self.return_state else output

    def _op_params(self):
        return {}

    def _dropout_mask(self, shape, rate, dtype):
        keep = self._rng.random(shape) >= rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - rate), dtype)

    def _check_mask(self, mask, shape):
        if isinstance(mask, list | tuple):  # masks of [inputs, *initial_states]
            mask = mask[0]
        if mask is None:
            return None
        mask = _array(mask)
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if mask.shape != tuple(shape[:2]):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' received a mask of shape "
                f"{format_shape(mask.shape)} for inputs of shape {format_shape(shape)}; expected "
                f"a boolean mask of shape (batch, timesteps) = {format_shape(shape[:2])}.")
        return mask.astype(bool, copy=False)

    def _initial_states(self, initial_state, n):
        expected = (n, self.units)
        if initial_state is None:
            if not self.stateful or self.states is None:
                return [None] * self._n_states
            initial_state, source = self.states, "the stored states of this stateful layer"
        else:
            source = "initial_state"
        shapes = [tuple(np.shape(_array(s))) for s in initial_state]
        if len(shapes) != self._n_states or any(s != expected for s in shapes):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects {self._n_states} initial "
                f"state(s) of shape (batch, units) = {format_shape(expected)}; {source} has shapes "
                f"{[format_shape(s) for s in shapes]}."
                + (" Call reset_states() before changing the batch size."
                   if source != "initial_state" else ""))
        return [s if isinstance(s, Tensor) else np.asarray(s) for s in initial_state]

    def reset_states(self):
        """Zero the states a ``stateful`` layer carries from one batch to the next."""
        if self.states is not None:
            self.states = [np.zeros_like(s) for s in self.states]

    reset_state = reset_states

    # ----- shapes, masks, config ---------------------------------------------------------
    def compute_output_shape(self, input_shape):
        shape = split_sequence_shape(input_shape)
        out = (shape[0], shape[1], self.units) if self.return_sequences else (shape[0],
                                                                               self.units)
        if self.return_state:
            return [out] + [(shape[0], self.units)] * self._n_states
        return out

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the input mask for ``return_sequences`` (reversed with
        ``go_backwards``, as the outputs are), else None; None for returned states."""
        if isinstance(mask, list | tuple):
            mask = mask[0]
        out = None
        if mask is not None and self.return_sequences:
            out = _array(mask)[:, ::-1] if self.go_backwards else mask
        return [out] + [None] * self._n_states if self.return_state else out

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
            kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        return config


CALL_ARGS_DOC = """
    Call arguments:
        inputs: (batch, timesteps, features) tensor, or a list ``[inputs, *initial_states]``.
        training: apply ``dropout``/``recurrent_dropout`` (fresh masks every call, shared by
            all time steps).
        mask: (batch, timesteps) booleans; False steps keep the previous state and output it
            again (zeros with ``zero_output_for_mask``). Masks from ``Embedding(mask_zero=True)``
            or ``Masking`` arrive by themselves.
        initial_state: list of (batch, units) tensors (gradients flow into them).
"""


COMMON_ARGS_DOC = """
        use_bias: whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers (Keras
            defaults ``glorot_uniform``, ``orthogonal``, ``zeros``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            penalties added to the loss.
        dropout, recurrent_dropout: fraction of input / recurrent-state units dropped in
            training; ``seed`` seeds their masks.
        return_sequences: return the output of every step, (batch, timesteps, units), instead
            of the last one, (batch, units).
        return_state: also return the final state(s): ``[output, *states]``.
        go_backwards: process the sequence in reverse (and return the reversed sequence).
        stateful: each batch starts from the final states of the previous one
            (``reset_states()`` zeroes them).
        zero_output_for_mask: masked steps output zeros instead of the previous output.
"""
