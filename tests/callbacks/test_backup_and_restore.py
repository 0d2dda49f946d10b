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


def units(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith("backup-"))


def assert_same_training_state(a, b):
    assert weights_equal(a.get_weights(), b.get_weights())
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sorted(sa) == sorted(sb) and sa["iterations"] == sb["iterations"]
    for key in sa:
        assert np.array_equal(sa[key], sb[key]), key
    assert a.optimizer.learning_rate == b.optimizer.learning_rate
    assert a.history.epoch == b.history.epoch
    assert a.history.history == b.history.history


def test_resume_after_a_kill_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    folder = tmp_path / "backup"
    reference = make()
    fit(reference, [])
    final_rng_state = nd_random.get_state()

    killed_run(folder)
    assert units(folder) == ["backup-000002"]
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
    assert resumed.optimizer.learning_rate == 0.002 / 3


def test_the_unit_is_committed_atomically_and_keeps_the_previous_one_until_then(tmp_path,
                                                                             monkeypatch):
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
    assert os.listdir(folder) == ["backup-000001"]  # no temporary folder left behind
    state = json.loads((folder / "backup-000001" / "state.json").read_text())
    assert state["epoch"] == 1 and state["history"]["epoch"] == [0]

    resumed = make(seed=5)
    seen = []
    fit(resumed, [CB.BackupAndRestore(folder),
                  CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3] and resumed.history.epoch == [0, 1, 2, 3]


def test_crash_between_commit_and_cleanup_restores_the_newest_unit(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder, at=3, delete_checkpoint=False)
    newest = folder / units(folder)[0]
    os.rename(newest, folder / "backup-000009")
    killed_run(tmp_path / "other", at=1)
    os.rename(tmp_path / "other" / "backup-000001", folder / "backup-000001")
    os.makedirs(folder / ".tmp-leftover")
    seen = []
    fit(make(), [CB.BackupAndRestore(folder, delete_checkpoint=False),
                 CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [3]
    assert units(folder) == ["backup-000010"]


def corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupted_backup_raises_instead_of_restarting(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    corrupt(folder / units(folder)[0] / "model.weights.h5")
    m = make(seed=1)
    before = m.get_weights()
    with pytest.raises(CorruptFileError, match="SHA-256") as info:
        fit(m, [CB.BackupAndRestore(folder)])
    assert str(folder) in str(info.value) and "not restarted from scratch" in str(info.value)
    assert weights_equal(m.get_weights(), before)
    assert units(folder) == ["backup-000002"]  # left for the user to inspect


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder, double_checkpoint=True)
    assert units(folder) == ["backup-000001", "backup-000002"]
    (folder / "backup-000002" / "state.json").write_text("{not json")
    seen = []
    with pytest.warns(UserWarning, match="restored the previous one"):
        fit(make(), [CB.BackupAndRestore(folder, double_checkpoint=True),
                     CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3]


def test_unreadable_manifest_is_reported(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder)
    (folder / "backup-000002" / "manifest.json").write_bytes(b"")
    with pytest.raises(CorruptFileError, match="manifest.json"):
        fit(make(), [CB.BackupAndRestore(folder)])


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
    state = json.loads((folder / units(folder)[0] / "state.json").read_text())
    assert state["epoch"] == 2


def test_batch_frequency_resumes_at_the_start_of_the_interrupted_epoch(tmp_path):
    folder = tmp_path / "backup"
    killed_run(folder, save_freq=2)  # 3 steps per epoch: backups after steps 2, 4 and 6
    state = json.loads((folder / units(folder)[0] / "state.json").read_text())
    assert state["epoch"] == 1 and state["optimizer"]["iterations"] == 6
    seen = []
    fit(make(), [CB.BackupAndRestore(folder, save_freq=2),
                 CB.LambdaCallback(on_epoch_begin=lambda e, logs=None: seen.append(e))])
    assert seen == [1, 2, 3]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="backup_dir"):
        CB.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        CB.BackupAndRestore("b", save_freq=0)


class Noisy(nd.layers.Layer):
    """A layer holding a Dropout sub-layer and a generator of its own (MT19937: array state)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drop = nd.layers.Dropout(0.5)
        self._rng = np.random.Generator(np.random.MT19937(0))

    def call(self, x, training=False):
        return self.drop(x, training=training)


def test_generators_of_nested_layers_are_found_and_round_trip():
    from numdeep.callbacks import _backup_files as files
    from numdeep.callbacks.backup_and_restore import _layer_rngs, _set_generator_state

    m = nd.Sequential([nd.layers.Dense(2, input_shape=(2,)), Noisy(), nd.layers.Dropout(0.1)])
    rngs = _layer_rngs(m)
    assert sorted(rngs) == ["1", "1/0", "2"]
    saved = files.decode(files.encode({k: r.bit_generator.state for k, r in rngs.items()}))
    expected = {k: r.random(3) for k, r in rngs.items()}
    for key, rng in rngs.items():
        _set_generator_state(rng, saved[key])
    assert all(np.array_equal(rngs[k].random(3), expected[k]) for k in rngs)
