"""Lion: sign of an interpolated momentum (Chen et al., 2023)."""

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer, _check_number

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion, as Keras computes it.

    ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``; then ``m = beta_2 * m + (1 - beta_2) * g``.
    Its updates have unit size per element, so it wants a 3-10x smaller learning rate than AdamW
    (and a correspondingly larger weight decay).

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: weight of the momentum in the update's sign, in (0, 1]. Defaults to 0.9.
        beta_2: decay rate of the momentum. Defaults to 0.99.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Lion
        >>> w = np.array([1.0, 2.0])
        >>> Lion(learning_rate=0.5).apply([np.array([3.0, -0.1])], [w])
        >>> w
        array([0.5, 2.5])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(beta_1, bool) or not isinstance(beta_1, int | float) or not 0 < beta_1 <= 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1 = beta_1
        self.beta_2 = _check_number(beta_2, "beta_2", "Lion", 0.0, 1.0)

    def init_state(self, param):
        return {"momentum": xp_of(param).zeros_like(param)}

    def _slot_groups(self):
        return (("momentum",),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        m, buf = state["momentum"], state["_buf"]
        xp.subtract(grad, m, buf)
        xp.multiply(buf, 1.0 - self.beta_1, buf)
        xp.add(buf, m, buf)
        xp.sign(buf, buf)
        xp.multiply(buf, lr, buf)
        xp.subtract(param, buf, param)
        xp.subtract(grad, m, buf)
        xp.multiply(buf, 1.0 - self.beta_2, buf)
        xp.add(m, buf, m)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
