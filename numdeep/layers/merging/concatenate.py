"""``Concatenate``: joins a list of tensors along one axis."""

from numdeep.autograd import data_of
from numdeep.backend import xp_of
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.layers.merging.base import check_mask_list, merge_masks
from numdeep.ops import eager as ops
from numdeep.ops.symbolic import KerasTensor, any_symbolic


class Concatenate(Layer):
    """Joins a list of tensors along ``axis``; all other sizes must match.

    The output mask concatenates the input masks (all-true for an input without one) and, for
    masks of one rank less than the inputs, reduces over the last axis (as Keras does).

    Args:
        axis: the concatenation axis (not the batch axis).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
        (2, 4)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate `axis` must be an int. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        if (not isinstance(input_shape, list | tuple) or not input_shape
                or not all(isinstance(s, tuple | list) for s in input_shape)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 "
                             f"input. Layer '{self.name}' received: input_shape={input_shape}")
        ranks = {len(s) for s in input_shape}
        rank = ranks.pop()
        if ranks or not -rank <= self.axis < rank or self.axis % rank == 0:
            raise self._error(input_shape)
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise self._error(input_shape)
        return tuple(out)

    def _error(self, shapes):
        return ValueError(
            f"A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis (and of the same rank). Layer '{self.name}' (axis={self.axis}) "
            f"received: input_shape=[{format_shape(list(shapes))}]"
        )

    def call(self, inputs):
        if not isinstance(inputs, list | tuple):
            raise ValueError(f"A `Concatenate` layer should be called on a list of inputs. "
                             f"Layer '{self.name}' received: {type(inputs).__name__}")
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """The concatenated masks, any-reduced over the last axis (None without masks)."""
        if mask is None:
            return None
        check_mask_list(inputs, mask)
        if all(m is None for m in mask):
            return None
        # Symbolic when a mask is, or when an input's shape must fill in for its mask.
        symbolic = any_symbolic(mask) or any(
            isinstance(x, KerasTensor) and (m is None or m.ndim < x.ndim)
            for x, m in zip(inputs, mask))
        return merge_masks(self._concat_masks, inputs, mask, symbolic)

    def _concat_masks(self, inputs, mask):
        present = [data_of(m) for m in mask if m is not None]
        xp = xp_of(*present)
        full = []
        for x, m in zip(inputs, mask):
            shape = tuple(x.shape)
            if m is None:
                m = xp.ones(shape, dtype=bool)
            else:
                m = data_of(m).astype(bool)
                if m.ndim < len(shape):
                    m = xp.broadcast_to(m[..., None], shape)
            full.append(m)
        return xp.concatenate(full, axis=self.axis).any(axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
