"""Stochastic gradient descent with optional (Nesterov) momentum, Keras convention."""

import numpy as np

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent (with momentum).

    Plain: ``w -= lr * g``. With momentum (Keras convention, the velocity carries the learning
    rate): ``v = momentum * v - lr * g; w += v``; Nesterov: ``w += momentum * v - lr * g``.

    Args:
        learning_rate: float or schedule. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.0 (no velocity slot is created).
        nesterov: whether to use Nesterov momentum.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import SGD
        >>> w = np.array([1.0, -2.0])
        >>> opt = SGD(learning_rate=0.1, momentum=0.5)
        >>> for _ in range(100):
        ...     opt.apply([2 * w], [w])   # gradient of sum(w ** 2)
        >>> bool(np.abs(w).max() < 1e-3)
        True
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(momentum, bool) or not isinstance(
                momentum, (int, float, np.integer, np.floating)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: "
                             f"momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def init_state(self, param):
        if self.momentum == 0:
            return {}
        return {"momentum": xp_of(param).zeros_like(param)}

    def _slot_groups(self):
        return (("momentum",),) if self.momentum != 0 else ()

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        buf = state["_buf"]
        xp.multiply(grad, lr, buf)
        if self.momentum == 0:
            xp.subtract(param, buf, param)
            return
        m = state["momentum"]
        xp.multiply(m, self.momentum, m)
        xp.subtract(m, buf, m)
        if self.nesterov:
            xp.subtract(param, buf, param)
            xp.multiply(m, self.momentum, buf)
            xp.add(param, buf, param)
        else:
            xp.add(param, m, param)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
