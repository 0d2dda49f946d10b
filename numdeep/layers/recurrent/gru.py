"""``GRUCell`` and ``GRU``: gated recurrent unit with Keras's gate order (z, r, h),
``reset_after`` included."""

from numdeep.autograd.primitives.recurrent import GRUSequence
from numdeep.layers.recurrent.base_rnn import (
    CALL_ARGS_DOC,
    COMMON_ARGS_DOC,
    FusedRNN,
    from_cell,
)
from numdeep.layers.recurrent.cell_base import CellBase, split_gates


class GRUCell(CellBase):
    """One GRU step (Cho et al., 2014), Keras's equations and layout:
    ``z, r = recurrent_activation(x W_zr + h U_zr + b)``; with ``reset_after`` (the default, the
    cuDNN and PyTorch convention) ``hh = activation(x W_h + b_h + r * (h U_h + b_rec_h))``,
    else ``hh = activation(x W_h + b_h + (r * h) U_h)``; ``h' = z * h + (1 - z) * hh``.

    Weights: ``kernel (features, 3 units)``, ``recurrent_kernel (units, 3 units)``, ``bias``
    ``(2, 3 units)`` (input and recurrent biases) with ``reset_after``, else ``(3 units,)``.

    Args:
        units: size of the state.
        activation, recurrent_activation: defaults ``tanh`` and ``sigmoid``.
        reset_after: apply the reset gate after the recurrent matmul.
        use_bias, initializers, regularizers, constraints: as for ``GRU``.
        dropout, recurrent_dropout: rates of the input and state masks; with
            ``recurrent_dropout`` each gate gets its own masks, as in Keras. ``seed`` seeds them.

    Call arguments:
        inputs: ``(batch, features)``; states: ``[h]`` or ``h``; training: apply dropout.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> cell = nd.layers.GRUCell(3)
        >>> h, _ = cell(np.ones((2, 4), dtype="float32"), np.zeros((2, 3), "float32"))
        >>> h.shape, [w.shape for w in cell.weights]
        ((2, 3), [(4, 9), (3, 9), (2, 9)])
    """

    _gates = 3
    _fused_op = GRUSequence

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
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
            self.dropout_mask_count = 3
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _fused_params(self):
        return {"reset_after": self.reset_after}

    def call(self, inputs, states, training=False):
        nested = isinstance(states, list | tuple)
        h_tm1 = states[0] if nested else states
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = ((self.bias[0], self.bias[1]) if self.reset_after
                                          else (self.bias, None))
        per_gate = self.implementation == 1
        dp = self.get_dropout_mask(inputs) if training and self.dropout > 0 else None
        rdp = (self.get_recurrent_dropout_mask(h_tm1)
               if training and self.recurrent_dropout > 0 else None)
        xs = [inputs if dp is None else inputs * (dp[k] if per_gate else dp) for k in range(3)]
        hs = [h_tm1 if rdp is None else h_tm1 * (rdp[k] if per_gate else rdp)
              for k in range(3)]
        kernels = split_gates(self.kernel, 3)
        recurrent = split_gates(self.recurrent_kernel, 3)
        x_z, x_r, x_h = (x @ k for x, k in zip(xs, kernels))
        if input_bias is not None:
            b_z, b_r, b_h = split_gates(input_bias, 3)
            x_z, x_r, x_h = x_z + b_z, x_r + b_r, x_h + b_h
        rec_z, rec_r = hs[0] @ recurrent[0], hs[1] @ recurrent[1]
        if recurrent_bias is not None:
            rb_z, rb_r, rb_h = split_gates(recurrent_bias, 3)
            rec_z, rec_r = rec_z + rb_z, rec_r + rb_r
        z = self.recurrent_activation(x_z + rec_z)
        r = self.recurrent_activation(x_r + rec_r)
        if self.reset_after:
            rec_h = hs[2] @ recurrent[2]
            if recurrent_bias is not None:
                rec_h = rec_h + rb_h
            rec_h = r * rec_h
        else:
            rec_h = (r * hs[2]) @ recurrent[2]
        hh = self.activation(x_h + rec_h)
        h = z * h_tm1 + (1.0 - z) * hh
        return h, ([h] if nested else h)

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


class GRU(FusedRNN):
    __doc__ = """Gated recurrent unit (Cho et al., 2014): an ``RNN`` around a ``GRUCell``
    (Keras layout in ``layer.cell``: ``kernel (features, 3 units)``, ``recurrent_kernel
    (units, 3 units)``, gate order z, r, h; ``bias (2, 3 units)`` with ``reset_after``, else
    ``(3 units,)``). The fused op shares one recurrent-dropout mask across the gates.

    Args:
        units: size of the state and output.
        activation: candidate activation (default ``tanh``).
        recurrent_activation: gate activation (default ``sigmoid``).
        reset_after: apply the reset gate after the recurrent matmul (Keras default, the
            cuDNN and PyTorch convention) or before it (the original paper's).""" + \
        COMMON_ARGS_DOC + """
        use_cudnn: accepted for Keras compatibility (``'auto'``, True or False).""" + \
        CALL_ARGS_DOC + """
    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GRU(4)
        >>> layer(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 4)
        >>> layer.cell.bias.shape
        (2, 12)
    """

    recurrent_activation = from_cell("recurrent_activation")
    reset_after = from_cell("reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", seed=seed, implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, activity_regularizer=activity_regularizer,
                         **kwargs)
