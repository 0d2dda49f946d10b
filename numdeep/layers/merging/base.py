"""``Merge``: the base of the elementwise merges (shape rules, input checks, masks)."""

from numdeep.autograd import data_of
from numdeep.backend import xp_of
from numdeep.layers.layer import Layer
from numdeep.ops.symbolic import any_symbolic, symbolic_call


def check_mask_list(inputs, mask):
    """Keras's checks of ``compute_mask``'s arguments for layers merging a list of inputs."""
    if not isinstance(mask, list | tuple):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, list | tuple):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length. Received: "
                         f"inputs={inputs} of length {len(inputs)}, and mask={mask} of length "
                         f"{len(mask)}")


def merge_masks(fn, inputs, mask, symbolic):
    """``fn(inputs, mask)`` on arrays, or recorded as a graph node when ``symbolic`` (the result
    depends on symbolic tensors; a functional model can then output the merged mask)."""
    if symbolic:
        return symbolic_call(fn, (list(inputs), list(mask)), {})
    return fn(inputs, mask)


def _or_masks(inputs, mask):
    arrays = [data_of(m) for m in mask]
    xp = xp_of(*arrays)
    out = arrays[0].astype(bool)
    for m in arrays[1:]:
        out = xp.logical_or(out, m)
    return out


class Merge(Layer):
    """Base of the elementwise merges of a list of tensors.

    Shapes follow Keras's broadcasting rule: the per-sample shapes (batch axis excluded) are
    aligned on the right and sizes must match or be 1; an input of lower rank gets size-1 axes
    inserted after the batch axis. The output mask ORs the input masks (none when any input has
    none).

    Example:
        >>> import numdeep as nd
        >>> nd.layers.Add().compute_output_shape([(None, 3, 4), (None, 1, 4), (None, 4)])
        (None, 3, 4)
    """

    supports_masking = True
    exact_inputs = None  # Subtract merges exactly two

    def _check_list(self, input_shape):
        if not isinstance(input_shape, list | tuple) or not input_shape or not all(
                isinstance(s, list | tuple) for s in input_shape):
            raise ValueError(f"A merge layer should be called on a list of inputs. Layer "
                             f"'{self.name}' received: input_shape={input_shape} (not a list "
                             f"of shapes)")
        n = self.exact_inputs
        if n is not None and len(input_shape) != n:
            raise ValueError(f"A `{type(self).__name__}` layer should be called on exactly {n} "
                             f"inputs. Layer '{self.name}' received: input_shape={input_shape}")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        batch = {s[0] for s in input_shape if s} - {None}
        if len(batch) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Layer "
                             f"'{self.name}' received tensors with shapes {list(input_shape)}")
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = self._broadcast(out, tuple(shape[1:]), input_shape)
        return (batch.pop() if batch else None, *out)

    def _broadcast(self, a, b, all_shapes):
        if len(a) < len(b):
            a, b = b, a
        b = (1,) * (len(a) - len(b)) + b
        out = []
        for i, j in zip(a, b):
            if i is None or j is None:
                out.append(j if i == 1 else i if j == 1 else None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(f"Inputs have incompatible shapes. {type(self).__name__} layer "
                                 f"'{self.name}' received shapes {list(all_shapes)}")
        return tuple(out)

    def call(self, inputs):
        if not isinstance(inputs, list | tuple):
            raise ValueError(f"A merge layer should be called on a list of inputs. Layer "
                             f"'{self.name}' received: inputs={inputs} (not a list of tensors)")
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        ndim = max(x.ndim for x in inputs)
        expanded = []
        for x in inputs:
            if x.ndim < ndim:
                mask = getattr(x, "_keras_mask", None)
                x = x.reshape(x.shape[:1] + (1,) * (ndim - x.ndim) + x.shape[1:])
                x._keras_mask = mask
            expanded.append(x)
        return self._merge(expanded)

    def _merge(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        """The OR of the input masks; ``None`` when any input has no mask."""
        if mask is None:
            return None
        check_mask_list(inputs, mask)
        if any(m is None for m in mask):
            return None
        return merge_masks(_or_masks, inputs, mask, any_symbolic(mask))
