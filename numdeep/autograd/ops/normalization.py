"""Fused batch normalization with batch statistics (the training-mode ``BatchNormalization``).

One primitive instead of the ~10 of a composition (mean, subtract, square, mean, add, sqrt,
divide, multiply, add, each with its own saved arrays and backward): the forward makes two passes
over the data and saves only ``x_hat`` and ``1/std``; the backward is the closed form
``gx = (g - mean(g) - x_hat * mean(g * x_hat)) / std`` with ``g = gy * gamma``.
"""

from numdeep.autograd.function import Function


class BatchNorm(Function):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the batch mean and (biased)
    variance over every axis but the ``axis`` ones (the channels).

    ``gamma`` and ``beta`` have shape ``x.shape[axis]`` (either may be ``None``: scale 1 /
    offset 0). When the params ``moving_mean`` / ``moving_variance`` (arrays) are given, they are
    updated in place as Keras does: ``moving = moving * momentum + batch_stat * (1 - momentum)``.

    Params: ``axis`` (int or tuple of ints), ``epsilon``, ``momentum``, ``moving_mean``,
    ``moving_variance``.
    """

    moving_mean = moving_variance = None
    momentum = 0.99

    def forward(self, x, gamma=None, beta=None):
        xp = self.xp
        kept = self.axis if isinstance(self.axis, tuple | list) else (self.axis,)
        kept = tuple(a % x.ndim for a in kept)
        self.axes = tuple(a for a in range(x.ndim) if a not in kept)
        self.stat_shape = tuple(x.shape[a] if a in kept else 1 for a in range(x.ndim))
        mean = x.mean(axis=self.axes, keepdims=True)
        xhat = x - mean
        var = (xhat * xhat).mean(axis=self.axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + x.dtype.type(self.epsilon))
        xhat *= inv_std
        self._update_moving(mean, var)
        y = xhat * gamma.reshape(self.stat_shape) if gamma is not None else xhat.copy()
        if beta is not None:
            y += beta.reshape(self.stat_shape)
        self.save_for_backward(xhat, inv_std, gamma)
        return y

    def _update_moving(self, mean, var):
        m = self.momentum
        for moving, stat in ((self.moving_mean, mean), (self.moving_variance, var)):
            if moving is not None:
                moving *= m
                moving += (1.0 - m) * stat.reshape(moving.shape).astype(moving.dtype)

    def backward(self, gy):
        xhat, inv_std, gamma = self.saved
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        shape = self.stat_shape
        gx = ggamma = gbeta = None
        if need[1]:
            ggamma = (gy * xhat).sum(axis=self.axes).reshape(gamma.shape)
        if need[2]:
            gbeta = gy.sum(axis=self.axes).reshape(shape_of(shape, self.axes))
        if need[0]:
            g = gy * gamma.reshape(shape) if gamma is not None else gy
            mean_g = g.mean(axis=self.axes, keepdims=True)
            mean_gx = (g * xhat).mean(axis=self.axes, keepdims=True)
            gx = g - mean_g
            gx -= xhat * mean_gx
            gx *= inv_std
        return gx, ggamma, gbeta


def shape_of(stat_shape, axes):
    """The parameter shape: ``stat_shape`` without the reduced axes."""
    return tuple(n for i, n in enumerate(stat_shape) if i not in axes)
