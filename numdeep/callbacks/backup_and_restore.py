"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where its last backup was taken."""

import os
import warnings

import numpy as np

from numdeep.backend import random as nd_random
from numdeep.callbacks import _backup_files as files
from numdeep.callbacks._monitor import finite_loss
from numdeep.callbacks.base import Callback


class BackupAndRestore(Callback):
    """Back up the training state during ``fit`` and restore it when ``fit`` restarts.

    The files are Keras's: ``backup_dir/latest.weights.h5`` (weights and optimizer state,
    through ``model.save_weights``) and ``backup_dir/training_metadata.json`` (the epoch to
    resume at), so Keras and numdeep can resume each other's backups. numdeep adds to the
    metadata what an exact resume needs: the history so far, numdeep's global random state, the
    state of every layer's private generator (``_rng``, e.g. ``Dropout`` masks), the optimizer's
    exact scalars (e.g. a learning rate set by a callback) and the SHA-256 of the weights file.
    With ``save_freq='epoch'`` the resumed run is bit-identical to an uninterrupted one (same
    weights, optimizer moments, learning-rate schedule position, shuffling, dropout masks and
    history). Each backup is committed so that a crash at any point leaves a matching pair.

    On ``on_train_begin`` the backup is restored: ``fit`` then continues at the saved epoch. A
    corrupted backup (bad checksum, unreadable file) falls back to the previous one with
    ``double_checkpoint=True`` (with a warning); otherwise it raises
    ``numdeep.saving.CorruptFileError`` and never silently restarts training from scratch.

    Put it last in the ``callbacks`` list, so that a learning rate changed at an epoch end by
    another callback (``ReduceLROnPlateau``) is part of that epoch's backup. The internal
    counters of other callbacks (``EarlyStopping`` patience, ``ModelCheckpoint`` best value) are
    not backed up, as in Keras.

    Args:
        backup_dir: folder for the backup (created when needed). Only files this callback
            writes are ever removed from it.
        save_freq: ``'epoch'``, or back up every that many batches. Batch backups resume at the
            start of the interrupted epoch with the mid-epoch weights (Keras behaviour), so only
            ``'epoch'`` gives an exact resume.
        double_checkpoint: keep the previous backup too (``*.bkp``), as a fallback if the latest
            one is corrupted.
        delete_checkpoint: delete the backup when ``fit`` completes (not when it is interrupted,
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
        ...     print(sorted(os.listdir(folder)))
        ['latest.weights.h5', 'training_metadata.json']
        >>> model = make_model()
        >>> history = model.fit(x, y, epochs=4, verbose=0,
        ...                     callbacks=[nd.callbacks.BackupAndRestore(folder)])
        >>> history.epoch, int(model.optimizer.iterations), os.path.exists(folder)
        ([0, 1, 2, 3], 4, False)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             f"value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._weights_path, self._training_metadata_path = files.pair(self.backup_dir)
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"

    # ----- hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        try:
            metadata = files.read(self.backup_dir)
        except files.Corrupt as e:
            metadata = self._previous(e)
        if metadata is not None:
            self._restore(metadata)

    def _previous(self, error):
        try:
            metadata = files.read(self.backup_dir, previous=True)
        except files.Corrupt as e:
            metadata, error = None, f"{error}; the previous backup: {e}"
        if metadata is None:
            from numdeep.saving import CorruptFileError

            raise CorruptFileError(
                f"{error}. Training was not restarted from scratch; delete the folder to start "
                f"over (double_checkpoint=True keeps a previous backup to fall back on)",
                self.backup_dir, "BackupAndRestore backup")
        warnings.warn(f"BackupAndRestore: the latest backup is corrupted ({error}); restoring "
                      f"the previous one.", stacklevel=3)
        files.restore_previous(self.backup_dir)
        return metadata

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model(epoch + 1, logs, finished_epoch=(epoch, logs))

    def on_train_end(self, logs=None):
        if not finite_loss(logs):
            warnings.warn(f"BackupAndRestore: training ended with loss {logs['loss']}; keeping "
                          f"the last good backup in {self.backup_dir!r}.", stacklevel=2)
            return
        if self.delete_checkpoint:
            files.remove_all(self.backup_dir)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    # ----- saving --------------------------------------------------------------------------
    def _save_model(self, next_epoch, logs, finished_epoch=None):
        if not finite_loss(logs):
            warnings.warn(f"BackupAndRestore: not backing up: the loss is {logs['loss']}.",
                          stacklevel=3)
            return
        metadata = {"epoch": int(next_epoch), "batch": int(self._last_batch_seen),
                    "numdeep": self._exact_state(finished_epoch)}
        files.commit(self.backup_dir,
                     lambda path: self.model.save_weights(path, overwrite=True), metadata,
                     keep_previous=self.double_checkpoint)

    def _exact_state(self, finished_epoch):
        history = getattr(self.model, "history", None)
        record = {"epoch": list(getattr(history, "epoch", [])),
                  "history": {k: list(v) for k, v in getattr(history, "history", {}).items()}}
        if finished_epoch is not None and (not record["epoch"] or
                                           record["epoch"][-1] != finished_epoch[0]):
            record["epoch"].append(finished_epoch[0])
            for key, value in (finished_epoch[1] or {}).items():
                record["history"].setdefault(key, []).append(value)
        # The exact Python numbers of the optimizer (iterations, a float learning rate set by a
        # callback, Nadam's running product): the weights file holds them in float32.
        optimizer = {k: v for k, v in self.model.optimizer.state_dict().items()
                     if not isinstance(v, np.ndarray)}
        return {"history": record, "optimizer": optimizer, "global_rng": nd_random.get_state(),
                "layer_rngs": {key: _generator_state(generator)
                               for key, generator in _layer_rngs(self.model).items()}}

    # ----- restoring -----------------------------------------------------------------------
    def _restore(self, metadata):
        model, optimizer = self.model, self.model.optimizer
        if not model.built:
            raise ValueError(f"To use the BackupAndRestore callback, you model must be built "
                             f"before you call `fit()`. Model {model} is unbuilt. You can build "
                             f"it beforehand by calling it on a batch of data.")
        extra = metadata.get("numdeep")
        rngs = _layer_rngs(model)
        if extra is not None and sorted(rngs) != sorted(extra["layer_rngs"]):
            raise ValueError(f"BackupAndRestore: the backup in {self.backup_dir!r} is for a "
                             f"different model: it has random generators at layer positions "
                             f"{sorted(extra['layer_rngs'])}, this model at {sorted(rngs)}.")
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_weights)
        model.load_weights(self._weights_path)
        if extra is not None:
            saved = extra["optimizer"]
            optimizer.load_state_dict({**optimizer.state_dict(), **saved})
            for key, rng in rngs.items():
                _set_generator_state(rng, extra["layer_rngs"][key])
            nd_random.set_state(extra["global_rng"])
            history = getattr(model, "history", None)
            if history is not None:
                history.epoch = list(extra["history"]["epoch"])
                history.history = {k: list(v) for k, v in extra["history"]["history"].items()}
        model._initial_epoch = int(metadata["epoch"])


def _layer_rngs(model):
    """``{key: generator}`` of every random stream in the model and its nested layers: each
    layer's ``SeedGenerator``s (``Dropout`` masks; key ``'<position>#<i>'``) and a private NumPy
    ``Generator`` kept as ``_rng`` (key ``'<position>'``). Weights files do not hold them."""
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
        for i, generator in enumerate(layer.__dict__.get("_seed_generators", ())):
            found[f"{path}#{i}"] = generator
        for i, child in enumerate(children):
            visit(child, f"{path}/{i}" if path else str(i), child.__dict__.get("_layers", []))

    visit(model, "", model.layers)
    return found


def _generator_state(generator):
    if isinstance(generator, np.random.Generator):
        return generator.bit_generator.state
    return generator.state.numpy().tolist()


def _set_generator_state(rng, state):
    if not isinstance(rng, np.random.Generator):  # a SeedGenerator: its [seed, counter]
        rng.state.assign(np.asarray(state, dtype=rng.state.dtype))
        return
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name != type(rng.bit_generator).__name__:
        raise ValueError(f"BackupAndRestore: saved generator {name!r} does not match the "
                         f"layer's {type(rng.bit_generator).__name__}.")
    rng.bit_generator.state = state
