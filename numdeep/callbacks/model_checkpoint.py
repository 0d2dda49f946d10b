"""``ModelCheckpoint``: save the model (or its weights) during training."""

import math
import os
import warnings

from numdeep.callbacks._monitor import Monitor, finite_loss
from numdeep.callbacks.base import Callback


class ModelCheckpoint(Callback):
    """Save the model or its weights at the end of each epoch, or every ``save_freq`` batches.

    Every file is written through ``model.save``/``model.save_weights``, which write a temporary
    file in the destination directory and rename it over the target: an interrupted save leaves
    the previous checkpoint untouched, and a new best replaces the old one only once it is
    complete. Files with different names (a templated ``filepath``) are all kept, as in Keras.
    A NaN or infinite monitored value never counts as best, and a model whose training loss is
    NaN or infinite (see ``TerminateOnNaN``) is never written, so a diverged run cannot
    overwrite a good checkpoint.

    Args:
        filepath: where to save; may contain ``str.format`` fields filled from the epoch (1-based)
            and the logs, e.g. ``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'`` (and ``{batch}`` with an
            integer ``save_freq``). Whole models need ``.keras`` or ``.h5``; with
            ``save_weights_only=True``, ``.weights.h5`` (or a legacy ``.h5``).
        monitor: the logged quantity compared by ``save_best_only``; a name missing from the
            logs raises ``ValueError`` at the first epoch end, naming the available keys.
        verbose: 1 prints a line for each save decision.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: save only the weights (and optimizer state) with ``save_weights``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for accuracy-like names).
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
        super().__init__()
        self.filepath = os.fspath(filepath)
        self._monitor = Monitor("ModelCheckpoint", monitor, mode)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = mode
        _check_extension(self.filepath, self.save_weights_only)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"ModelCheckpoint: `save_freq` must be 'epoch' or a positive integer "
                             f"number of batches. Received: save_freq={save_freq!r}")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = (self._monitor.worst if initial_value_threshold is None
                     else float(initial_value_threshold))
        self._batches_since_save = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if self.save_best_only:
            current = self._monitor.value(logs)
            if current is None:
                return
            if not self._monitor.better(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{_fmt(self.best)}")
                return
            if not self._can_save(epoch, logs):
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {_fmt(self.best)} to "
                      f"{current:.5f}, saving model to {filepath}")
            self._write(filepath)
            self.best = current
            return
        if not self._can_save(epoch, logs):
            return
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        self._write(filepath)

    def _can_save(self, epoch, logs):
        if finite_loss(logs):
            return True
        warnings.warn(f"ModelCheckpoint: not saving at epoch {epoch + 1}: the training loss is "
                      f"{logs['loss']} (the weights have diverged).", stacklevel=3)
        return False

    def _write(self, filepath):
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: the filepath template {self.filepath!r} names "
                           f"{e}, which is not in the logs. Available fields: "
                           f"{', '.join(sorted(fields))}.") from None


def _fmt(value):
    return f"{value:.5f}" if math.isfinite(value) else str(value)


def _check_extension(filepath, weights_only):
    if weights_only:
        if not filepath.endswith(".h5"):
            raise ValueError(f"ModelCheckpoint: with save_weights_only=True the filepath must end "
                             f"in '.weights.h5' (or a legacy '.h5'). Received: {filepath!r}")
    elif not filepath.endswith((".keras", ".h5")):
        raise ValueError(f"ModelCheckpoint: the filepath must end in '.keras' or '.h5' (or pass "
                         f"save_weights_only=True with '.weights.h5'). Received: {filepath!r}")
