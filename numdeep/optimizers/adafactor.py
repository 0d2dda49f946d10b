"""Adafactor: Adam-like steps with a factored (row x column) second moment."""

import math

import numpy as np

from numdeep.backend import xp_of
from numdeep.optimizers.base import Optimizer

__all__ = ["Adafactor"]


def _rms(x):
    return math.sqrt(float(xp_of(x).mean(x * x)))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), as Keras computes it.

    With ``t`` the step, ``rho = min(lr, 1 / sqrt(t))``, ``alpha = max(epsilon_2, rms(w)) *
    rho`` and ``beta = 1 - t**beta_2_decay``: for a variable of rank >= 2 the second moment is
    the outer product of running row means ``r`` and column means ``c`` of ``g**2 + epsilon_1``
    (``v = (r / mean(r))[..., None] * c[..., None, :]``), saving memory; otherwise it is a full
    running mean. ``u = g / sqrt(v)``, ``w -= alpha * u / max(1, rms(u) / clip_threshold)``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_2_decay: decay exponent of ``beta``. Defaults to -0.8.
        epsilon_1: added to the squared gradients. Defaults to 1e-30.
        epsilon_2: lower bound of the step's scale. Defaults to 1e-3.
        clip_threshold: bound on the update's RMS. Defaults to 1.0.
        relative_step: with a float rate, also cap it at ``1 / sqrt(t)``. Defaults to True.
        name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see
            ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import Adafactor
        >>> w = np.array([1.0, 2.0, 3.0, 4.0])
        >>> Adafactor(learning_rate=0.5).apply([np.array([1.0, 6.0, 7.0, 2.0])], [w])
        >>> np.round(w, 4)
        array([-0.3693,  0.6307,  1.6307,  2.6307])
    """

    _scratch = ()

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def init_state(self, param):
        xp = xp_of(param)
        if param.ndim < 2:  # unused: Keras keeps integer placeholders here
            r = c = xp.zeros((), dtype=np.int32)
        else:
            r = xp.zeros(param.shape[:-1], dtype=param.dtype)
            c = xp.zeros(param.shape[:-2] + param.shape[-1:], dtype=param.dtype)
        return {"r": r, "c": c, "velocity": xp.zeros_like(param)}

    def _slot_groups(self):
        return (("r", "c", "velocity"),)

    def update(self, param, grad, state, lr):
        xp = xp_of(param)
        t = self._step_count() + 1
        if self.relative_step and isinstance(self._learning_rate, float):
            lr = min(lr, 1.0 / math.sqrt(t))
        alpha = max(self.epsilon_2, _rms(param)) * min(lr, 1.0 / math.sqrt(t))
        beta = 1.0 - math.pow(t, self.beta_2_decay)
        square = grad * grad + self.epsilon_1
        v = state["velocity"]
        if param.ndim >= 2:
            r, c = state["r"], state["c"]
            r[...] = beta * r + (1.0 - beta) * square.mean(axis=-1)
            c[...] = beta * c + (1.0 - beta) * square.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (1.0 - beta) * square
        u = grad / xp.sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)
        param -= alpha * u

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
