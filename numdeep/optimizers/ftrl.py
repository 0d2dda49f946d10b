"""FTRL-Proximal: follow the regularized leader (McMahan et al., 2013)."""

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer

__all__ = ["Ftrl"]

_NON_NEGATIVE = ("initial_accumulator_value", "l1_regularization_strength",
                 "l2_regularization_strength", "l2_shrinkage_regularization_strength")


class Ftrl(Optimizer):
    """FTRL, as Keras computes it (online L2 and shrinkage-type L2 regularization).

    With ``p = -learning_rate_power``, ``g' = g + 2 * l2_shrinkage * w`` and
    ``n' = n + g**2``: ``z += g' - (n'**p - n**p) / lr * w``;
    ``w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * (l2 + beta / (2 * lr)))``; ``n = n'``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        learning_rate_power: how the rate decreases with the accumulated squares (<= 0; 0 keeps
            it fixed). Defaults to -0.5.
        initial_accumulator_value: starting value of ``n`` (>= 0). Defaults to 0.1.
        l1_regularization_strength: L1 strength (>= 0). Defaults to 0.
        l2_regularization_strength: stabilizing L2 strength (>= 0). Defaults to 0.
        l2_shrinkage_regularization_strength: magnitude-penalty L2 strength (>= 0). Defaults to 0.
        beta: the paper's beta. Defaults to 0.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Ftrl
        >>> w = np.array([1.0, 2.0, 3.0, 4.0])
        >>> Ftrl(learning_rate=0.5).apply([np.array([1.0, 6.0, 7.0, 2.0])], [w])
        >>> np.round(w, 4)
        array([0.2218, 1.3954, 2.3651, 2.8814])
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        values = (initial_accumulator_value, l1_regularization_strength,
                  l2_regularization_strength, l2_shrinkage_regularization_strength)
        for key, value in zip(_NON_NEGATIVE, values):
            if value < 0.0:
                raise ValueError(f"`{key}` needs to be positive or zero. Received: "
                                 f"{key}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def init_state(self, param):
        xp = xp_of(param)
        return {"accumulator": xp.full_like(param, self.initial_accumulator_value),
                "linear": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("accumulator", "linear"),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        accum, linear = state["accumulator"], state["linear"]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        grad_to_use = grad + 2.0 * self.l2_shrinkage_regularization_strength * param
        new_accum = accum + grad * grad
        new_power = new_accum**power
        linear += grad_to_use - (new_power - accum**power) / lr * param
        quadratic = new_power / lr + 2.0 * l2
        param[...] = (xp.clip(linear, -l1, l1) - linear) / quadratic
        accum[...] = new_accum

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
