"""Core layers: ``Dense``, ``Activation``, ``Identity`` and ``Masking``."""

import numpy as np

from numdeep import activations, constraints, initializers, regularizers
from numdeep.autograd import Tensor
from numdeep.autograd.function import NoGradient
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.layers.lora import LoRA
from numdeep.ops import eager as ops
from numdeep.ops.symbolic import KerasTensor, symbolic_call


def check_no_quantization(layer, quantization_config):
    if quantization_config is not None:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': quantization is not "
                         f"supported by numdeep. Received: "
                         f"quantization_config={quantization_config!r}")


class Dense(LoRA, Layer):
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
        kernel_constraint, bias_constraint: projections applied after each optimizer step.
        lora_rank, lora_alpha: enable LoRA once built (see ``enable_lora``): the kernel is
            frozen and a trainable rank-``lora_rank`` update scaled by ``lora_alpha /
            lora_rank`` is added to it.

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
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        check_no_quantization(self, quantization_config)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}' needs a known last input dimension; received input "
                f"shape {tuple(input_shape)}."
            )
        self._kernel = self.add_weight((in_dim, self.units), self.kernel_initializer,
                                       regularizer=self.kernel_regularizer,
                                       constraint=self.kernel_constraint, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        if self.lora_rank:
            self.built = True  # enable_lora extends a built layer
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        """The ``(in, units)`` weight (with its LoRA update merged in when LoRA is on)."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._lora_merged(self._kernel)

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

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
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            **self._lora_config(),
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

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Identity(Layer):
    """Returns its input unchanged (a placeholder in architectures); keeps the input's mask.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.Identity()(nd.Tensor([1.0, 2.0])).data
        array([1., 2.], dtype=float32)
    """

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        from numdeep import tree

        return tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype), inputs)


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps zeroed; ``compute_mask`` returns the
    (batch, timesteps) booleans that recurrent layers take as ``mask=`` (symbolic for symbolic
    inputs, so a functional model can output the mask).

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
        if isinstance(inputs, KerasTensor):
            return symbolic_call(self.compute_mask, (inputs,), {})  # a node of the graph
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return ValueMask.apply(data, mask_value=self.mask_value).data

    def call(self, inputs):
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        keep = ValueMask.apply(data, mask_value=self.mask_value, factor=True).data
        return inputs * keep


class ValueMask(NoGradient):
    """``Masking``'s mask of ``x``: ``any(x != mask_value)`` over the last axis, as booleans,
    or with ``factor`` as ``x``'s dtype with the last axis kept (1 or 0, what ``call``
    multiplies by). An op (no gradient flows through a mask), so that a training or inference
    plan computes it from every batch instead of keeping the traced batch's."""

    factor = False

    def forward(self, x):
        keep = self.xp.any(x != self.mask_value, axis=-1)
        return keep[..., None].astype(x.dtype) if self.factor else keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
