"""``ModelCheckpoint``: save the model (or its weights) during training."""

import os
import warnings

import numpy as np

from numdeep.callbacks._monitor import finite_loss
from numdeep.callbacks.monitor_callback import MonitorCallback
from numdeep.utils.io_utils import print_msg


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at the end of each epoch, or every ``save_freq`` batches.

    Every file is written through ``model.save``/``model.save_weights``, which write a temporary
    file in the destination directory and rename it over the target: an interrupted save leaves
    the previous checkpoint untouched, and a new best replaces the old one only once it is
    complete. Files with different names (a templated ``filepath``) are all kept, as in Keras.
    A NaN or infinite monitored value never counts as best, and a model whose training loss is
    NaN or infinite (see ``TerminateOnNaN``) is never written, so a diverged run cannot
    overwrite a good checkpoint. With ``save_best_only`` and ``monitor`` missing from the logs,
    Keras's rule applies: a warning, and the model is saved.

    Args:
        filepath: where to save; may contain ``str.format`` fields filled from the epoch (1-based)
            and the logs, e.g. ``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'`` (and ``{batch}``,
            1-based, with an integer ``save_freq``). Whole models need ``.keras`` or ``.h5``;
            with ``save_weights_only=True``, ``.weights.h5`` (or a legacy ``.h5``).
        monitor: the logged quantity compared by ``save_best_only``.
        verbose: 1 prints a line for each save decision.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: save only the weights (and optimizer state) with ``save_weights``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (see ``MonitorCallback``).
        save_freq: ``'epoch'``, or an integer number of batches between saves.
        initial_value_threshold: the value to beat for the first save when ``save_best_only``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "ckpt-{epoch:02d}.weights.h5")
        >>> cb = nd.callbacks.ModelCheckpoint(path, save_weights_only=True)
        >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[cb])
        >>> sorted(os.listdir(folder))
        ['ckpt-01.weights.h5', 'ckpt-02.weights.h5']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             f"'epoch' or integer values")
        _check_extension(self.filepath, save_weights_only)

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch: batches count from 0 again
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: "
                          f"{current}. Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if not finite_loss(logs):
            warnings.warn(f"ModelCheckpoint: not saving at epoch {epoch + 1}: the training loss "
                          f"is {logs['loss']} (the weights have diverged).", stacklevel=3)
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if os.path.isdir(filepath):
            raise OSError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None


def _check_extension(filepath, weights_only):
    if weights_only:
        if not filepath.endswith(".h5"):
            raise ValueError(f"When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             f"filepath provided must end in `.weights.h5` (Keras weights "
                             f"format; a legacy `.h5` is accepted too). Received: "
                             f"filepath={filepath}")
    elif not filepath.endswith((".keras", ".h5")):
        raise ValueError(f"The filepath provided must end in `.keras` (Keras model format). "
                         f"Received: filepath={filepath}")
