"""``InputSpec``: what a layer accepts, checked before each call with a clear message.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> layer = nd.layers.Dense(2)
    >>> layer.build((None, 3))
    >>> layer.input_spec
    InputSpec(min_ndim=2, axes={-1: 3})
    >>> try:
    ...     layer(np.zeros((1, 4), "float32"))
    ... except ValueError as e:
    ...     print(str(e).split(": ", 1)[1])
    expected axis -1 of input shape to have value 3, but received input with shape (1, 4)
"""

from numdeep import tree
from numdeep.backend.dtypes import standardize_dtype

__all__ = ["InputSpec", "assert_input_compatibility", "format_shape"]


class InputSpec:
    """The rank, sizes and dtype a layer's input must have (``None`` in a shape: any size).

    Args:
        dtype: expected dtype.
        shape: expected shape, batch axis included (sets ``ndim``).
        ndim, max_ndim, min_ndim: expected, largest and smallest rank.
        axes: ``{axis: size}`` for axes whose size is fixed.
        allow_last_axis_squeeze: accept rank N+1 with a last axis of 1, and rank N-1 when the
            spec's last axis is 1.
        name: the key of this input when data comes as a dict.
        optional: whether ``None`` is accepted.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape, self.ndim = None, ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional = name, optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. "
                            f"Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed "
                                 f"value: {max_dim}")

    def __repr__(self):
        parts = [f"dtype={self.dtype}" if self.dtype else "",
                 f"shape={self.shape}" if self.shape else "",
                 f"ndim={self.ndim}" if self.ndim else "",
                 f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                 f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                 f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise a ``ValueError`` naming the layer, the input and the shapes when ``inputs`` do not
    fit ``input_spec`` (one spec, or one per input; dict inputs are matched by spec name)."""
    if not input_spec:
        return
    specs = tree.flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            for name in names:
                if name not in inputs:
                    raise ValueError(f'Missing data for input "{name}". You passed a data '
                                     f"dictionary with keys {list(inputs)}. Expected the "
                                     f"following keys: {names}")
            inputs = [inputs[name] for name in names]
    values = tree.flatten(inputs)
    if len(values) != len(specs):
        names = [spec.name for spec in specs if spec is not None]
        if len(names) == len(specs) and all(names):
            example = ", ".join(f"'{n}': ..." for n in names)
            raise ValueError(f'Layer "{layer_name}" expects {len(specs)} named input(s) with '
                             f"keys {names}, but it received {len(values)} input tensors. Pass "
                             f"inputs as a dict, e.g. `layer({{{example}}})`.")
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(values)} input tensors. Inputs received: {values}")
    for index, (x, spec) in enumerate(zip(values, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if x is None:
            raise ValueError(f"The input '{spec.name}' of layer '{layer_name}' is not optional, "
                             f"but None was passed. Please provide a valid tensor.")
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                             f"{type(x)}) as input for layer '{layer_name}'.")
        _check_one(spec, tuple(x.shape), getattr(x, "dtype", None), index, layer_name)


def _check_one(spec, shape, dtype, index, layer_name):
    where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible " \
            f"with the layer"
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape "
                         f"received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full "
                         f"shape received: {shape}")
    if spec.dtype is not None and dtype is not None and standardize_dtype(dtype) != spec.dtype:
        raise ValueError(f"{where}: expected dtype={spec.dtype}, found "
                         f"dtype={standardize_dtype(dtype)}")
    for axis, value in spec.axes.items():
        if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
            raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                             f"{value}, but received input with shape {shape}")
    if spec.shape is not None:
        spec_shape = spec.shape
        if spec.allow_last_axis_squeeze:
            if shape and shape[-1] == 1:
                shape = shape[:-1]
            if spec_shape and spec_shape[-1] == 1:
                spec_shape = spec_shape[:-1]
        for want, got in zip(spec_shape, shape):
            if want is not None and got is not None and want != got:
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


def format_shape(shape):
    """A shape as messages and summaries print it: ``(None, 28, 28)``; a list of shapes joined
    with commas; ``?`` when unknown."""
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(format_shape(s) for s in shape)
    inner = ", ".join("None" if s is None else str(s) for s in shape)
    return "(" + inner + ("," if len(shape) == 1 else "") + ")"
