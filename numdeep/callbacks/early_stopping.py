"""``EarlyStopping``: stop training when a monitored metric stops improving."""

import warnings

from numdeep.callbacks._monitor import Monitor
from numdeep.callbacks.base import Callback


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3 rules).

    With ``restore_best_weights=True`` the weights of the best epoch are put back at the end of
    training, whether training stopped early or ran to its last epoch. A NaN or infinite value
    never counts as an improvement. If a ``baseline`` is given and no epoch beat it, the current
    weights are kept and one warning says so.

    Args:
        monitor: the logged quantity to watch, e.g. ``'val_loss'`` or ``'val_accuracy'``. A name
            missing from the logs raises ``ValueError`` at the first epoch end, naming the keys.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for accuracy-like names).
        baseline: training stops if the monitored value does not beat it within ``patience``
            epochs.
        restore_best_weights: put back the weights of the best epoch at the end of training.
        start_from_epoch: epochs to wait before watching (a warm-up).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer=nd.optimizers.SGD(0.0), loss="mse")  # never improves
        >>> stop = nd.callbacks.EarlyStopping(monitor="loss", patience=2)
        >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=10, verbose=0,
        ...                     callbacks=[stop])
        >>> len(history.history["loss"]), stop.stopped_epoch
        (3, 2)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if patience < 0 or start_from_epoch < 0:
            raise ValueError(f"EarlyStopping: `patience` and `start_from_epoch` must be >= 0. "
                             f"Received: patience={patience}, start_from_epoch={start_from_epoch}")
        self._monitor = Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = mode
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        self._beat_baseline = False

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitor.value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._monitor.better(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the value beats both the previous best and the baseline.
            if self.baseline is None or self._monitor.better(current, self.baseline):
                self._beat_baseline = True
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if not self.restore_best_weights:
            return
        if self.best_weights is None:
            warnings.warn(f"EarlyStopping: no epoch had a finite {self.monitor!r}, so there are no "
                          f"best weights to restore; keeping the current weights.", stacklevel=2)
            return
        if self.baseline is not None and not self._beat_baseline:
            warnings.warn(f"EarlyStopping: no epoch beat baseline={self.baseline} on "
                          f"{self.monitor!r} (best: {self.best}); keeping the current weights.",
                          stacklevel=2)
            return
        if self.verbose > 0:
            print(f"Restoring model weights from the end of the best epoch: "
                  f"{self.best_epoch + 1}.")
        self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in ``logs`` (Keras API); raises for an unknown key."""
        return self._monitor.value(logs)
