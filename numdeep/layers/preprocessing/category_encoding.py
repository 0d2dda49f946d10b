"""``CategoryEncoding``: integer category indices to one-hot, multi-hot or count vectors."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical
from numdeep.ops.symbolic import KerasTensor

__all__ = ["CategoryEncoding"]


class CategoryEncoding(Layer):
    """Encodes integer features in ``[0, num_tokens)`` as dense vectors.

    Args:
        num_tokens: the number of categories; inputs must lie in ``[0, num_tokens)``.
        output_mode: ``'multi_hot'`` (default: one vector per sample, 1 where a category
            occurs), ``'one_hot'`` (one vector per element; a trailing axis of size 1 is
            replaced) or ``'count'`` (how often each category occurs, weighted by
            ``count_weights`` when given).
        sparse: unsupported (numdeep arrays are dense); must be False.

    Call arguments:
        inputs: integer array of rank 0, 1 or more; the sample axis is axis 1 (axis 0 for a
            single sample).
        count_weights: weights, shaped like ``inputs``, summed in ``'count'`` mode.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(np.array([[0, 1, 1], [3, 3, 2]])).data
        array([[1., 2., 0., 0.],
               [0., 0., 1., 2.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"  # Keras's deprecated name
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of "
                             "tokens is not known beforehand, use the IntegerLookup layer "
                             "instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` is not supported, numdeep arrays "
                             "are dense.")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse
        self._allow_non_tensor_positional_args = True

    def _encode(self, inputs, count_weights=None):
        indices = categorical.to_numpy(inputs)
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_tokens):
            raise ValueError(f"CategoryEncoding layer '{self.name}': inputs must be integers in "
                             f"[0, num_tokens={self.num_tokens}). Received values in "
                             f"[{indices.min()}, {indices.max()}].")
        return categorical.encode(indices, self.output_mode, self.num_tokens, self.dtype,
                                  count_weights=count_weights)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"`count_weights` is not used when `output_mode` is not "
                                 f"`'count'`. Received `count_weights={count_weights}`.")
            count_weights = categorical.to_numpy(count_weights).astype(self.dtype)
        return Tensor(np.asarray(self._encode(inputs, count_weights)))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return input_shape + (self.num_tokens,)
            return input_shape[:-1] + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode)
        return config
