"""``LSTM``: long short-term memory with Keras's gate order (i, f, c, o) and weight layout."""

import numpy as np

from numdeep import activations
from numdeep.autograd.primitives.recurrent import (
    LSTMSequence,
)
from numdeep.layers.recurrent.base_rnn import CALL_ARGS_DOC, COMMON_ARGS_DOC, FusedRNN


class LSTM(FusedRNN):
    __doc__ = """Long short-term memory layer (Hochreiter and Schmidhuber, 1997), Keras layout:
    ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)``, ``bias (4 units,)``,
    gate order i, f, c, o.

    Args:
        units: size of the hidden and cell states and of the output.
        activation: cell and output activation (default ``tanh``).
        recurrent_activation: gate activation (default ``sigmoid``); both from ``tanh``,
            ``sigmoid``, ``hard_sigmoid``, ``relu``, ``linear``.
        unit_forget_bias: add 1 to the forget gate's initial bias.""" + COMMON_ARGS_DOC + \
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

    _op = LSTMSequence
    _gates = 4
    _n_states = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            ones = np.ones((units,), dtype=dtype)
            return np.concatenate([base((units,), dtype=dtype), ones,
                                   base((2 * units,), dtype=dtype)])

        return forget_bias_one

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config
