"""Nadam: Adam with Nesterov momentum, Keras formulation (Dozat's momentum schedule)."""

from numdeep.autograd import Variable
from numdeep.backend import floatx, xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam (Dozat, 2015) as Keras computes it.

    With ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and ``u_product`` the running product of the
    ``u_t``: ``m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)``,
    ``v_hat = v / (1 - beta_2**t)``, ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``. (torch's
    NAdam uses ``0.96**(0.004 t)`` and places epsilon differently, so the two differ.)

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to ``sqrt(v_hat)``. Defaults to 1e-7.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Nadam
        >>> w = np.array([3.0])
        >>> opt = Nadam(learning_rate=0.1)
        >>> for _ in range(300):
        ...     opt.apply([2 * (w - 1.0)], [w])
        >>> np.round(w, 2)
        array([1.])
    """

    _scratch = ("_buf", "_buf2")
    _extra_state = ("u_product",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = _check_number(beta_1, "beta_1", "Nadam", 0.0, 1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", "Nadam", 0.0, 1.0)
        self.epsilon = _check_number(epsilon, "epsilon", "Nadam", 0.0)
        self._u_product = None
        self._coef = (0.0, 0.0, 0.0)

    def _build_extra_state(self, dtype):
        self._u_product = self._track(Variable(1.0, dtype=dtype or floatx(), name="u_product",
                                               trainable=False))

    def init_state(self, param):
        xp = xp_of(param)
        return {"momentum": xp.zeros_like(param), "velocity": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("momentum", "velocity"),)

    def _backend_update_step(self, indices, grads, lr):
        # The running product advances once per update, before the per-variable rules read it.
        t = self._step_count() + 1
        u_product = self._u_product.data
        u_product *= self.beta_1 * (1.0 - 0.5 * 0.96**t)
        super()._backend_update_step(indices, grads, lr)

    def begin_step(self, lr):
        t = self._step_count() + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product = float(self._u_product.data)
        self._coef = (u_next / (1.0 - u_product * u_next), (1.0 - u_t) / (1.0 - u_product),
                      1.0 / (1.0 - self.beta_2**t))

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        m, v = state["momentum"], state["velocity"]
        buf, buf2 = state["_buf"], state["_buf2"]
        c_m, c_g, c_v = self._coef
        xp.subtract(grad, m, buf)
        xp.multiply(buf, 1.0 - self.beta_1, buf)
        xp.add(m, buf, m)
        xp.multiply(grad, grad, buf)
        xp.subtract(buf, v, buf)
        xp.multiply(buf, 1.0 - self.beta_2, buf)
        xp.add(v, buf, v)
        xp.multiply(m, c_m, buf)
        xp.multiply(grad, c_g, buf2)
        xp.add(buf, buf2, buf)
        xp.multiply(v, c_v, buf2)
        xp.sqrt(buf2, buf2)
        xp.add(buf2, self.epsilon, buf2)
        xp.divide(buf, buf2, buf)
        xp.multiply(buf, lr, buf)
        xp.subtract(param, buf, param)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
