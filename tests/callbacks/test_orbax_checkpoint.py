"""OrbaxCheckpoint: step-numbered folders in numdeep's formats, read back by load_model and
load_weights through the folder itself."""

import os

import numpy as np
import pytest

import numdeep as nd
from tests.callbacks.common import data, model, weights_equal

CB = nd.callbacks


def fit(m, callbacks, epochs=3, batch_size=16):
    x, y = data()
    return m.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, validation_split=0.25,
                 callbacks=callbacks)


def test_epoch_steps_keep_the_newest_and_load_model_reads_the_latest(tmp_path):
    m = model()
    fit(m, [CB.OrbaxCheckpoint(tmp_path, max_to_keep=2)])
    assert sorted(os.listdir(tmp_path)) == ["1", "2"]
    assert sorted(os.listdir(tmp_path / "2")) == ["config.json", "metadata.json",
                                                  "model.weights.h5"]
    loaded = nd.saving.load_model(tmp_path)
    assert weights_equal(loaded.get_weights(), m.get_weights())
    assert int(loaded.optimizer.iterations) == int(m.optimizer.iterations) == 9
    assert all(np.array_equal(a.numpy(), b.numpy())
               for a, b in zip(loaded.optimizer.variables, m.optimizer.variables))


def test_batch_steps_count_batches_and_continue_after_a_reload(tmp_path):
    m = model()
    fit(m, [CB.OrbaxCheckpoint(tmp_path, save_freq=2, max_to_keep=None)], epochs=2)
    assert sorted(os.listdir(tmp_path), key=int) == ["2", "4", "6"]  # 3 steps per epoch
    again = nd.saving.load_model(tmp_path)
    fit(again, [CB.OrbaxCheckpoint(tmp_path, save_freq=2, max_to_keep=None)], epochs=1)
    assert sorted(os.listdir(tmp_path), key=int) == ["2", "4", "6", "8"]


def test_weights_only_steps_load_with_load_weights_not_load_model(tmp_path):
    m = model()
    fit(m, [CB.OrbaxCheckpoint(tmp_path, save_weights_only=True)], epochs=2)
    assert os.listdir(tmp_path) == ["1"] and os.listdir(tmp_path / "1") == ["model.weights.h5"]
    other = model(seed=3)
    other.load_weights(tmp_path)
    assert weights_equal(other.get_weights(), m.get_weights())
    with pytest.raises(ValueError, match="holds weights only"):
        nd.saving.load_model(tmp_path)


def test_save_best_only_and_threshold(tmp_path):
    cb = CB.OrbaxCheckpoint(tmp_path, monitor="loss", mode="min", save_best_only=True,
                            initial_value_threshold=0.0)
    assert os.path.isdir(tmp_path)  # created with the callback, as Keras's does
    fit(model(), [cb])
    assert os.listdir(tmp_path) == []  # no loss beats 0
    best = CB.OrbaxCheckpoint(tmp_path / "best", monitor="val_loss", save_best_only=True,
                              max_to_keep=None)
    fit(model(), [best])
    saved = sorted(os.listdir(tmp_path / "best"), key=int)
    assert saved[0] == "0" and best.best is not None


def test_a_failed_save_leaves_no_partial_step(tmp_path, monkeypatch):
    m = model()
    fit(m, [CB.OrbaxCheckpoint(tmp_path)], epochs=1)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(type(m), "save", broken)
    with pytest.raises(OSError, match="disk full"):
        fit(m, [CB.OrbaxCheckpoint(tmp_path)], epochs=1)
    assert os.listdir(tmp_path) == ["0"]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        CB.OrbaxCheckpoint("ckpt", save_freq="invalid")
    with pytest.raises(ValueError, match="max_to_keep"):
        CB.OrbaxCheckpoint("ckpt", max_to_keep=0)
