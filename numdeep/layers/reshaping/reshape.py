"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector``."""

import math

import numpy as np

from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class Flatten(Layer):
    """Flattens each sample to one dimension: ``(N, d1, d2, ...)`` -> ``(N, d1*d2*...)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Flatten()(np.zeros((2, 28, 28), dtype="float32")).shape
        (2, 784)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten `data_format` must be 'channels_last' or "
                             f"'channels_first'. Received: {data_format!r}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs, training=False):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.transpose(0, *range(2, inputs.ndim), 1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Reshape((3, 4))(np.zeros((2, 12), dtype="float32")).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in target_shape) > 1 or any(s < -1 or s == 0 for s in target_shape):
            raise ValueError(
                f"Reshape `target_shape` may hold positive sizes and at most one -1. "
                f"Received: {target_shape}"
            )
        self.target_shape = target_shape

    def _resolve(self, input_shape):
        total = math.prod(input_shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        if -1 in self.target_shape:
            if total % known:
                raise self._mismatch(input_shape)
            return tuple(total // known if s == -1 else s for s in self.target_shape)
        if known != total:
            raise self._mismatch(input_shape)
        return self.target_shape

    def _mismatch(self, input_shape):
        return ValueError(
            f"Reshape layer '{self.name}' cannot reshape input of shape {tuple(input_shape)} "
            f"({math.prod(input_shape[1:])} values per sample) to target_shape "
            f"{self.target_shape}."
        )

    def call(self, inputs, training=False):
        return inputs.reshape(inputs.shape[0], *self._resolve(inputs.shape))

    def compute_output_shape(self, input_shape):
        if any(s is None for s in input_shape[1:]):
            return (input_shape[0], *(None if s == -1 else s for s in self.target_shape))
        return (input_shape[0], *self._resolve(input_shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permutes the axes of each sample; ``dims`` counts from 1 (the batch axis stays first).

    Args:
        dims: a permutation of ``1..rank-1``, e.g. ``(2, 1)`` swaps the two axes of a sequence
            ``(batch, steps, features)``.

    Call arguments:
        inputs: a tensor of rank ``len(dims) + 1``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Permute((2, 1))(np.zeros((4, 10, 64), dtype="float32")).shape
        (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise ValueError(f"Permute `dims` must be a tuple of ints. Received: dims={dims!r}") \
                from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Invalid permutation argument `dims` for Permute layer: the indices must be a "
                f"permutation of 1..{len(dims)} (the batch axis 0 is never moved). "
                f"Received: dims={dims}"
            )
        self.dims = dims

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute layer '{self.name}' with dims={self.dims} expects inputs of rank "
                f"{len(self.dims) + 1}; received input shape {tuple(input_shape)}."
            )

    def call(self, inputs, training=False):
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
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
