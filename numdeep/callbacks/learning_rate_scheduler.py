"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""

import inspect

import numpy as np

from numdeep.callbacks._monitor import log_learning_rate, optimizers_of
from numdeep.callbacks.base import Callback
from numdeep.utils.io_utils import print_msg


class LearningRateScheduler(Callback):
    """Set the learning rate to ``schedule(epoch, lr)`` at the start of every epoch.

    ``epoch`` is 0-based and ``lr`` the current learning rate; a one-argument
    ``schedule(epoch)`` is called with the epoch only. With a ``MultiOptimizer`` every
    sub-optimizer's rate goes through the schedule. Adds ``learning_rate`` to the epoch logs.
    For a rate that changes every step, give the optimizer a ``numdeep.optimizers.schedules``
    object instead.

    Args:
        schedule: function ``(epoch, lr) -> new learning rate`` (a float).
        verbose: 1 prints the new learning rate each epoch.

    Example:
        >>> import inspect

import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer=nd.optimizers.SGD(0.1), loss="mse")
        >>> halve = nd.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
        >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0,
        ...                     callbacks=[halve])
        >>> history.history["learning_rate"]
        [0.1, 0.05, 0.025]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: `schedule` must be a function "
                             f"(epoch, lr) -> lr. Received: {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        if _accepts_two_args(self.schedule):
            learning_rate = self.schedule(epoch, optimizer._get_current_learning_rate())
        else:  # a schedule of the epoch only (Keras's older API)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, float | np.float32 | np.float64):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: "
                             f"{learning_rate}")
        optimizer.learning_rate = float(learning_rate)
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        for name, optimizer in optimizers_of(self.model):
            learning_rate = self._update_optimizer_lr(optimizer, epoch)
            if self.verbose > 0:
                label = f"{name} learning rate" if name else "learning rate"
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {label} to "
                          f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        log_learning_rate(self.model, logs)


def _accepts_two_args(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
