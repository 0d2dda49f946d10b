"""``ReduceLROnPlateau``: lower the learning rate when a metric stops improving."""

import warnings

import numpy as np

from numdeep.callbacks._monitor import log_learning_rate, optimizers_of
from numdeep.callbacks.monitor_callback import MonitorCallback
from numdeep.utils.io_utils import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Adds ``learning_rate`` to the epoch logs (``learning_rate_<name>`` for each sub-optimizer of a
    ``MultiOptimizer``, all of which are reduced together), as Keras does. The optimizer needs a
    float learning rate, not a schedule.

    Args:
        monitor: the logged quantity to watch (missing from the logs: a warning, no change).
        factor: the multiplier, below 1: ``new_lr = lr * factor``.
        patience: epochs without improvement before the learning rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (see ``MonitorCallback``).
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound on the learning rate.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, use_bias=False, input_shape=(1,))])
        >>> model.compile(optimizer=nd.optimizers.SGD(0.1), loss="mse")
        >>> cb = nd.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> # x = 0: the loss cannot improve, so the rate is halved after every epoch but the first
        >>> history = model.fit(np.zeros((4, 1)), np.ones((4, 1)), epochs=3, verbose=0,
        ...                     callbacks=[cb])
        >>> history.history["learning_rate"]  # logged before each epoch's decision, as in Keras
        [0.1, 0.1, 0.05]
        >>> model.optimizer.get_config()["learning_rate"]
        0.025
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        """Whether the callback is waiting out ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        log_learning_rate(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(list(logs))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                named = optimizers_of(self.model)
                reduced = [self._reduce(opt, epoch, name) for name, opt in named]
                if any(reduced):
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def _reduce(self, optimizer, epoch, name):
        old_lr = optimizer._get_current_learning_rate()
        # Compared in float32, as Keras does, so a min_lr stored in float32 counts as reached.
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            label = f" {name}" if name else ""
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{label} learning rate to "
                      f"{new_lr}.")
        return True
