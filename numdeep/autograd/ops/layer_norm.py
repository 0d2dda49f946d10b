"""Fused layer normalization: one primitive for the op every Transformer block runs twice.

A composition (mean, subtract, square, mean, add, sqrt, divide, multiply, add) records nine nodes
that each save their inputs; the fused op makes two passes over the data, saves ``x_hat`` and
``1/std``, and its backward is the closed form
``gx = (g - mean(g) - x_hat * mean(g * x_hat)) / std`` with ``g = gy * gamma``, the means taken
over the normalized axes.
"""

from numdeep.autograd.function import Function


class LayerNorm(Function):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the mean and (biased) variance of
    each sample over the normalized ``axis`` (an int or a tuple of ints).

    ``gamma`` and ``beta`` have shape ``tuple(x.shape[a] for a in axis)`` (Keras's layout); either
    may be ``None`` (scale 1 / offset 0).
    """

    axis = -1

    def forward(self, x, gamma=None, beta=None):
        xp = self.xp
        axes = self.axis if isinstance(self.axis, tuple | list) else (self.axis,)
        axes = tuple(sorted(a % x.ndim for a in axes))
        self.axes = axes
        self.kept = tuple(a for a in range(x.ndim) if a not in axes)
        self.param_shape = tuple(x.shape[a] if a in axes else 1 for a in range(x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        xhat = x - mean
        var = xp.square(xhat).mean(axis=axes, keepdims=True)
        var += x.dtype.type(self.epsilon)
        inv_std = xp.sqrt(var, out=var)
        xp.divide(1.0, inv_std, out=inv_std)
        xhat *= inv_std
        if gamma is not None:
            y = xhat * gamma.reshape(self.param_shape)
        else:
            y = xhat.copy()
        if beta is not None:
            y += beta.reshape(self.param_shape)
        self.save_for_backward(xhat, inv_std, gamma)
        return y

    def backward(self, gy):
        xhat, inv_std, gamma = self.saved
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        gx = ggamma = gbeta = None
        if need[1]:
            ggamma = (gy * xhat).sum(axis=self.kept)
        if need[2]:
            gbeta = gy.sum(axis=self.kept)
        if need[0]:
            g = gy * gamma.reshape(self.param_shape) if gamma is not None else gy
            mean_g = g.mean(axis=self.axes, keepdims=True)
            mean_gx = (g * xhat).mean(axis=self.axes, keepdims=True)
            gx = g - mean_g
            gx -= xhat * mean_gx
            gx *= inv_std
        return gx, ggamma, gbeta


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization of Tensor ``x`` over ``axis`` (see ``LayerNorm``).

    Args:
        x: input Tensor.
        gamma: scale Tensor of shape ``tuple(x.shape[a] for a in axis)``, or None.
        beta: offset Tensor of the same shape, or None.
        axis: the normalized axis or axes.
        epsilon: added to the variance.

    Returns:
        A Tensor of ``x``'s shape.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.autograd.ops.layer_norm import layer_norm
        >>> layer_norm(nd.Tensor([[1.0, 2.0, 3.0]]), epsilon=0.0).numpy().round(4)
        array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    """
    from numdeep.autograd.tensor import Tensor

    x = x if isinstance(x, Tensor) else Tensor(x)
    args = [x, gamma, beta]
    while args and args[-1] is None:
        args.pop()
    return LayerNorm.apply(*args, axis=axis, epsilon=float(epsilon))
