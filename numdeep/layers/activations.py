"""Activation layers: ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax`` (with a mask) and ``PReLU``
(a learned slope per feature)."""

import numpy as np

from numdeep import activations, constraints, initializers, regularizers
from numdeep.autograd import data_of
from numdeep.backend import standardize_dtype, xp_of
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class _Elementwise(Layer):
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit: ``max(x, 0)``, with optional ``max_value``, ``negative_slope`` and
    ``threshold`` (Keras semantics).

    Args:
        max_value: cap of the output (``None``: no cap); must be >= 0.
        negative_slope: slope below the threshold; must be >= 0.
        threshold: inputs at or below it are damped; must be >= 0.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.ReLU(max_value=6.0)(nd.Tensor([-1.0, 3.0, 9.0])).data
        array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. "
                             f"Received: max_value={max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be None or a negative "
                             f"value. Received: negative_slope={negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be None or a negative value. "
                             f"Received: threshold={threshold}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
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
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or "
                             f"negative value. Expected a float. Received: "
                             f"negative_slope={negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.ELU()(nd.Tensor([0.0, 2.0])).data
        array([0., 2.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """Softmax along ``axis`` (an int or several axes): turns scores into probabilities.

    Call arguments:
        inputs: the scores (logits).
        mask: optional booleans (or 0/1 values) broadcastable to ``inputs``, no larger on any
            axis; masked entries get probability 0, and a fully masked row is all zeros.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Softmax()(nd.Tensor([[0.0, 0.0]])).data
        array([[0.5, 0.5]], dtype=float32)
        >>> x = np.zeros((1, 3), "float32")
        >>> nd.layers.Softmax()(x, mask=np.array([[True, True, False]])).data
        array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        keep = None
        if mask is not None:
            keep = _softmax_mask(inputs, mask)
            # A large negative score, not -inf: a fully masked row stays finite (then zeroed).
            big = -3e4 if standardize_dtype(inputs.dtype) == "float16" else -1e9
            inputs = ops.where(keep, inputs, big)
        if isinstance(self.axis, list | tuple) and len(self.axis) > 1:
            axis = tuple(self.axis)
            out = ops.exp(inputs - ops.logsumexp(inputs, axis=axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list | tuple) else self.axis
            out = ops.softmax(inputs, axis=axis)
        if keep is not None:
            out = ops.where(keep, out, 0.0)
        return out

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _softmax_mask(inputs, mask):
    """The mask as booleans, after checking it broadcasts to ``inputs`` without growing them."""
    mask = data_of(mask)
    if not hasattr(mask, "ndim"):
        mask = np.asarray(mask)
    if mask.ndim > inputs.ndim:
        raise ValueError(f"The `mask` must be broadcastable to `inputs` and must not have more "
                         f"dimensions. Received: inputs.shape={tuple(inputs.shape)}, "
                         f"mask.shape={tuple(mask.shape)}")
    for m, i in zip(mask.shape[::-1], inputs.shape[::-1]):
        if m != 1 and m != i:
            raise ValueError(f"The `mask` must be broadcastable to `inputs`. Each mask dimension "
                             f"must be 1 or match the corresponding input dimension. Received: "
                             f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}")
    if mask.dtype != bool:
        mask = mask > 0.5
    return xp_of(mask).broadcast_to(mask, inputs.shape)


class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with ``alpha`` learned.

    ``alpha`` has one entry per input feature (the input shape without the batch axis); the axes
    in ``shared_axes`` share one entry, e.g. ``shared_axes=[1, 2]`` on images gives one slope per
    channel (He et al., 2015).

    Args:
        alpha_initializer: initializer of ``alpha`` (Keras default ``'Zeros'``: a plain ReLU).
        alpha_regularizer, alpha_constraint: optional penalty and projection of ``alpha``.
        shared_axes: an int or list of axes (counting the batch axis as 0) sharing a slope.

    Call arguments:
        inputs: a tensor of any rank >= 2.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.PReLU(alpha_initializer=nd.initializers.Constant(0.25))
        >>> layer(np.array([[-4.0, 2.0]], dtype="float32")).data
        array([[-1.,  2.]], dtype=float32)
        >>> layer.alpha.shape
        (2,)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, list | tuple):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU layer '{self.name}': shared axis {axis} is not a "
                                 f"feature axis of inputs of shape {tuple(input_shape)}.")
            shape[axis - 1] = 1
        self.alpha = self.add_weight(shape=shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs):
        # relu(x) - alpha * relu(-x): both sides get their exact gradient (0 at x = 0).
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=initializers.serialize(self.alpha_initializer),
                      alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                      alpha_constraint=constraints.serialize(self.alpha_constraint),
                      shared_axes=self.shared_axes)
        return config
