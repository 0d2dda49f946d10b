"""The elementwise merges: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and
``Minimum``.

With padding masks they follow Keras: ``Add``/``Subtract``/``Average`` combine every entry and
OR the masks; ``Multiply`` treats masked entries as 1 (and zeroes the entries no input keeps);
``Maximum``/``Minimum`` leave masked entries out of the comparison.
"""

from numdeep.autograd import data_of
from numdeep.backend import xp_of
from numdeep.layers.merging.base import Merge
from numdeep.ops import eager as ops


def _entry_mask(x):
    """``x``'s time-step mask broadcast over its last axis (one boolean per entry), or None."""
    mask = getattr(x, "_keras_mask", None)
    if mask is None:
        return None
    mask = data_of(mask)
    return xp_of(mask).broadcast_to(mask[..., None].astype(bool), x.shape)


class Add(Merge):
    """Adds a list of tensors elementwise (the residual connection ``x + f(x)``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.ones((2, 3), dtype="float32")
        >>> nd.layers.Add()([x, 2 * x]).numpy()
        array([[3., 3., 3.],
               [3., 3., 3.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(Merge):
    """Subtracts the second of exactly two tensors from the first.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Subtract()([np.full((1, 2), 5.0), np.ones((1, 2))]).numpy()
        array([[4., 4.]], dtype=float32)
    """

    exact_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors elementwise.

    Masked entries count as 1 (they do not zero the product); when every input has a mask,
    entries that no input keeps are 0 and the output mask is the OR of the masks.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).numpy()
        array([[6., 6.]], dtype=float32)
    """

    def _merge(self, inputs):
        masks = [_entry_mask(x) for x in inputs]
        all_masked = all(m is not None for m in masks)
        out, kept = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = ops.where(mask, x, 1.0)
                if all_masked:
                    kept = mask if kept is None else kept | mask
            out = x if out is None else out * x
        if all_masked:
            out = ops.where(kept, out, 0.0)
        return out


class Average(Merge):
    """Averages a list of tensors elementwise.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).numpy()
        array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))


class _Extremum(Merge):
    """Maximum/Minimum: a masked entry never wins against a kept one; where all inputs so far
    are masked, the first input passes through (Keras's ``_apply_merge_op_and_or_mask``)."""

    fn = None

    def _merge(self, inputs):
        out, out_mask = None, None
        for x in inputs:
            mask = _entry_mask(x)
            if out is None:
                out, out_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, out)
            if out_mask is not None:
                out = ops.where(out_mask, out, x)
            out_mask = None if mask is None or out_mask is None else out_mask | mask
            out = type(self).fn(out, x)
        return out


class Maximum(_Extremum):
    """Elementwise maximum of a list of tensors (ties share the gradient equally).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[3., 5.]], dtype=float32)
    """

    fn = staticmethod(ops.maximum)


class Minimum(_Extremum):
    """Elementwise minimum of a list of tensors (ties share the gradient equally).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[1., 2.]], dtype=float32)
    """

    fn = staticmethod(ops.minimum)
