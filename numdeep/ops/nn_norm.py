"""Normalization of ``keras.ops.nn``: batch normalization (fused, and with given statistics),
layer and RMS normalization, ``moments`` and ``normalize``.

Example:
    >>> import numdeep as nd
    >>> mean, var = nd.ops.moments(nd.Tensor([1.0, 2.0, 3.0, 4.0]), axes=[0])
    >>> float(mean), float(var)
    (2.5, 1.25)
"""

import warnings

import numpy as np

from numdeep.autograd.primitives import BatchNorm, LayerNorm, Mul, Sub, Sum
from numdeep.autograd.tensor import data_of
from numdeep.backend import config, standardize_dtype
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _t, as_float, axis_tuple, to_dtype
from numdeep.ops.symbolic import KerasTensor

__all__ = ["batch_norm", "batch_normalization", "layer_normalization", "moments", "normalize",
           "rms_normalization"]


def batch_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3, moving_mean=None,
               moving_variance=None, momentum=0.99):
    """Normalize with the batch's statistics over all axes but ``axis`` (fused primitive).

    ``moving_mean``/``moving_variance`` (Tensors or arrays), when given, are updated in place:
    ``moving = moving * momentum + batch_stat * (1 - momentum)``.

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> mean = np.zeros(1, dtype="float32")
        >>> x = np.array([[1.0], [3.0]], dtype="float32")
        >>> ops.batch_norm(x, moving_mean=mean, momentum=0.5).data.round(3)
        array([[-1.],
               [ 1.]], dtype=float32)
        >>> mean
        array([1.], dtype=float32)
    """
    return BatchNorm.apply(_t(x), gamma, beta, axis=axis, epsilon=epsilon, momentum=momentum,
                           moving_mean=data_of(moving_mean),
                           moving_variance=data_of(moving_variance))


def batch_normalization(x, mean, variance, axis=-1, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with given statistics
    (``keras.ops.batch_normalization``); composed from primitives, so all inputs get gradients.
    """
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    for name, value in (("mean", mean), ("variance", variance), ("offset", offset),
                        ("scale", scale)):
        if value is not None and tuple(np.shape(getattr(value, "data", value))) != (
                x.shape[axis],):
            raise ValueError(f"Arguments `{name}` must be a vector of length `x.shape[axis]`. "
                             f"Expected: `{(x.shape[axis],)}`. Received: "
                             f"`{tuple(np.shape(getattr(value, 'data', value)))}`.")
    inv = (_t(variance) + epsilon) ** -0.5
    if scale is not None:
        inv = inv * scale
    shift = -_t(mean) * inv
    if offset is not None:
        shift = shift + offset
    return x * inv.reshape(shape) + shift.reshape(shape)

def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalization of ``x`` over ``axis`` as one fused primitive (``LayerNorm``).

    Args:
        x: input Tensor.
        gamma: scale Tensor of shape ``tuple(x.shape[a] for a in axis)``, or None.
        beta: offset Tensor of the same shape, or None.
        axis: the normalized axis or axes.
        epsilon: added to the variance (default ``config.epsilon()``).
        **kwargs: ``rms_scaling=True`` (Keras's older spelling) normalizes by the root mean
            square of the centred ``x`` and ignores ``beta``.

    Returns:
        A Tensor of ``x``'s shape.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.layer_normalization(nd.Tensor([[1.0, 2.0, 3.0]]), epsilon=0.0).numpy().round(4)
        array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    """
    x = as_float(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected arguments {sorted(kwargs)}.")
    original = standardize_dtype(x.dtype)
    # Half precision is normalized in float32 (its variance underflows), as in Keras.
    x = to_dtype(x, result_type(original, "float32"))
    gamma = None if gamma is None else to_dtype(gamma, x.dtype)
    beta = None if beta is None else to_dtype(beta, x.dtype)
    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                      "incorrectly scales the input by the variance, not the root mean square. "
                      "To correctly use RMS Normalization, please use "
                      "`keras.ops.rms_normalization` / `keras.ops.nn.rms_normalization` "
                      "instead.", stacklevel=2)
        axes = axis_tuple(axis, x.ndim)
        n = max(int(np.prod([x.shape[a] for a in axes])), 1)
        mean = Mul.apply(Sum.apply(x, axis=axes, keepdims=True), 1.0 / n)
        centered = Sub.apply(x, mean)
        var = Mul.apply(Sum.apply(Mul.apply(centered, centered), axis=axes, keepdims=True),
                        1.0 / n)
        out = Mul.apply(x, (var + x.dtype.type(epsilon)) ** -0.5)
        return to_dtype(out if gamma is None else Mul.apply(out, gamma), original)
    args = [x, gamma, beta]
    while args and args[-1] is None:
        args.pop()
    return to_dtype(LayerNorm.apply(*args, axis=axis, epsilon=float(epsilon)), original)


def _layer_normalization_spec(x, *args, **kwargs):
    # Keras's LayerNorm.compute_output_spec: ``x``'s shape and dtype, the scales unchecked
    # until the op runs.
    dtype = standardize_dtype(getattr(x, "dtype", "float32"))
    return KerasTensor(tuple(np.shape(x)), dtype=dtype if "float" in dtype else "float32")


layer_normalization.symbolic_spec = _layer_normalization_spec


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of ``x`` over ``axes`` (float16 computed in float32, as in Keras).

    ``synchronized`` (a cross-device reduction) is accepted: numdeep runs on one device.
    """
    x = as_float(x)
    dtype = x.dtype
    if dtype == np.float16:
        x = x.astype("float32")
    axes = axis_tuple(axes, x.ndim)
    n = max(int(np.prod([x.shape[a] for a in axes])), 1)
    mean = Mul.apply(Sum.apply(x, axis=axes, keepdims=True), 1.0 / n)
    centered = Sub.apply(x, mean)
    var = Mul.apply(Sum.apply(Mul.apply(centered, centered), axis=axes, keepdims=keepdims),
                    1.0 / n)
    if not keepdims:
        mean = mean.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
    if dtype == np.float16:
        # Keep float16's range: clip before casting back, as Keras does.
        from numdeep.ops.numpy_math import clip

        info = np.finfo(np.float16)
        mean, var = (clip(v, float(info.min), float(info.max)).astype("float16")
                     for v in (mean, var))
    return mean, var


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.normalize(nd.Tensor([3.0, 4.0])).numpy()
        array([0.6, 0.8], dtype=float32)
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = as_float(x)
    if x.ndim == 0:
        x = x.reshape((1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    from numdeep.ops.norms import norm
    from numdeep.ops.numpy_math import divide, maximum

    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2, axis) + epsilon) * scale``, computed in at least float32."""
    x = as_float(x)
    original = standardize_dtype(x.dtype)
    x = to_dtype(x, result_type(original, "float32"))
    if x.ndim == 0:
        x = x.reshape((1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = axis_tuple(axis, x.ndim)
    n = max(int(np.prod([x.shape[a] for a in axes])), 1)
    mean_square = Mul.apply(Sum.apply(Mul.apply(x, x), axis=axes, keepdims=True), 1.0 / n)
    out = Mul.apply(x, (mean_square + x.dtype.type(epsilon)) ** -0.5)
    if scale is not None:
        out = Mul.apply(out, to_dtype(scale, x.dtype))
    return to_dtype(out, original)
