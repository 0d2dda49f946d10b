"""Schedule-Free AdamW: interpolation and averaging in place of a learning-rate schedule."""

import math

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024), as Keras computes it.

    The optimizer keeps ``z`` (slot ``momentum``, starting at the weights), where Adam-scaled
    gradient steps land, and the model weights ``y`` interpolate between ``z`` and the running
    average ``x`` of the ``z``'s: ``z -= lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)``,
    ``x = (1 - 1/t) * x + z / t``, ``y = (1 - beta_1) * z + beta_1 * x`` (``x`` is recovered
    from ``y`` and the previous ``z``, so it needs no slot). ``warmup_steps`` ramps the rate up
    linearly.

    Args:
        learning_rate: float or schedule. Defaults to 0.0025.
        beta_1: interpolation weight between ``x`` and ``z``. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to the root of the second moment. Defaults to 1e-8.
        warmup_steps: steps of linear warm-up. Defaults to 0.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import ScheduleFreeAdamW
        >>> w = np.array([1.0, 2.0])
        >>> opt = ScheduleFreeAdamW(learning_rate=0.1)
        >>> for _ in range(200):
        ...     opt.apply([2 * w], [w])   # gradient of sum(w ** 2)
        >>> bool(np.abs(w).max() < 0.1)
        True
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = _check_number(beta_1, "beta_1", "ScheduleFreeAdamW", 0.0, 1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", "ScheduleFreeAdamW", 0.0, 1.0)
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def init_state(self, param):
        return {"momentum": param.copy(), "velocity": xp_of(param).zeros_like(param)}

    def _slot_groups(self):
        return (("momentum", "velocity"),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        t = self._step_count() + 1
        if self.warmup_steps > 0:
            lr = lr * min(t / self.warmup_steps, 1.0)
        z, v, buf = state["momentum"], state["velocity"], state["_buf"]
        b1 = self.beta_1
        x_old = (param - (1.0 - b1) * z) / b1
        v += (grad * grad - v) * (1.0 - self.beta_2)
        xp.divide(v, 1.0 - math.pow(self.beta_2, t), buf)
        xp.sqrt(buf, buf)
        buf += self.epsilon
        z -= lr * grad / buf
        x_new = (1.0 - 1.0 / t) * x_old + z / t
        param[...] = (1.0 - b1) * z + b1 * x_new

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "warmup_steps": self.warmup_steps})
        return config
