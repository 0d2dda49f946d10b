"""Adam (and AMSGrad), Keras formulation (epsilon outside the square root, ``epsilon_hat``)."""

import math

from numdeep.backend import xp_of
from numdeep.backend.kernels.optimizers import adam_update
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: adaptive moment estimation (Kingma & Ba, 2014), as Keras computes it.

    Per step ``t`` (1-based): ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``; with
    ``amsgrad`` the running maximum of ``v`` replaces ``v`` in the denominator.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: the "epsilon hat" added to ``sqrt(v)``. Defaults to 1e-7 (torch uses 1e-8,
            added to the bias-corrected root).
        amsgrad: whether to use the AMSGrad variant.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
            ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Adam
        >>> w = np.array([3.0, -1.5])
        >>> opt = Adam(learning_rate=0.1)
        >>> for _ in range(200):
        ...     opt.apply([2 * (w - 1.0)], [w])   # gradient of sum((w - 1) ** 2)
        >>> np.round(w, 2)
        array([1., 1.])
        >>> int(opt.iterations)
        200
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = _check_number(beta_1, "beta_1", owner, 0.0, 1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", owner, 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", owner, 0.0)
        self.amsgrad = bool(amsgrad)
        self._alpha = 0.0

    def init_state(self, param):
        xp = xp_of(param)
        state = {"momentum": xp.zeros_like(param), "velocity": xp.zeros_like(param)}
        if self.amsgrad:
            state["velocity_hat"] = xp.zeros_like(param)
        return state

    def _slot_groups(self):
        # Keras creates (momentum, velocity) per variable, then all velocity_hats (keras#21247).
        groups = (("momentum", "velocity"),)
        return groups + ((("velocity_hat",),) if self.amsgrad else ())

    def begin_step(self, lr):
        t = self._step_count() + 1
        self._alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)

    def update(self, param, grad, state, lr):
        # The rule in the class docstring, as one chain of in-place calls (backend/kernels).
        adam_update(param, grad, state["momentum"], state["velocity"], state["_buf"],
                    self.beta_1, self.beta_2, self.epsilon, self._alpha,
                    state.get("velocity_hat") if self.amsgrad else None)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
