"""``Lambda``: a function of the inputs as a layer without weights."""

import inspect

import numpy as np

from numdeep import registry
from numdeep.autograd import data_of
from numdeep.layers.layer import Layer


def _function_config(fn):
    name = getattr(fn, "__name__", type(fn).__name__)
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": name, "registered_name": name}


def _function_from_config(value, what):
    if callable(value) or not isinstance(value, dict):
        return value
    if value.get("class_name") == "__lambda__":
        raise ValueError(f"Lambda.from_config: the `{what}` is Python bytecode (a lambda), which "
                         f"numdeep never loads. Pass the function itself, or give it a name and "
                         f"load with custom_objects={{name: function}}.")
    name = value.get("registered_name") or value.get("config")
    fn = registry.get_registered_object(name) if isinstance(name, str) else None
    if fn is None:
        raise ValueError(f"Lambda.from_config: the `{what}` {name!r} is unknown: files only name "
                         f"a Lambda's functions; load with custom_objects={{{name!r}: function}} "
                         f"(or inside a custom_object_scope).")
    return fn


def _mask_config(mask):
    if mask is None or callable(mask):
        return None if mask is None else _function_config(mask)
    array = np.asarray(data_of(mask))
    return {"class_name": "__tensor__",
            "config": {"value": array.tolist(), "dtype": array.dtype.name}}


def _mask_from_config(value):
    if isinstance(value, dict) and value.get("class_name") == "__tensor__":
        return np.asarray(value["config"]["value"], dtype=value["config"]["dtype"])
    return _function_from_config(value, "mask")


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer without weights.

    Saving stores only the function's name; loading needs the function itself: pass it as
    ``custom_objects={name: function}`` (or register it), so a model file never carries code.

    Args:
        function: the function of the inputs (numdeep Tensors in, Tensor out); it also gets
            ``mask=`` and ``training=`` when it declares them.
        output_shape: optional shape of one output sample (or a function of the input shape);
            by default found by running the function on small dummy inputs.
        mask: the output mask: a fixed tensor, or a function ``mask(inputs, input_mask)``;
            ``None`` (default) means the layer does not support masking.
        arguments: optional keyword arguments passed to ``function``.

    Call arguments:
        inputs: the input tensor (or list of tensors).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> def double(x):
        ...     return x * 2.0
        >>> layer = nd.layers.Lambda(double)
        >>> layer(np.ones((1, 2), dtype="float32")).data
        array([[2., 2.]], dtype=float32)
        >>> layer.get_config()["function"]["config"]
        'double'
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda layer '{self.name}' needs a callable `function`. "
                            f"Received: {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list | tuple) \
            else output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_mask = "mask" in params
        self._fn_expects_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """``mask(inputs, mask)`` for a mask function, else the fixed ``mask`` (or None)."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0], *self._output_shape)

    def get_config(self):
        config = super().get_config()
        config["function"] = _function_config(self.function)
        if callable(self._output_shape):
            config["output_shape"] = _function_config(self._output_shape)
        elif self._output_shape is not None:
            config["output_shape"] = list(self._output_shape)
        if self.mask is not None:
            config["mask"] = _mask_config(self.mask)
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from ``get_config()``: named functions resolve through ``custom_objects``,
        a ``custom_object_scope`` or the registry; bytecode (``safe_mode`` or not) is refused."""
        config = dict(config)
        with registry.custom_object_scope(custom_objects or {}):
            config["function"] = _function_from_config(config.get("function"), "function")
            if "output_shape" in config:
                config["output_shape"] = _function_from_config(config["output_shape"],
                                                               "output_shape")
            if "mask" in config:
                config["mask"] = _mask_from_config(config["mask"])
        return cls(**config)
