"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector``."""

import math

import numpy as np

from numdeep.backend import standardize_data_format
from numdeep.layers.input_spec import InputSpec
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
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.transpose(0, *range(2, inputs.ndim), 1)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1: inferred from the size).

    Args:
        target_shape: the shape of one output sample (without the batch axis).

    Call arguments:
        inputs: a tensor with as many values per sample as ``target_shape`` holds; with a -1,
            inputs of varying sizes are accepted (the -1 follows them).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Reshape((3, 4))(np.zeros((2, 12), dtype="float32")).shape
        (2, 3, 4)
        >>> nd.layers.Reshape((-1, 8))(nd.Input((6, 4))).shape
        (None, 3, 8)
    """

    supports_masking = False

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        for d in target_shape:
            if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < -1:
                raise ValueError(f"Each dimension in `target_shape` must be a non-negative "
                                 f"integer, or `-1` for a single unknown dimension. Received: "
                                 f"target_shape={target_shape}.")
        if target_shape.count(-1) > 1:
            raise ValueError(f"There must be at most one unknown dimension (-1) in "
                             f"`target_shape`. Received: target_shape={target_shape}.")
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, sample_shape):
        """``target_shape`` with its -1 worked out (``None`` when a size is unknown)."""
        if None in sample_shape:
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 not in self.target_shape:
            if known != total:
                raise self._mismatch(sample_shape)
            return self.target_shape
        if known == 0 or total % known:
            raise self._mismatch(sample_shape)
        return tuple(total // known if d == -1 else d for d in self.target_shape)

    def _mismatch(self, sample_shape):
        return ValueError(
            f"The total size of the tensor must be unchanged. Reshape layer '{self.name}' "
            f"received: input_shape={tuple(sample_shape)} ({math.prod(sample_shape)} values per "
            f"sample), target_shape={self.target_shape}"
        )

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], *self._resolve(tuple(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(tuple(input_shape[1:])))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
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

    def call(self, inputs):
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
        if not isinstance(n, int | np.integer) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        n, features = inputs.shape
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (n, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, *input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
