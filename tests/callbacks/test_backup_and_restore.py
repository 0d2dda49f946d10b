import json
import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.backend import random as nd_random
from numdeep.saving import CorruptFileError
from tests.callbacks.common import Interrupt, data, model, weights_equal

CB = nd.callbacks


def make(seed=0):
    """Dropout (a private generator) and an Adam with a decaying schedule (its position)."""
    schedule = nd.optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5)
    return model(seed=seed, optimizer=nd.optimizers.Adam(schedule), dropout=True)


def fit(m, callbacks, epochs=4):
    x, y = data()
    return m.fit(x, y, epochs=epochs, batch_size=16, shuffle=True, validation_split=0.25,
                 verbose=0, callbacks=callbacks)


def killed_run(folder, at=2, **kwargs):
    with pytest.raises(KeyboardInterrupt):
        fit(make(), [CB.BackupAndRestore(folder, **kwargs), Interrupt(at)])


def metadata(folder, name="training_metadata.json"):
    return json.loads((folder / name).read_text())


def assert_same_training_state(a, b):
    assert weights_equal(a.get_weights(), b.get_weights())
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sorted(sa) == sorted(sb) and sa["iterations"] == sb["iterations"]
    for key in sa:
        assert np.array_equal(sa[key], sb[key]), key
    assert a.optimizer.get_config()["learning_rate"] == b.optimizer.get_config()["learning_rate"]
    assert a.history.epoch == b.history.epoch
    assert a.history.history == b.history.history


def test_resume_after_a_kill_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    folder = tmp_path / "backup"
    reference = make()
    fit(reference, [])
    final_rng_state = nd_random.get_state()

    killed_run(folder)
    # Keras's files: the weights (with the optimizer state) and the epoch to resume at.
    assert sorted(os.listdir(folder)) == ["latest.weights.h5", "training_metadata.json"]
    assert metadata(folder)["epoch"] == 2 and metadata(folder)["batch"] == 0
    nd.utils.set_random_seed(12345)  # the global generator must come back from the backup
    resumed = make(seed=7)  # a fresh model object with different initial weights
    history = fit(resumed, [CB.BackupAndRestore(folder)])

    assert history.epoch == [0, 1, 2, 3]
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 12
    assert_same_training_state(resumed, reference)
    assert nd_random.get_state() == final_rng_state
    assert not folder.exists()  # deleted after the successful run


class SetLearningRate(nd.callbacks.Callback):
    """Sets, once, a learning rate that float32 cannot hold exactly (as a callback might)."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.model.optimizer.learning_rate = 0.002 / 3


def test_learning_rate_set_by_a_callback_is_restored_exactly(tmp_path):
    folder = tmp_path / "backup"
    reference = model(dropout=True)
    fit(reference, [SetLearningRate()])
    with pytest.raises(KeyboardInterrupt):
        fit(model(dropout=True), [SetLearningRate(), CB.BackupAndRestore(folder), Interrupt(2)])
    resumed = model(seed=3, dropout=True)
    fit(resumed, [SetLearningRate(), CB.BackupAndRestore(folder)])
    assert_same_training_state(resumed, reference)
    assert resumed.optimizer.get_config()["learning_rate"] == 0.002 / 3


def test_a_commit_interrupted_while_writing_the_weights_keeps_the_previous_backup(
        tmp_path, monkeypatch):
    folder = tmp_path / "backup"
    m = make()
    real = type(m).save_weights
    calls = []

    def failing_save(self, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 2:  # the commit of the second epoch dies half way
            with open(filepath, "wb") as f:
                f.write(b"partial")
            raise KeyboardInterrupt
        return real(self, filepath, *args, **kwargs)

    monkeypatch.setattr(type(m), "save_weights", failing_save)
    with pytest.raises(KeyboardInterrupt):
        fit(m, [CB.BackupAndRestore(folder)])
    monkeypatch.undo()
    assert metadata(folder)["epoch"] == 1
    assert metadata(folder)["numdeep"]["history"]["epoch"] == [0]

    resumed = make(seed=5)
    seen = []
    fit(resumed, [CB.BackupAndRestore(folder),
                  CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3] and resumed.history.epoch == [0, 1, 2, 3]
    assert not folder.exists()  # the leftover temporary file went too


def test_a_commit_interrupted_between_its_renames_is_finished_on_restore(tmp_path,
                                                                         monkeypatch):
    from numdeep.callbacks import _backup_files as files

    folder = tmp_path / "backup"
    real, renames = os.replace, []

    def dying_replace(src, dst):
        if str(dst).endswith("training_metadata.json"):
            renames.append(dst)
            if len(renames) == 2:  # the second epoch's weights are in place; the process dies
                raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        fit(make(), [CB.BackupAndRestore(folder)])
    monkeypatch.undo()
    assert metadata(folder)["epoch"] == 1  # stale: it does not match the new weights
    seen = []
    fit(make(seed=2), [CB.BackupAndRestore(folder),
                       CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [2, 3]


def corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupted_backup_raises_instead_of_restarting(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    corrupt(folder / "latest.weights.h5")
    m = make(seed=1)
    before = m.get_weights()
    with pytest.raises(CorruptFileError, match="SHA-256") as info:
        fit(m, [CB.BackupAndRestore(folder)])
    assert str(folder) in str(info.value) and "not restarted from scratch" in str(info.value)
    assert weights_equal(m.get_weights(), before)
    assert (folder / "latest.weights.h5").exists()  # left for the user to inspect


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder, double_checkpoint=True)
    assert sorted(os.listdir(folder)) == ["latest.weights.h5", "latest.weights.h5.bkp",
                                          "training_metadata.json",
                                          "training_metadata.json.bkp"]
    (folder / "training_metadata.json").write_text("{not json")
    seen = []
    with pytest.warns(UserWarning, match="restoring the previous one"):
        fit(make(), [CB.BackupAndRestore(folder, double_checkpoint=True),
                     CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3]


def test_a_backup_written_by_keras_is_resumed(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    weights = make()
    weights.load_weights(folder / "latest.weights.h5")
    # Keras writes only the epoch and the batch next to the weights.
    (folder / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    seen = []
    resumed = make(seed=4)
    fit(resumed, [CB.BackupAndRestore(folder),
                  CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))], epochs=3)
    assert seen == [2] and resumed.optimizer.iterations == 9


def test_a_different_model_is_refused(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    with pytest.raises(ValueError, match="different model"):
        fit(model(), [CB.BackupAndRestore(folder)])


def test_backup_is_kept_when_interrupted_or_diverged_and_only_own_files_deleted(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    (folder / "notes.txt").write_text("mine")
    fit(make(), [CB.BackupAndRestore(folder)])
    assert os.listdir(folder) == ["notes.txt"]

    m = make()

    def poison(epoch, logs=None):
        if epoch == 2:
            m.layers[0].weights[0].data[...] = np.nan

    with pytest.warns(UserWarning) as record:
        fit(m, [CB.LambdaCallback(on_epoch_begin=poison), CB.TerminateOnNaN(),
                CB.BackupAndRestore(folder)])
    messages = " ".join(str(w.message) for w in record)
    assert "not backing up" in messages and "keeping the last good backup" in messages
    assert metadata(folder)["epoch"] == 2


def test_batch_frequency_resumes_at_the_start_of_the_interrupted_epoch(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder, save_freq=2)  # 3 steps per epoch: backups after steps 2, 4 and 6
    saved = metadata(folder)
    assert saved["epoch"] == 1 and saved["numdeep"]["optimizer"]["iterations"] == 6
    seen = []
    fit(make(), [CB.BackupAndRestore(folder, save_freq=2),
                 CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        CB.BackupAndRestore("")
    for bad in (0, "batch", 0.5):
        with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
            CB.BackupAndRestore("b", save_freq=bad)


class Noisy(nd.layers.Layer):
    """A layer holding a Dropout sub-layer and a generator of its own (MT19937: array state)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drop = nd.layers.Dropout(0.5)
        self._rng = np.random.Generator(np.random.MT19937(0))

    def call(self, x, training=False):
        return self.drop(x, training=training)


def test_random_streams_of_nested_layers_are_found_and_round_trip():
    from numdeep.callbacks import _backup_files as files
    from numdeep.callbacks.backup_and_restore import (
        _generator_state,
        _layer_rngs,
        _set_generator_state,
    )

    m = nd.Sequential([nd.layers.Dense(2, input_shape=(2,)), Noisy(), nd.layers.Dropout(0.1)])
    rngs = _layer_rngs(m)
    assert sorted(rngs) == ["1", "1/0#0", "2#0"]  # Noisy's _rng, the Dropouts' SeedGenerators
    saved = files.decode(files.encode({k: _generator_state(r) for k, r in rngs.items()}))
    x = np.ones((4, 2), "float32")
    expected = (rngs["1"].random(3), m(x, training=True).numpy())
    for key, rng in rngs.items():
        _set_generator_state(rng, saved[key])
    assert np.array_equal(rngs["1"].random(3), expected[0])
    assert np.array_equal(m(x, training=True).numpy(), expected[1])
