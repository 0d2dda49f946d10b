"""``InputSpec``: what a built layer accepts, checked before each call with a clear message."""



class InputSpec:
    """What a built layer accepts: ``ndim``/``min_ndim`` and fixed sizes of some ``axes``."""

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer, shape):
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible with "
                f"the layer: expected ndim={self.ndim}, found ndim={rank}. "
                f"Full shape received: {format_shape(shape)}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible with "
                f"the layer: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                f"Full shape received: {format_shape(shape)}"
            )
        for axis, size in self.axes.items():
            if size is not None and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible "
                    f"with the layer: expected axis {axis} of the input shape to have value "
                    f"{size}, but received input with shape {format_shape(shape)}"
                )


def format_shape(shape):
    """A shape as messages and summaries print it: ``(None, 28, 28)``; a list of shapes joined
    with commas; ``?`` when unknown."""
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(format_shape(s) for s in shape)
    inner = ", ".join("None" if s is None else str(s) for s in shape)
    return "(" + inner + ("," if len(shape) == 1 else "") + ")"
