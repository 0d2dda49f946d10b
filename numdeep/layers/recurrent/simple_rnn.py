"""``SimpleRNNCell`` and ``SimpleRNN``: ``h_t = activation(x_t W + b + h_{t-1} U)``."""

from numdeep.autograd.primitives.recurrent import SimpleRNNSequence
from numdeep.layers.recurrent.base_rnn import CALL_ARGS_DOC, COMMON_ARGS_DOC, FusedRNN
from numdeep.layers.recurrent.cell_base import CellBase


class SimpleRNNCell(CellBase):
    """One step of a fully connected RNN: ``output = activation(x @ kernel + bias +
    h @ recurrent_kernel)``, the output being the new state.

    Weights: ``kernel (features, units)``, ``recurrent_kernel (units, units)``, ``bias
    (units,)``. Use it in ``RNN`` (``RNN(SimpleRNNCell(n))`` computes what ``SimpleRNN(n)``
    does, through the same fused op).

    Args:
        units: size of the state and output.
        activation: default ``tanh``.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: as for ``SimpleRNN``.
        dropout, recurrent_dropout: rates of the input and state masks (one mask each per
            sequence, see ``DropoutRNNCell``); ``seed`` seeds them.

    Call arguments:
        sequence: ``(batch, features)``, one step's input.
        states: ``[h]`` or ``h``, ``(batch, units)``.
        training: apply dropout.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> cell = nd.layers.SimpleRNNCell(3)
        >>> out, (h,) = cell(np.ones((2, 4), dtype="float32"), [np.zeros((2, 3), "float32")])
        >>> out.shape, bool((out.numpy() == h.numpy()).all())
        ((2, 3), True)
    """

    _gates = 1
    _fused_op = SimpleRNNSequence

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def call(self, sequence, states, training=False):
        nested = isinstance(states, list | tuple)
        prev = states[0] if nested else states
        if training and self.dropout > 0:
            sequence = sequence * self.get_dropout_mask(sequence)
        h = sequence @ self.kernel
        if self.bias is not None:
            h = h + self.bias
        if training and self.recurrent_dropout > 0:
            prev = prev * self.get_recurrent_dropout_mask(prev)
        output = h + prev @ self.recurrent_kernel
        if self.activation is not None:
            output = self.activation(output)
        return output, ([output] if nested else output)


class SimpleRNN(FusedRNN):
    __doc__ = """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)``, an ``RNN`` around a ``SimpleRNNCell`` (weights ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)`` in ``layer.cell``).

    Args:
        units: size of the state and output.
        activation: the fused op runs ``tanh`` (default), ``sigmoid``, ``hard_sigmoid``,
            ``relu`` and ``linear``; other activations step the cell.""" + COMMON_ARGS_DOC + \
        CALL_ARGS_DOC + """
    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SimpleRNN(4, return_sequences=True, name="rnn")
        >>> layer(np.ones((2, 7, 3), dtype="float32")).shape
        (2, 7, 4)
        >>> [w.path for w in layer.weights][0]
        'rnn/simple_rnn_cell/kernel'
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
