"""Activation layers with their own parameters: ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``."""

from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class _Elementwise(Layer):
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit: ``max(x, 0)``, with optional ``max_value``, ``negative_slope`` and
    ``threshold`` (Keras semantics).

    Example:
        >>> import numdeep as nd
        >>> nd.layers.ReLU(max_value=6.0)(nd.Tensor([-1.0, 3.0, 9.0])).data
        array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU `max_value` must be >= 0. Received: {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU `negative_slope` must be >= 0. Received: {negative_slope}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs, training=False):
        from numdeep import activations

        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(_Elementwise):
    """Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise (Keras default 0.3).

    Example:
        >>> import numdeep as nd
        >>> nd.layers.LeakyReLU()(nd.Tensor([-1.0, 2.0])).data
        array([-0.3,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(f"LeakyReLU `negative_slope` must be >= 0. Received: "
                             f"{negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """Softmax along ``axis``: turns scores into probabilities that sum to one.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.Softmax()(nd.Tensor([[0.0, 0.0]])).data
        array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, training=False):
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
