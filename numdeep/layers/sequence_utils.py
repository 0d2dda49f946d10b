"""Sequence helpers: ``Masking`` (skip padded time steps) and ``RepeatVector``."""

import numpy as np

from numdeep import ops
from numdeep.autograd import Tensor
from numdeep.layers.base import Layer


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps zeroed; ``compute_mask`` returns the
    (batch, timesteps) booleans that recurrent layers take as ``mask=``.

    Args:
        mask_value: the padding value (default 0.0).

    Call arguments:
        inputs: (batch, timesteps, features) tensor.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], dtype="float32")
        >>> nd.layers.Masking().compute_mask(x)
        array([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        """``any(inputs != mask_value)`` over the last axis."""
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs, training=False):
        keep = self.compute_mask(inputs)
        return inputs * keep[..., None].astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class RepeatVector(Layer):
    """Repeats a (batch, features) input ``n`` times: (batch, n, features).

    The usual bridge from an encoder's last state to a decoder's time steps.

    Args:
        n: number of repetitions.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.RepeatVector(3)(np.ones((2, 5), dtype="float32")).shape
        (2, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"RepeatVector `n` must be a positive integer. Received: n={n!r}")
        self.n = int(n)

    def call(self, inputs, training=False):
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector layer '{self.name}' expects 2-D input (batch, "
                             f"features); received input of shape {tuple(inputs.shape)}.")
        n, features = inputs.shape
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (n, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, *input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
