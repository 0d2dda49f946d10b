"""``EarlyStopping``: stop training when a monitored metric stops improving."""

import warnings

from numdeep.callbacks.monitor_callback import MonitorCallback
from numdeep.utils.io_utils import print_msg


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3 rules).

    With ``restore_best_weights=True`` the weights of the best epoch are put back at the end of
    training, whether training stopped early or ran to its last epoch; if no epoch improved
    (e.g. none beat ``baseline``), the best is the first monitored epoch. A NaN or infinite value
    never counts as an improvement. A ``monitor`` missing from the logs warns and is skipped.

    Args:
        monitor: the logged quantity to watch, e.g. ``'val_loss'`` or ``'val_accuracy'``.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (see ``MonitorCallback``).
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
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Instances are reusable across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # the model's metrics exist by now
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the first monitored epoch is the best one.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the value beats both the previous best and baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in ``logs``, or None (with a warning) when it is missing."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs or {}))}",
                          stacklevel=2)
        return value
