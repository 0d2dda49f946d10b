"""``OrbaxCheckpoint``: Keras's step-numbered checkpoint folders, written in numdeep's formats."""

import os
import re
import shutil
import warnings

from numdeep.callbacks._monitor import finite_loss
from numdeep.callbacks.monitor_callback import MonitorCallback
from numdeep.utils.io_utils import print_msg

WEIGHTS = "model.weights.h5"
_STEP = re.compile(r"^\d+$")


class OrbaxCheckpoint(MonitorCallback):
    """Save the model (or its weights) into ``directory/<step>/`` during training, as Keras's
    ``OrbaxCheckpoint`` lays them out, keeping the newest ``max_to_keep`` steps.

    numdeep has no JAX and no Orbax, so each step folder holds numdeep's (and Keras's) own
    formats instead of Orbax's tensor stores: a whole model is an unzipped ``.keras`` folder
    (``config.json``, ``metadata.json``, ``model.weights.h5``: architecture, weights, compile
    state and optimizer state), weights alone are ``model.weights.h5``. ``load_model(directory)``
    and ``model.load_weights(directory)`` read the newest step. A step is written under a
    temporary name and renamed into place, so an interrupted save never leaves a partial step.
    The step is the epoch index with ``save_freq='epoch'``, else the number of batches seen
    (counted from the optimizer's iterations, so a reloaded model continues the numbering).

    Args:
        directory: the folder of the step folders (created with the callback, as Keras does).
        monitor: the quantity compared by ``save_best_only``.
        verbose: 1 prints a line for each save.
        save_best_only: save only when ``monitor`` improves (see ``MonitorCallback``).
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        save_freq: ``'epoch'`` or an integer number of batches between saves.
        initial_value_threshold: the value to beat for the first save with ``save_best_only``.
        max_to_keep: how many of the newest steps to keep (``None``: all). Defaults to 1.
        save_on_background: accepted for Keras compatibility; numdeep saves synchronously (a
            background writer would read weights that training is changing).
        save_weights_only: save only the weights (and the optimizer state).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(2,))])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> folder = tempfile.mkdtemp()
        >>> cb = nd.callbacks.OrbaxCheckpoint(folder, max_to_keep=2)
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
        >>> sorted(os.listdir(folder))
        ['1', '2']
        >>> int(nd.saving.load_model(folder).optimizer.iterations)
        3
    """

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, max_to_keep=1,
                 save_on_background=True, save_weights_only=False):
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             f"'epoch' or integer values")
        if max_to_keep is not None and max_to_keep < 1:
            raise ValueError(f"OrbaxCheckpoint: `max_to_keep` must be None or >= 1. Received: "
                             f"max_to_keep={max_to_keep}")
        self.directory = os.fspath(directory)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._total_batches_seen = 0
        self.checkpointer = self  # Keras's handle on the writer: close() and wait
        os.makedirs(self.directory, exist_ok=True)  # as Orbax's checkpointer does

    def set_model(self, model):
        super().set_model(model)
        if getattr(model, "optimizer", None) is not None:
            # A reloaded model continues the step numbering where its optimizer stopped.
            self._total_batches_seen = int(model.optimizer.iterations)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        self._total_batches_seen += added
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _is_best(self, logs, where):
        if not self.save_best_only:
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping "
                          f"save at {where}.", stacklevel=3)
            return False
        if self.monitor_op is None:
            self._set_monitor_op()
        if not self._is_improvement(current, self.best):
            return False
        self.best = current
        return True

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch) and self._is_best(logs, f"batch {batch}"):
            self._save_checkpoint(self._total_batches_seen, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch" and self._is_best(logs, f"epoch {epoch}"):
            self._save_checkpoint(epoch, logs)

    def _save_checkpoint(self, step, logs=None):
        """Write step ``step`` (replacing one of that number) and drop the oldest steps."""
        if not finite_loss(logs):
            warnings.warn(f"OrbaxCheckpoint: not saving step {step}: the training loss is "
                          f"{logs['loss']} (the weights have diverged).", stacklevel=3)
            return
        os.makedirs(self.directory, exist_ok=True)
        final = os.path.join(self.directory, str(int(step)))
        tmp = os.path.join(self.directory, f".tmp-{int(step)}-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            if self.save_weights_only:
                os.makedirs(tmp)
                self.model.save_weights(os.path.join(tmp, WEIGHTS), overwrite=True)
            else:
                self.model.save(tmp, zipped=False)
            if os.path.exists(final):
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if self.verbose > 0:
            print_msg(f"\nOrbaxCheckpoint: saved step {int(step)} to {final}")
        if self.max_to_keep is not None:
            for old in steps(self.directory)[:-self.max_to_keep]:
                shutil.rmtree(os.path.join(self.directory, str(old)), ignore_errors=True)

    def wait_until_finished(self):
        """Wait for pending saves (numdeep saves synchronously: nothing is ever pending)."""

    def close(self):
        """Finish writing (Keras's ``checkpointer.close()``); nothing is pending in numdeep."""


def steps(directory):
    """The step numbers saved in ``directory``, oldest first."""
    if not os.path.isdir(directory):
        return []
    return sorted(int(name) for name in os.listdir(directory)
                  if _STEP.match(name) and os.path.isdir(os.path.join(directory, name)))


def latest_model_path(path):
    """The newest step folder of an ``OrbaxCheckpoint`` directory (a ``.keras`` folder), or
    ``path`` itself when it is not one. A newest step holding weights only raises."""
    step = _latest_step(path)
    if step is None:
        return path
    if not os.path.exists(os.path.join(step, "config.json")):
        raise ValueError(f"The newest checkpoint in {path!r} ({step!r}) holds weights only "
                         f"(OrbaxCheckpoint(save_weights_only=True)): load it with "
                         f"model.load_weights({path!r}) into a model built in code.")
    return step


def latest_weights_path(path):
    """The weights file of the newest step of an ``OrbaxCheckpoint`` directory, or ``path``."""
    step = _latest_step(path)
    return path if step is None else os.path.join(step, WEIGHTS)


def _latest_step(path):
    if not isinstance(path, str | os.PathLike) or not os.path.isdir(path) or \
            os.path.exists(os.path.join(path, "config.json")):
        return None
    found = steps(path)
    return os.path.join(os.fspath(path), str(found[-1])) if found else None
