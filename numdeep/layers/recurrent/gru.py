"""``GRU``: gated recurrent unit with Keras's gate order (z, r, h), ``reset_after`` included."""

from numdeep import activations
from numdeep.autograd.primitives.recurrent import (
    GRUSequence,
)
from numdeep.layers.recurrent.base_rnn import CALL_ARGS_DOC, COMMON_ARGS_DOC, FusedRNN


class GRU(FusedRNN):
    __doc__ = """Gated recurrent unit (Cho et al., 2014), Keras layout: ``kernel (features,
    3 units)``, ``recurrent_kernel (units, 3 units)``, gate order z, r, h; ``bias (2, 3 units)``
    (input and recurrent biases) with ``reset_after``, else ``(3 units,)``.

    Args:
        units: size of the state and output.
        activation: candidate activation (default ``tanh``).
        recurrent_activation: gate activation (default ``sigmoid``).
        reset_after: apply the reset gate after the recurrent matmul (Keras default, the
            cuDNN and PyTorch convention) or before it (the original paper's).""" + \
        COMMON_ARGS_DOC + CALL_ARGS_DOC + """
    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GRU(4)
        >>> layer(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 4)
        >>> layer.bias.shape
        (2, 12)
    """

    _op = GRUSequence
    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _op_params(self):
        return {"reset_after": self.reset_after}

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config
