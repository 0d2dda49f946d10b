"""LAMB: Adam's direction scaled per variable by the trust ratio ||w|| / ||update||."""

import math

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """LAMB (You et al., 2019), as Keras computes it.

    ``m``, ``v`` as in Adam; ``u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) +
    epsilon)``; ``w -= r * lr * u`` with the trust ratio ``r = ||w|| / ||u||`` (1 when either
    norm is zero). The ratio makes the step size relative to each variable's scale, which keeps
    large-batch training stable.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to the root of the second moment. Defaults to 1e-7.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Lamb
        >>> w = np.array([3.0, 4.0])
        >>> Lamb(learning_rate=0.1).apply([np.array([1.0, 1.0])], [w])  # ||step|| = 0.1 * ||w||
        >>> np.round(w, 4)
        array([2.6464, 3.6464])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = _check_number(beta_1, "beta_1", "Lamb", 0.0, 1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", "Lamb", 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", "Lamb", 0.0)
        self._corrections = (1.0, 1.0)

    def init_state(self, param):
        xp = xp_of(param)
        return {"momentum": xp.zeros_like(param), "velocity": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("momentum", "velocity"),)

    def begin_step(self, lr):
        t = self._step_count() + 1
        self._corrections = (1.0 - math.pow(self.beta_1, t), 1.0 - math.pow(self.beta_2, t))

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        m, v, buf = state["momentum"], state["velocity"], state["_buf"]
        c1, c2 = self._corrections
        m += (grad - m) * (1.0 - self.beta_1)
        v += (grad * grad - v) * (1.0 - self.beta_2)
        xp.divide(v, c2, buf)
        xp.sqrt(buf, buf)
        xp.add(buf, self.epsilon, buf)
        xp.divide(m, buf, buf)
        xp.divide(buf, c1, buf)
        w_norm = math.sqrt(float(xp.sum(param * param)))
        u_norm = math.sqrt(float(xp.sum(buf * buf)))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        xp.multiply(buf, ratio * lr, buf)
        xp.subtract(param, buf, param)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
