"""``TimeDistributed``: one layer applied to every time step of a sequence."""

from numdeep.autograd import data_of
from numdeep.layers import call_context
from numdeep.layers.layer import Layer
from numdeep.layers.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """Applies a layer to every time step: ``(batch, time, ...)`` is folded to
    ``(batch * time, ...)`` for the wrapped layer, whose weights all steps share.

    Args:
        layer: the layer to apply (e.g. ``Dense``, ``Conv2D``).

    Call arguments:
        inputs: tensor of rank >= 3, time on axis 1.
        training: passed to the wrapped layer.
        mask: ``(batch, time, ...)`` booleans, checked against the inputs and passed (folded
            the same way) to a wrapped layer whose ``call`` takes ``mask``; returned unchanged
            as the output's mask.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.TimeDistributed(nd.layers.Dense(2))
        >>> layer(np.ones((4, 7, 3), dtype="float32")).shape
        (4, 7, 2)
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _get_child_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple | list) or len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at "
                             f"least 3 dimensions (batch, time, ...) (layer '{self.name}'), "
                             f"received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._child_build_shape(tuple(input_shape)))

    def _child_build_shape(self, input_shape):
        shape = self._get_child_input_shape(input_shape)
        n, t = input_shape[:2]
        return (None if n is None or t is None else n * t, *shape[1:])

    def _check_mask(self, mask, shape):
        mask_shape = tuple(getattr(mask, "shape", ()))
        if len(mask_shape) < 2:
            raise ValueError(f"The `mask` passed to the `TimeDistributed` layer must be at least "
                             f"2D (e.g., `(batch_size, timesteps)`), but it has "
                             f"{len(mask_shape)} dimension(s) with shape {mask_shape}.")
        if any(a is not None and b is not None and a != b
               for a, b in zip(shape[:2], mask_shape[:2])):
            raise ValueError(f"The `mask` passed to the `TimeDistributed` layer has a shape "
                             f"{mask_shape} that is incompatible with the input shape {shape}. "
                             f"The first two dimensions of the mask (batch size and timesteps) "
                             f"must match the input's first two dimensions. Expected mask shape "
                             f"prefix: ({shape[0]}, {shape[1]}).")

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._get_child_input_shape(shape)
        n, steps = shape[:2]
        kwargs = {"training": training}
        if mask is not None:
            mask = data_of(mask)
            self._check_mask(mask, shape)
            if call_context.call_spec(type(self.layer)).has_mask:
                kwargs["mask"] = mask.reshape((n * steps,) + mask.shape[2:])
        y = self.layer(inputs.reshape(n * steps, *shape[2:]), **kwargs)
        return y.reshape(n, steps, *y.shape[1:])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        inner = self.layer.compute_output_shape(self._child_build_shape(input_shape))
        return (input_shape[0], input_shape[1], *inner[1:])

    def compute_mask(self, inputs, mask=None):
        """The input mask, unchanged: the time axis is untouched."""
        return mask
