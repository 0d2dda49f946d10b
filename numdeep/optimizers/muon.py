"""Muon: momentum orthogonalized by Newton-Schulz iterations, AdamW for the other variables."""

import math
import re

from numdeep.backend import xp_of
from numdeep.backend.kernels.optimizers import adam_update
from numdeep.optimizers.base import Optimizer, _array_of

__all__ = ["Muon"]


def _swap_last(x):
    return xp_of(x).swapaxes(x, -1, -2)


def newton_schulz5(x, steps, a, b, c):
    """Approximately orthogonalize ``x`` (rank >= 2): ``steps`` quintic Newton-Schulz iterations
    ``X <- a X + (b A + c A A) X`` with ``A = X X^T``, from ``X = x / ||x||``. The coefficients
    maximize the slope at zero, so few steps suffice; the result is ``U S' V^T`` with ``S'``
    near 1, not exactly ``U V^T``."""
    if x.ndim < 2:
        raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. "
                         f"Received: shape={tuple(x.shape)}")
    xp = xp_of(x)
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = _swap_last(x)
    x = x / (xp.sqrt((x * x).sum(axis=(-2, -1), keepdims=True)) + 1e-7)
    for _ in range(steps):
        gram = x @ _swap_last(x)
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return _swap_last(x) if tall else x


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025), as Keras computes it.

    A 2-D variable (not an embedding, not matched by ``exclude_layers``) takes
    ``m = momentum * m + g``, then ``w -= lr * rms_rate * sqrt(max(rows, cols)) *
    NS5(g + momentum * m)`` (``NS5(m)`` without Nesterov), where ``NS5`` approximately
    orthogonalizes a matrix with ``ns_steps`` quintic Newton-Schulz iterations. Every other
    variable takes an AdamW step at ``lr * adam_lr_ratio``. Weight decay is ``weight_decay`` for
    the Muon variables and ``adam_weight_decay`` for the others.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        adam_beta_1, adam_beta_2: Adam's moment decay rates. Defaults to 0.9 and 0.999.
        adam_weight_decay: decoupled weight decay of the AdamW variables. Defaults to 0.004.
        epsilon: Adam's epsilon. Defaults to 1e-7.
        weight_decay: decoupled weight decay of the Muon variables. Defaults to 0.004.
        exclude_layers: regexes of variable paths that use AdamW (e.g. the output layer).
        exclude_embeddings: whether variables with "embedding" in their path use AdamW.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients.
        adam_lr_ratio: AdamW's learning rate relative to ``learning_rate``. Defaults to 1.
        momentum: Muon's momentum. Defaults to 0.95.
        ns_steps: number of Newton-Schulz iterations. Defaults to 5.
        nesterov: whether to use Nesterov momentum. Defaults to True.
        rms_rate: scale of the update relative to the matrix size (``None`` turns it off).
            Defaults to 0.2.
        name, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> w = nd.Variable([[1.0, 2.0], [3.0, 4.0]])
        >>> opt = nd.optimizers.Muon(learning_rate=0.5, weight_decay=0)
        >>> opt.apply([np.array([[1.0, 6.0], [7.0, 2.0]])], [w])
        >>> np.round(w.numpy(), 2)
        array([[0.99, 1.89],
               [2.87, 3.97]], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, name=None,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name,
                         **kwargs)
        self.adam_beta_1, self.adam_beta_2 = adam_beta_1, adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", "") or "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _init_state_of(self, variable, param):
        xp = xp_of(param)
        state = {"momentum": xp.zeros_like(param)}
        if self._should_use_adamw(variable):
            state["velocity"] = xp.zeros_like(param)
        return state

    def _slot_groups(self):
        return (("momentum", "velocity"),)

    def update(self, param, grad, state, lr):
        m = state["momentum"]
        if "velocity" in state:
            t = self._step_count() + 1
            alpha = lr * self.adam_lr_ratio * math.sqrt(1.0 - self.adam_beta_2**t) / (
                1.0 - self.adam_beta_1**t)
            adam_update(param, grad, m, state["velocity"], state["_buf"], self.adam_beta_1,
                        self.adam_beta_2, self.epsilon, alpha)
            return
        m *= self.momentum
        m += grad
        direction = grad + self.momentum * m if self.nesterov else m
        param -= self.lr_adjust(lr * self.zeropower_via_newtonschulz5(direction, self.ns_steps))

    def lr_adjust(self, x):
        """Scale an update by ``sqrt(max(rows, cols)) * rms_rate`` (Moonlight's rule, which lets
        Muon share Adam's learning rate and weight decay); unchanged when ``rms_rate`` is None."""
        if self.rms_rate is None:
            return x
        return x * (math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate)

    def zeropower_via_newtonschulz5(self, x, steps):
        """The approximate orthogonalization of ``x`` (rank >= 2) by ``steps`` iterations."""
        return newton_schulz5(_array_of(x), steps, self.muon_a, self.muon_b, self.muon_c)

    def _apply_weight_decay(self, variables):
        lr = None
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            adamw = self._should_use_adamw(variable)
            decay = self.adam_weight_decay if adamw else self.weight_decay
            if decay is None:
                continue
            lr = self._get_current_learning_rate() if lr is None else lr
            param = _array_of(variable)
            xp_of(param).multiply(param, 1.0 - decay * lr, param)

    def get_config(self):
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        })
        return config
