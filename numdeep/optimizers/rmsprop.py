"""RMSprop with optional momentum and centering, Keras formulation."""

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    ``v = rho * v + (1 - rho) * g**2``; ``inc = lr * g / sqrt(v + epsilon)`` (centered:
    ``sqrt(v - a**2 + epsilon)`` with ``a = rho * a + (1 - rho) * g``); then ``w -= inc``, or
    with momentum ``m = momentum * m + inc; w -= m``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        rho: discount factor of the squared-gradient average. Defaults to 0.9.
        momentum: float in [0, 1]. Defaults to 0.0.
        epsilon: added inside the square root. Defaults to 1e-7.
        centered: normalize by the estimated variance instead of the second moment.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import RMSprop
        >>> w = np.array([10.0])
        >>> opt = RMSprop(learning_rate=0.1)
        >>> opt.apply([w.copy()], [w])   # loss w**2 / 2: the gradient is w
        >>> np.round(w, 6)
        array([9.683772])
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = _check_number(rho, "rho", "RMSprop", 0.0, 1.0)
        self.momentum = _check_number(momentum, "momentum", "RMSprop", 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", "RMSprop", 0.0)
        self.centered = bool(centered)

    def init_state(self, param):
        xp = xp_of(param)
        return {name: xp.zeros_like(param) for group in self._slot_groups() for name in group}

    def _slot_groups(self):
        # Keras creates all velocities, then all momentums, then all average gradients.
        groups = (("velocity",),)
        if self.momentum > 0:
            groups += (("momentum",),)
        if self.centered:
            groups += (("average_gradient",),)
        return groups

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        v, buf = state["velocity"], state["_buf"]
        rho = self.rho
        xp.multiply(v, rho, v)
        xp.multiply(grad, grad, buf)
        xp.multiply(buf, 1.0 - rho, buf)
        xp.add(v, buf, v)
        if self.centered:
            a = state["average_gradient"]
            xp.multiply(a, rho, a)
            xp.multiply(grad, 1.0 - rho, buf)
            xp.add(a, buf, a)
            xp.multiply(a, a, buf)
            xp.subtract(v, buf, buf)
            xp.add(buf, self.epsilon, buf)
        else:
            xp.add(v, self.epsilon, buf)
        xp.sqrt(buf, buf)
        xp.divide(grad, buf, buf)
        xp.multiply(buf, lr, buf)
        if self.momentum > 0:
            m = state["momentum"]
            xp.multiply(m, self.momentum, m)
            xp.add(m, buf, m)
            buf = m
        xp.subtract(param, buf, param)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
