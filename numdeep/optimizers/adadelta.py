"""Adadelta: per-dimension rates from running averages of squared gradients and updates."""

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras formulation (with a learning rate).

    ``a = rho * a + (1 - rho) * g**2``; ``d = -sqrt(u + epsilon) * g / sqrt(a + epsilon)``;
    ``u = rho * u + (1 - rho) * d**2``; ``w += lr * d``. Use ``learning_rate=1.0`` for the
    paper's form.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        rho: decay rate of both running averages. Defaults to 0.95.
        epsilon: added inside the square roots. Defaults to 1e-7.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Adadelta
        >>> w = np.array([1.0, 2.0])
        >>> opt = Adadelta(learning_rate=1.0, epsilon=1e-6)
        >>> opt.apply([np.array([0.5, -0.5])], [w])   # the first step moves by ~sqrt(eps/(1-rho))
        >>> np.round(w - [1.0, 2.0], 5)
        array([-0.00447,  0.00447])
    """

    _scratch = ("_buf", "_buf2")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = _check_number(rho, "rho", "Adadelta", 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", "Adadelta", 0.0)

    def init_state(self, param):
        xp = xp_of(param)
        return {"accumulated_grad": xp.zeros_like(param),
                "accumulated_delta_var": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("accumulated_grad", "accumulated_delta_var"),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        acc, acc_delta = state["accumulated_grad"], state["accumulated_delta_var"]
        buf, delta = state["_buf"], state["_buf2"]
        rho, eps = self.rho, self.epsilon
        xp.multiply(grad, grad, buf)
        xp.multiply(buf, 1.0 - rho, buf)
        xp.multiply(acc, rho, acc)
        xp.add(acc, buf, acc)
        xp.add(acc_delta, eps, delta)
        xp.sqrt(delta, delta)
        xp.multiply(delta, grad, delta)
        xp.add(acc, eps, buf)
        xp.sqrt(buf, buf)
        xp.divide(delta, buf, delta)  # -d: the update before its sign
        xp.multiply(delta, delta, buf)
        xp.multiply(buf, 1.0 - rho, buf)
        xp.multiply(acc_delta, rho, acc_delta)
        xp.add(acc_delta, buf, acc_delta)
        xp.multiply(delta, lr, delta)
        xp.subtract(param, delta, param)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
