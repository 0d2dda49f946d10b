"""What ``SimpleRNN``, ``LSTM`` and ``GRU`` share: an ``RNN`` around a built-in cell (weights
live in the cell, as in Keras: ``lstm/lstm_cell/kernel``), the cell's arguments as properties,
input checks that name the layer, and the Keras config (the cell's arguments, no ``cell``).

Each call is one fused primitive from ``numdeep.autograd.primitives.recurrent`` (the whole time
loop and its backpropagation through time), whatever the sequence length; an activation the
fused op lacks makes the layer step its cell instead.
"""

from numdeep import regularizers
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.layers.recurrent.rnn import RNN


def from_cell(name):
    """A read-only property forwarding to the cell's attribute ``name``."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class FusedRNN(RNN):
    """Shared by the recurrent layers built on ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``."""

    _fused_shares_gate_masks = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid valid received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.use_cudnn = use_cudnn  # numdeep has no cuDNN: its fused op runs either way

    units = from_cell("units")
    activation = from_cell("activation")
    use_bias = from_cell("use_bias")
    kernel_initializer = from_cell("kernel_initializer")
    recurrent_initializer = from_cell("recurrent_initializer")
    bias_initializer = from_cell("bias_initializer")
    kernel_regularizer = from_cell("kernel_regularizer")
    recurrent_regularizer = from_cell("recurrent_regularizer")
    bias_regularizer = from_cell("bias_regularizer")
    kernel_constraint = from_cell("kernel_constraint")
    recurrent_constraint = from_cell("recurrent_constraint")
    bias_constraint = from_cell("bias_constraint")
    dropout = from_cell("dropout")
    recurrent_dropout = from_cell("recurrent_dropout")
    kernel = from_cell("kernel")
    recurrent_kernel = from_cell("recurrent_kernel")
    bias = from_cell("bias")

    def _check_shape(self, shape):
        kind = f"{type(self).__name__} layer '{self.name}'"
        shape = tuple(shape)
        if len(shape) != 3:
            hint = (f" For one feature per step, reshape it to {format_shape((*shape, 1))}."
                    if len(shape) == 2 else "")
            raise ValueError(f"{kind} expects 3-D input (batch, timesteps, features); received "
                             f"input of shape {format_shape(shape)}.{hint}")
        if shape[-1] is None:
            raise ValueError(f"{kind} needs a known number of features (last axis); received "
                             f"input shape {format_shape(shape)}.")
        if self.cell.built and shape[-1] != self.cell.kernel.shape[0]:
            raise ValueError(f"{kind} was built for {self.cell.kernel.shape[0]} features per "
                             f"step; received input of shape {format_shape(shape)}.")
        return shape

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and \
                isinstance(sequences_shape[0], tuple | list):
            sequences_shape = sequences_shape[0]  # [sequences, *initial_states] shapes
        super().build(self._check_shape(sequences_shape))

    def call(self, sequences, initial_state=None, mask=None, training=False):
        x = sequences[0] if isinstance(sequences, list | tuple) else sequences
        self._check_shape(x.shape)
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask,
                      activity_regularizer=regularizers.serialize(self.activity_regularizer))
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        config.update(cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and \
                isinstance(sequences_shape[0], tuple | list):
            sequences_shape = sequences_shape[0]
        return super().compute_output_shape(sequences_shape)


CALL_ARGS_DOC = """
    Call arguments:
        sequences: (batch, timesteps, features).
        initial_state: list of (batch, units) tensors (gradients flow into them).
        training: apply ``dropout``/``recurrent_dropout`` (fresh masks every call, shared by
            all time steps).
        mask: (batch, timesteps) booleans; False steps keep the previous state and output it
            again (zeros with ``zero_output_for_mask``). Masks from ``Embedding(mask_zero=True)``
            or ``Masking`` arrive by themselves.
"""


COMMON_ARGS_DOC = """
        use_bias: whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers (Keras
            defaults ``glorot_uniform``, ``orthogonal``, ``zeros``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            penalties added to the loss.
        kernel_constraint, recurrent_constraint, bias_constraint: projections applied to the
            weights after each optimizer step.
        dropout, recurrent_dropout: fraction of input / recurrent-state units dropped in
            training; ``seed`` seeds their masks.
        return_sequences: return the output of every step, (batch, timesteps, units), instead
            of the last one, (batch, units).
        return_state: also return the final state(s): ``(output, *states)``.
        go_backwards: process the sequence in reverse (and return the reversed sequence).
        stateful: each batch starts from the final states of the previous one
            (``reset_states()`` zeroes them).
        unroll: accepted for Keras compatibility (the fused op needs no unrolling).
        zero_output_for_mask: masked steps output zeros instead of the previous output."""
