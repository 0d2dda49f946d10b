"""Adamax: Adam with the infinity norm in place of the second moment."""

import math

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1), as Keras computes it.

    ``m = beta_1 * m + (1 - beta_1) * g``; ``u = max(beta_2 * u, |g|)``;
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the infinity norm. Defaults to 0.999.
        epsilon: added to ``u``. Defaults to 1e-7.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Adamax
        >>> w = np.array([1.0, 2.0])
        >>> Adamax(learning_rate=0.5).apply([np.array([1.0, -3.0])], [w])  # first step: lr * sign
        >>> np.round(w, 4)
        array([0.5, 2.5])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = _check_number(beta_1, "beta_1", "Adamax", 0.0, 1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", "Adamax", 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", "Adamax", 0.0)
        self._correction = 1.0

    def init_state(self, param):
        xp = xp_of(param)
        return {"momentum": xp.zeros_like(param), "norm": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("momentum", "norm"),)

    def begin_step(self, lr):
        self._correction = 1.0 - math.pow(self.beta_1, self._step_count() + 1)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        m, u, buf = state["momentum"], state["norm"], state["_buf"]
        xp.subtract(grad, m, buf)
        xp.multiply(buf, 1.0 - self.beta_1, buf)
        xp.add(m, buf, m)
        xp.multiply(u, self.beta_2, u)
        xp.abs(grad, buf)
        xp.maximum(u, buf, out=u)
        xp.add(u, self.epsilon, buf)
        xp.multiply(buf, self._correction, buf)
        xp.divide(m, buf, buf)
        xp.multiply(buf, lr, buf)
        xp.subtract(param, buf, param)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
