"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from numdeep.optimizers.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w -= w * weight_decay * lr`` before each Adam step.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        weight_decay: float, required. Defaults to 0.004 (Keras; torch's default is 0.01).
        beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        name, clipnorm, clipvalue, global_clipnorm, use_ema, ...: see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from numdeep.optimizers import AdamW
        >>> w = np.array([1.0], dtype="float32")
        >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> opt.apply([np.zeros(1)], [w])   # a zero gradient: only the decay acts
        >>> w
        array([0.95], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: Argument `weight_decay` must be a float. "
                             "Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, name=name,
                         **kwargs)
