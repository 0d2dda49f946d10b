"""``Permute``: reorder the non-batch axes of each sample."""

from numdeep import ops
from numdeep.layers.base import Layer


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
