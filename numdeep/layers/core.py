"""Core layers: ``Dense``, ``Activation``, ``Identity``, ``Lambda`` and ``Masking``."""

import numpy as np

from numdeep import activations, initializers, regularizers
from numdeep.autograd import Tensor
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer


class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    Each of the ``units`` neurons has one weight per input feature (a column of ``kernel``, shape
    ``(in, units)`` as in Keras) and a bias; inputs of rank > 2 are transformed along the last axis.

    Args:
        units: number of neurons (output features).
        activation: activation name or function; ``None`` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (Keras defaults ``glorot_uniform``,
            ``zeros``).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.

    Call arguments:
        inputs: tensor of shape ``(..., in)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Dense(3, activation="relu")
        >>> layer(np.ones((2, 5), dtype="float32")).shape
        (2, 3)
        >>> [w.shape for w in layer.weights]
        [(5, 3), (3,)]
    """

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(
                f"Dense layer '{self.name}': weight constraints are not supported yet."
            )
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense `units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}' needs a known last input dimension; received input "
                f"shape {input_shape}."
            )
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs, training=False):
        y = inputs @ self.kernel
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=None,
            bias_constraint=None,
        )
        return config



class Activation(Layer):
    """Applies an activation function (name or callable) to its input.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.Activation("relu")(nd.Tensor([-1.0, 2.0])).data
        array([0., 2.], dtype=float32)
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Identity(Layer):
    """Returns its input unchanged (a placeholder in architectures)."""

    supports_masking = True

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


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


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps zeroed; ``compute_mask`` returns the
    (batch, timesteps) booleans that recurrent layers take as ``mask=``.

    Args:
        mask_value: the padding value (default 0.0).

    Call arguments:
        inputs: (batch, timesteps, features) tensor.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], dtype="float32")
        >>> nd.layers.Masking().compute_mask(x)
        array([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        """``any(inputs != mask_value)`` over the last axis."""
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs, training=False):
        keep = self.compute_mask(inputs)
        return inputs * keep[..., None].astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
