"""Activation functions with Keras 3 names and defaults, plus ``get``/``serialize`` for configs.

Each function maps a ``Tensor`` to a ``Tensor`` of the same shape and is differentiable; the math
lives in ``numdeep.ops``. Layers store activations in their configs by name (``'relu'``), which
``get`` turns back into the function.

Example:
    >>> from numdeep import activations
    >>> from numdeep.autograd import Tensor
    >>> activations.get("relu")(Tensor([-1.0, 2.0]))
    Tensor(array([0., 2.], dtype=float32))
    >>> activations.serialize(activations.swish)
    'silu'
"""

from numdeep import registry
from numdeep.ops import eager as ops

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softmax", "log_softmax", "softplus", "softsign", "silu", "swish", "hard_silu", "hard_swish",
    "mish", "log_sigmoid", "exponential", "linear", "get", "serialize", "deserialize",
]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's optional leak, cap and threshold.

    Returns ``x`` where ``x > threshold`` (capped at ``max_value``), and
    ``negative_slope * (x - threshold)`` elsewhere.

    Args:
        x: input Tensor.
        negative_slope: slope below the threshold.
        max_value: upper cap, or None.
        threshold: values at or below it are damped.

    Returns:
        A Tensor.

    Example:
        >>> from numdeep.autograd import Tensor
        >>> relu(Tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0)
        Tensor(array([-1.,  1.,  6.], dtype=float32))
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    if threshold == 0.0 and max_value == 6 and negative_slope == 0.0:
        return ops.relu6(x)
    x = ops.as_tensor(x)
    # NOTE: masks keep the gradient exactly 0 or 1 on each side of the threshold.
    above = x * (x.data > threshold)
    if max_value is not None:
        above = ops.clip(above, 0.0, max_value)
    if negative_slope == 0.0:
        return above
    below = (x - threshold) * (x.data <= threshold)
    return above + negative_slope * below


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        x: input Tensor.
        negative_slope: slope for negative inputs (Keras function default 0.2; the ``LeakyReLU``
            layer defaults to 0.3).

    Example:
        >>> from numdeep.autograd import Tensor
        >>> leaky_relu(Tensor([-1.0, 1.0]))
        Tensor(array([-0.2,  1. ], dtype=float32))
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU (Klambauer et al., 2017) with the fixed ``alpha`` and ``scale`` constants."""
    return ops.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate=True`` uses the tanh formula.

    Args:
        x: input Tensor.
        approximate: use ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example:
        >>> from numdeep.autograd import Tensor
        >>> gelu(Tensor([0.0, 1.0]))
        Tensor(array([0.    , 0.8413...], dtype=float32))
    """
    return ops.gelu(x, approximate=approximate)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid ``clip(x / 6 + 0.5, 0, 1)`` (Keras 3 definition)."""
    return ops.hard_sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (computed stably, by subtracting the max).

    Args:
        x: input Tensor.
        axis: the axis whose entries sum to one.

    Example:
        >>> from numdeep.autograd import Tensor
        >>> softmax(Tensor([[0.0, 0.0]]))
        Tensor(array([[0.5, 0.5]], dtype=float32))
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """Logarithm of the softmax along ``axis``, computed stably."""
    return ops.log_softmax(x, axis=axis)


def softplus(x):
    """``log(1 + exp(x))``, computed stably."""
    return ops.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(x)


def silu(x):
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``."""
    return ops.silu(x)


swish = silu


def hard_silu(x):
    """Hard SiLU (hard swish): ``x * relu6(x + 3) / 6``."""
    return ops.hard_swish(x)


hard_swish = hard_silu


def mish(x):
    """Mish: ``x * tanh(softplus(x))``."""
    return ops.mish(x)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably."""
    return ops.log_sigmoid(x)


def exponential(x):
    """Exponential ``exp(x)``."""
    return ops.exp(x)


def linear(x):
    """Identity: returns ``x`` unchanged (the activation used when none is given)."""
    return x


_KIND = registry.Kind("activation", "keras.activations", names_as_strings=True)
for _fn in (relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, hard_sigmoid, tanh, softmax,
            log_softmax, softplus, softsign, silu, hard_silu, mish, log_sigmoid, exponential,
            linear):
    _KIND.register(_fn)
_KIND.aliases.update(swish=silu, hard_swish=hard_silu)


def serialize(activation):
    """Return the name Keras stores in configs for an activation function.

    Args:
        activation: a function of this module (aliases give the canonical name: ``swish`` ->
            ``'silu'``), ``None`` (``'linear'``), or a custom callable.

    Returns:
        The name string; for a custom callable, a Keras-style dict
        ``{'module', 'class_name': 'function', 'config': name, 'registered_name'}`` that ``get``
        resolves through ``custom_objects``.

    Example:
        >>> serialize(relu), serialize(None)
        ('relu', 'linear')
    """
    if activation is not None and not callable(activation):
        raise ValueError(f"Cannot serialize activation {activation!r}: it is not callable.")
    return _KIND.serialize(linear if activation is None else activation)


def deserialize(config, custom_objects=None):
    """Resolve a name or a ``serialize`` dict back to the activation function."""
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Resolve an activation from None, a name, a ``serialize`` dict or a callable.

    Args:
        identifier: ``None`` (gives ``linear``), a string such as ``'relu'``, a dict from
            ``serialize``, or any callable (returned unchanged).
        custom_objects: optional ``{name: function}`` extra names.

    Returns:
        A callable.

    Raises:
        ValueError: for unknown names, listing the known ones.

    Example:
        >>> get(None) is linear, get("swish") is silu
        (True, True)
    """
    return linear if identifier is None else _KIND.get(identifier, custom_objects)
