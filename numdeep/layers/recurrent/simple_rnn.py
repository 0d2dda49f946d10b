"""``SimpleRNN``: the fully connected recurrent layer, ``h_t = activation(x_t W + h_{t-1} U + b)``.
"""

from numdeep.autograd.primitives.recurrent import (
    SimpleRNNSequence,
)
from numdeep.layers.recurrent.base_rnn import CALL_ARGS_DOC, COMMON_ARGS_DOC, FusedRNN


class SimpleRNN(FusedRNN):
    __doc__ = """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)``, weights ``kernel (features, units)``, ``recurrent_kernel (units, units)``, ``bias
    (units,)``.

    Args:
        units: size of the state and output.
        activation: one of ``tanh`` (default), ``sigmoid``, ``hard_sigmoid``, ``relu``,
            ``linear``.""" + COMMON_ARGS_DOC + CALL_ARGS_DOC + """
    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SimpleRNN(4, return_sequences=True)
        >>> layer(np.ones((2, 7, 3), dtype="float32")).shape
        (2, 7, 4)
    """

    _op = SimpleRNNSequence

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
