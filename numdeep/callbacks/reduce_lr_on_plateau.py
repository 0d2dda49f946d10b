"""``ReduceLROnPlateau``: lower the learning rate when a metric stops improving."""

import numpy as np

from numdeep.callbacks._monitor import Monitor, log_learning_rate
from numdeep.callbacks.base import Callback


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Adds ``learning_rate`` to the epoch logs (and so to ``History``, ``CSVLogger`` and
    ``TensorBoard``), as Keras does. The optimizer needs a float learning rate, not a schedule.

    Args:
        monitor: the logged quantity to watch; a name missing from the logs raises
            ``ValueError`` at the first epoch end, naming the available keys.
        factor: the multiplier, in ``(0, 1)``: ``new_lr = lr * factor``.
        patience: epochs without improvement before the learning rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for accuracy-like names).
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
        >>> model.optimizer.learning_rate
        0.025
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: `factor` must be in (0, 1). "
                             f"Received: factor={factor}")
        self._monitor = Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = mode
        self.min_delta = float(min_delta)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        self.best = self._monitor.worst
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        """Whether the callback is waiting out ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        log_learning_rate(self.model, epoch, logs)
        current = self._monitor.value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.better(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = float(self.model.optimizer.learning_rate)
        # Compared in float32, as Keras does, so a min_lr stored in float32 counts as reached.
        if old_lr > float(np.float32(self.min_lr)):
            new_lr = max(old_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0

