"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where its last backup was taken."""

import os
import warnings

import numpy as np

from numdeep.backend import random as nd_random
from numdeep.callbacks import _backup_files as files
from numdeep.callbacks._monitor import finite_loss
from numdeep.callbacks.base import Callback


class BackupAndRestore(Callback):
    """Back up the whole training state during ``fit`` and restore it when ``fit`` restarts.

    Each backup is one unit committed atomically: the weights and optimizer state (slots and
    ``iterations``, through ``model.save_weights``), the next epoch to run, the history so far,
    numdeep's global random state, the state of every layer's private generator (``_rng``, e.g.
    ``Dropout`` masks) and the optimizer's exact scalars (e.g. a learning rate set by a
    callback). The unit is written into a temporary folder inside ``backup_dir`` with SHA-256
    checksums and then renamed to ``backup-NNNNNN``; the previous unit is removed only after
    that, so a crash at any point leaves a complete unit whose epoch counter matches its
    weights. With
    ``save_freq='epoch'`` the resumed run is bit-identical to an uninterrupted one (same weights,
    optimizer moments, learning-rate schedule position, shuffling, dropout masks and history).

    On ``on_train_begin`` the newest unit is restored: ``fit`` then continues at the saved epoch.
    A corrupted unit (bad checksum, unreadable file) raises ``numdeep.saving.CorruptFileError``
    and never silently restarts training from scratch; with ``double_checkpoint=True`` the
    previous unit is kept on disk and used instead, with a warning.

    Put it last in the ``callbacks`` list, so that a learning rate changed at an epoch end by
    another callback (``ReduceLROnPlateau``) is part of that epoch's backup. The internal
    counters of other callbacks (``EarlyStopping`` patience, ``ModelCheckpoint`` best value) are
    not backed up, as in Keras.

    Args:
        backup_dir: folder for the backups (created when needed). Only files this callback
            wrote are ever removed from it.
        save_freq: ``'epoch'``, or back up every that many batches. Batch backups resume at the
            start of the interrupted epoch with the mid-epoch weights (Keras behaviour), so only
            ``'epoch'`` gives an exact resume.
        double_checkpoint: keep the previous backup too, as a fallback if the newest one is
            corrupted.
        delete_checkpoint: delete the backups when ``fit`` completes (not when it is interrupted,
            and not when it ends with a NaN or infinite loss).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> class Kill(nd.callbacks.Callback):
        ...     def on_epoch_begin(self, epoch, logs=None):
        ...         if epoch == 2:
        ...             raise KeyboardInterrupt
        >>> def make_model():
        ...     model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        ...     model.compile(optimizer="adam", loss="mse")
        ...     return model
        >>> folder = os.path.join(tempfile.mkdtemp(), "backup")
        >>> x, y = np.ones((4, 1)), np.ones((4, 1))
        >>> try:
        ...     make_model().fit(x, y, epochs=4, verbose=0,
        ...                      callbacks=[Kill(), nd.callbacks.BackupAndRestore(folder)])
        ... except KeyboardInterrupt:
        ...     print("interrupted")
        interrupted
        >>> model = make_model()
        >>> history = model.fit(x, y, epochs=4, verbose=0,
        ...                     callbacks=[nd.callbacks.BackupAndRestore(folder)])
        >>> history.epoch, model.optimizer.iterations, os.path.exists(folder)
        ([0, 1, 2, 3], 4, False)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: `backup_dir` must be a folder path. "
                             f"Received: backup_dir={backup_dir!r}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"BackupAndRestore: `save_freq` must be 'epoch' or a positive "
                             f"integer number of batches. Received: save_freq={save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._epoch = 0
        self._batches = 0

    # ----- hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._epoch = 0
        self._batches = 0
        units = files.list_units(self.backup_dir, clean=True)
        candidates = units[:2] if self.double_checkpoint else units[:1]
        failures = []
        for path in candidates:
            try:
                self._restore(path)
            except files.Corrupt as e:
                failures.append(f"{path}: {e}")
                continue
            if failures:
                warnings.warn(f"BackupAndRestore: the newest backup is corrupted ({failures[0]}); "
                              f"restored the previous one, {path}.", stacklevel=2)
            return
        if failures:
            from numdeep.saving import CorruptFileError

            raise CorruptFileError(
                f"{'; '.join(failures)}. Training was not restarted from scratch; delete the "
                f"folder to start over (double_checkpoint=True keeps a previous backup to fall "
                f"back on)", self.backup_dir, "BackupAndRestore backup")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches >= self.save_freq:
            self._batches = 0
            history = self._history_so_far()
            self._commit(self._epoch, history, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        history = self._history_so_far()
        if not history["epoch"] or history["epoch"][-1] != epoch:
            history["epoch"].append(epoch)
            for key, value in (logs or {}).items():
                history["history"].setdefault(key, []).append(value)
        self._commit(epoch + 1, history, logs)

    def on_train_end(self, logs=None):
        if not finite_loss(logs):
            warnings.warn(f"BackupAndRestore: training ended with loss {logs['loss']}; keeping "
                          f"the last good backup in {self.backup_dir!r}.", stacklevel=2)
            return
        if self.delete_checkpoint:
            self._delete_all()

    # ----- committing --------------------------------------------------------------------
    def _history_so_far(self):
        history = getattr(self.model, "history", None)
        if history is None:
            return {"epoch": [], "history": {}}
        return {"epoch": list(history.epoch),
                "history": {k: list(v) for k, v in history.history.items()}}

    def _commit(self, next_epoch, history, logs):
        if not finite_loss(logs):
            warnings.warn(f"BackupAndRestore: not backing up: the loss is {logs['loss']}.",
                          stacklevel=3)
            return
        state = self._collect_state(next_epoch, history)
        files.commit_unit(self.backup_dir,
                          lambda path: self.model.save_weights(path, overwrite=True), state)
        for old in files.list_units(self.backup_dir)[2 if self.double_checkpoint else 1:]:
            files.remove_unit(old)

    def _collect_state(self, next_epoch, history):
        # The exact Python numbers of the optimizer (iterations, a float learning rate set by a
        # callback, Nadam's running product): the weights file holds them in float32.
        optimizer = {k: v for k, v in self.model.optimizer.state_dict().items()
                     if not isinstance(v, np.ndarray)}
        return {
            "epoch": int(next_epoch),
            "history": history,
            "optimizer": optimizer,
            "global_rng": nd_random.get_state(),
            "layer_rngs": {path: rng.bit_generator.state
                           for path, rng in _layer_rngs(self.model).items()},
        }

    # ----- restoring ---------------------------------------------------------------------
    def _restore(self, path):
        state = files.read_unit(path)
        model, optimizer = self.model, self.model.optimizer
        rngs = _layer_rngs(model)
        if sorted(rngs) != sorted(state["layer_rngs"]):
            raise ValueError(f"BackupAndRestore: the backup in {path!r} is for a different model: "
                             f"it has random generators at layer positions "
                             f"{sorted(state['layer_rngs'])}, this model at {sorted(rngs)}.")
        from numdeep.saving import CorruptFileError

        if not optimizer.built:
            optimizer.build(model.trainable_weights)
        try:
            model.load_weights(os.path.join(path, files.WEIGHTS))
        except CorruptFileError as e:
            raise files.Corrupt(str(e)) from e
        saved = state["optimizer"]
        if optimizer.iterations != saved["iterations"]:
            raise RuntimeError(f"BackupAndRestore: load_weights did not restore the optimizer "
                               f"state of {path!r} (iterations {optimizer.iterations}, saved "
                               f"{saved['iterations']}).")
        optimizer.load_state_dict({**optimizer.state_dict(), **saved})
        for key, rng in rngs.items():
            _set_generator_state(rng, state["layer_rngs"][key])
        nd_random.set_state(state["global_rng"])
        history = getattr(model, "history", None)
        if history is not None:
            history.epoch = list(state["history"]["epoch"])
            history.history = {k: list(v) for k, v in state["history"]["history"].items()}
        model._initial_epoch = state["epoch"]
        self._epoch = state["epoch"]

    def _delete_all(self):
        for path in files.list_units(self.backup_dir, clean=True):
            files.remove_unit(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass  # the folder holds files that are not ours, or is already gone


def _layer_rngs(model):
    """``{position path: Generator}`` for the model and every nested layer with an ``_rng``."""
    found, seen = {}, set()

    def visit(layer, path, children):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        rng = layer.__dict__.get("_rng")
        if rng is not None:
            if not isinstance(rng, np.random.Generator):
                raise TypeError(f"BackupAndRestore: layer {layer.name!r} keeps `_rng` of type "
                                f"{type(rng).__name__}; only numpy.random.Generator is supported.")
            found[path] = rng
        for i, child in enumerate(children):
            visit(child, f"{path}/{i}" if path else str(i), child.__dict__.get("_layers", []))

    visit(model, "", model.layers)
    return found


def _set_generator_state(rng, state):
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name != type(rng.bit_generator).__name__:
        raise ValueError(f"BackupAndRestore: saved generator {name!r} does not match the "
                         f"layer's {type(rng.bit_generator).__name__}.")
    rng.bit_generator.state = state
