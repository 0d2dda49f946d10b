"""``Lambda``: a Python function as a layer (saved by name only, never as bytecode)."""

from numdeep.layers.base import Layer


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer without weights.

    Saving stores only the function's name; loading refuses the layer unless
    ``custom_objects`` supplies the function under that name (``{name: function}``), so a model
    file can never carry code.

    Args:
        function: the function of the inputs (numdeep Tensors in, Tensor out).
        output_shape: optional shape of one output sample (or a function of the input shape);
            by default found by running the function on small dummy inputs.
        mask: unused; accepted for Keras compatibility (must be ``None``).
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
        if mask is not None:
            raise NotImplementedError(f"Lambda layer '{self.name}': `mask` is not supported.")
        self.function = function
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list | tuple) \
            else output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs, training=False):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0], *self._output_shape)

    def get_config(self):
        config = super().get_config()
        name = getattr(self.function, "__name__", type(self.function).__name__)
        config["function"] = {"module": getattr(self.function, "__module__", None),
                              "class_name": "function", "config": name,
                              "registered_name": name}
        if self._output_shape is not None and not callable(self._output_shape):
            config["output_shape"] = list(self._output_shape)
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if not callable(config.get("function")):
            raise ValueError(f"Lambda.from_config: pass the function itself as `function` "
                             f"(files only name it: {config.get('function')!r}); load models "
                             f"with custom_objects={{name: function}}.")
        return cls(**config)
