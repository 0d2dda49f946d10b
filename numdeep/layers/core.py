"""Core layers: ``Dense``, ``Activation``, ``Identity``."""

from numdeep import activations, initializers, regularizers
from numdeep.layers.base import InputSpec, Layer


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
            kernel_regularizer=_serialize_optional(regularizers, self.kernel_regularizer),
            bias_regularizer=_serialize_optional(regularizers, self.bias_regularizer),
            kernel_constraint=None,
            bias_constraint=None,
        )
        return config


def _serialize_optional(module, obj):
    return None if obj is None else module.serialize(obj)


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
