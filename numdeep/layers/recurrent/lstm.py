"""``LSTMCell`` and ``LSTM``: long short-term memory with Keras's gate order (i, f, c, o)."""

import numpy as np

from numdeep.autograd.primitives.recurrent import LSTMSequence
from numdeep.layers.recurrent.base_rnn import (
    CALL_ARGS_DOC,
    COMMON_ARGS_DOC,
    FusedRNN,
    from_cell,
)
from numdeep.layers.recurrent.cell_base import CellBase, split_gates


class LSTMCell(CellBase):
    """One LSTM step (Hochreiter and Schmidhuber, 1997), Keras's equations and layout:
    ``z = x @ kernel + h @ recurrent_kernel + bias`` split into gates i, f, c, o;
    ``c' = f * c + i * activation(z_c)`` with i, f, o through ``recurrent_activation``;
    ``h' = o * activation(c')``. States ``[h, c]``.

    Weights: ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)``, ``bias
    (4 units,)``. In ``RNN`` the cell runs as the fused op ``LSTM`` uses.

    Args:
        units: size of the hidden and cell states.
        activation, recurrent_activation: defaults ``tanh`` and ``sigmoid``.
        unit_forget_bias: add 1 to the forget gate's initial bias.
        use_bias, initializers, regularizers, constraints: as for ``LSTM``.
        dropout, recurrent_dropout: rates of the input and state masks; with
            ``recurrent_dropout`` (or ``implementation=1``) each gate gets its own masks, as in
            Keras. ``seed`` seeds them.

    Call arguments:
        inputs: ``(batch, features)``; states: ``[h, c]``; training: apply dropout.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> cell = nd.layers.LSTMCell(3)
        >>> zeros = np.zeros((2, 3), "float32")
        >>> h, (h2, c) = cell(np.ones((2, 4), dtype="float32"), [zeros, zeros])
        >>> h.shape, c.shape, cell.state_size
        ((2, 3), (2, 3), [3, 3])
    """

    _gates = 4
    _fused_op = LSTMSequence

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            return np.concatenate([np.asarray(base((units,), dtype=dtype)),
                                   np.ones((units,), dtype=dtype),
                                   np.asarray(base((2 * units,), dtype=dtype))])

        return forget_bias_one

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        if self.implementation == 1:
            z = self._per_gate_preactivations(inputs, h_tm1, training)
        else:
            if training and self.dropout > 0:
                inputs = inputs * self.get_dropout_mask(inputs)
            z = inputs @ self.kernel + h_tm1 @ self.recurrent_kernel
            if self.bias is not None:
                z = z + self.bias
            z = split_gates(z, 4)
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_tm1 + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _per_gate_preactivations(self, inputs, h_tm1, training):
        """The four gates' pre-activations, each from its own dropout masks (Keras's
        ``implementation=1``)."""
        dp = self.get_dropout_mask(inputs) if training and self.dropout > 0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if training and self.recurrent_dropout > 0 else None)
        kernels = split_gates(self.kernel, 4)
        recurrent = split_gates(self.recurrent_kernel, 4)
        biases = split_gates(self.bias, 4) if self.bias is not None else [None] * 4
        z = []
        for k in range(4):
            x = inputs if dp is None else inputs * dp[k]
            h = h_tm1 if rdp is None else h_tm1 * rdp[k]
            zk = x @ kernels[k] + h @ recurrent[k]
            z.append(zk if biases[k] is None else zk + biases[k])
        return z

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class LSTM(FusedRNN):
    __doc__ = """Long short-term memory layer (Hochreiter and Schmidhuber, 1997): an ``RNN``
    around an ``LSTMCell`` (Keras layout in ``layer.cell``: ``kernel (features, 4 units)``,
    ``recurrent_kernel (units, 4 units)``, ``bias (4 units,)``, gate order i, f, c, o).

    The fused op shares one recurrent-dropout mask across the four gates (Keras draws one per
    gate): the layer keeps its single-op speed with ``recurrent_dropout``. ``RNN(LSTMCell)``
    with ``recurrent_dropout`` steps the cell with Keras's per-gate masks.

    Args:
        units: size of the hidden and cell states and of the output.
        activation: cell and output activation (default ``tanh``).
        recurrent_activation: gate activation (default ``sigmoid``); the fused op runs
            ``tanh``, ``sigmoid``, ``hard_sigmoid``, ``relu``, ``linear``, other activations
            step the cell.
        unit_forget_bias: add 1 to the forget gate's initial bias.""" + COMMON_ARGS_DOC + """
        use_cudnn: accepted for Keras compatibility (``'auto'``, True or False).""" + \
        CALL_ARGS_DOC + """
    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.LSTM(8, return_state=True)
        >>> output, h, c = layer(np.ones((2, 5, 3), dtype="float32"))
        >>> output.shape, c.shape
        ((2, 8), (2, 8))
        >>> [w.shape for w in layer.weights]
        [(3, 32), (8, 32), (32,)]
    """

    recurrent_activation = from_cell("recurrent_activation")
    unit_forget_bias = from_cell("unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="lstm_cell", seed=seed,
            implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, activity_regularizer=activity_regularizer,
                         **kwargs)
