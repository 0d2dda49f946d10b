"""Adagrad: per-parameter rates shrinking with the accumulated squared gradients."""

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras formulation.

    ``acc += g**2; w -= lr * g / sqrt(acc + epsilon)``, with ``acc`` starting at
    ``initial_accumulator_value``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001 (Adagrad usually wants more).
        initial_accumulator_value: non-negative starting value of the accumulators. Defaults
            to 0.1 (torch: 0).
        epsilon: added inside the square root. Defaults to 1e-7.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Adagrad
        >>> w = np.array([1.0])
        >>> opt = Adagrad(learning_rate=1.0, initial_accumulator_value=0.0, epsilon=0.0)
        >>> opt.apply([np.array([0.5])], [w])   # first step moves by lr * sign(g)
        >>> w
        array([0.])
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = _check_number(
            initial_accumulator_value, "initial_accumulator_value", "Adagrad", 0.0)
        self.epsilon = _check_number(epsilon, "epsilon", "Adagrad", 0.0)

    def init_state(self, param):
        return {"accumulator": xp_of(param).full_like(param, self.initial_accumulator_value)}

    def _slot_groups(self):
        return (("accumulator",),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        acc, buf = state["accumulator"], state["_buf"]
        xp.multiply(grad, grad, buf)
        xp.add(acc, buf, acc)
        xp.add(acc, self.epsilon, buf)
        xp.sqrt(buf, buf)
        xp.divide(grad, buf, buf)
        xp.multiply(buf, lr, buf)
        xp.subtract(param, buf, param)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
