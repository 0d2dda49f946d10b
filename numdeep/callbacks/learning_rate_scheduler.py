"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""

import inspect
import numbers

from numdeep.callbacks._monitor import log_learning_rate
from numdeep.callbacks.base import Callback


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate to ``schedule(epoch, lr)`` at the start of every epoch.

    ``epoch`` is 0-based and ``lr`` is the current learning rate; a one-argument
    ``schedule(epoch)`` is accepted too. Adds ``learning_rate`` to the epoch logs. For a rate that
    changes every step, give the optimizer a ``numdeep.optimizers.schedules`` object instead.

    Args:
        schedule: function ``(epoch, lr) -> new learning rate`` (a float).
        verbose: 1 prints the new learning rate each epoch.

    Example:
        >>> import numpy as np
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
        self._takes_lr = _accepts_two_args(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self._takes_lr:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(f"LearningRateScheduler: the schedule must return a float; it "
                             f"returned {lr!r} for epoch {epoch}.")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        log_learning_rate(self.model, epoch, logs)


def _accepts_two_args(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
