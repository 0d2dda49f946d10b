import math
import os

import numpy as np
import pytest

import numdeep as nd
from tests.callbacks.common import Scripted, data, model, weights_equal

CB = nd.callbacks


def fit(m, epochs, *callbacks, series=None, monitor="val_loss", **kwargs):
    """Fit (scripted ``monitor`` values if given); returns the weights at each epoch end."""
    seen = []
    pre = [Scripted(**{monitor: series})] if series else []
    record = CB.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(m.get_weights()))
    x, y = data()
    m.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.25,
          callbacks=[*pre, record, *callbacks], **kwargs)
    return seen


@pytest.fixture
def saves(monkeypatch):
    """Records which of model.save / model.save_weights each checkpoint went through."""
    calls = []
    cls = nd.models.Model
    real_save, real_weights = cls.save, cls.save_weights

    def save(self, filepath, *args, **kwargs):
        calls.append(("save", os.path.basename(filepath)))
        return real_save(self, filepath, *args, **kwargs)

    def save_weights(self, filepath, *args, **kwargs):
        calls.append(("save_weights", os.path.basename(filepath)))
        return real_weights(self, filepath, *args, **kwargs)

    monkeypatch.setattr(cls, "save", save)
    monkeypatch.setattr(cls, "save_weights", save_weights)
    return calls


def test_templated_names_use_one_based_epochs_and_logs(tmp_path):
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    fit(model(), 2, CB.ModelCheckpoint(path), series=[0.5, 0.25])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01-0.50.keras", "ckpt-02-0.25.keras"]


def test_save_best_only_keeps_the_best_epoch(tmp_path, saves):
    path = tmp_path / "best.weights.h5"
    m = model()
    seen = fit(m, 4, CB.ModelCheckpoint(path, save_best_only=True, save_weights_only=True),
               series=[1.0, 0.4, 0.6, 0.5])
    assert [name for _, name in saves] == ["best.weights.h5"] * 2
    other = model(seed=1)
    other.load_weights(path)
    assert weights_equal(other.get_weights(), seen[1])


def test_nan_is_never_best_and_threshold_applies(tmp_path, saves):
    cb = CB.ModelCheckpoint(tmp_path / "best_{epoch}.keras", save_best_only=True,
                            initial_value_threshold=0.9)
    fit(model(), 4, cb, series=[1.0, math.nan, 0.5, math.nan])
    assert saves == [("save", "best_3.keras")] and cb.best == 0.5


def test_mode_max_for_accuracy(tmp_path, saves):
    cb = CB.ModelCheckpoint(tmp_path / "m{epoch}.keras", monitor="val_accuracy",
                            save_best_only=True)
    fit(model(), 3, cb, series=[0.5, 0.4, 0.9], monitor="val_accuracy")
    assert [name for _, name in saves] == ["m1.keras", "m3.keras"]


@pytest.mark.parametrize("best_only", [False, True])
@pytest.mark.parametrize("freq", ["epoch", 2])
def test_save_weights_only_is_honoured_on_every_path(tmp_path, saves, best_only, freq):
    cb = CB.ModelCheckpoint(tmp_path / "w-{epoch}.weights.h5", monitor="loss",
                            save_best_only=best_only, save_weights_only=True, save_freq=freq)
    fit(model(), 2, cb)
    assert saves and all(kind == "save_weights" for kind, _ in saves)


def test_save_freq_in_batches(tmp_path):
    cb = CB.ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.weights.h5", save_weights_only=True,
                            save_freq=2)
    fit(model(), 2, cb)  # 48 training samples, batch 16: 3 steps per epoch, 6 in all
    assert sorted(os.listdir(tmp_path)) == ["e1-b2.weights.h5", "e2-b1.weights.h5",
                                            "e2-b3.weights.h5"]


def test_saved_model_reloads_with_load_model(tmp_path):
    path = tmp_path / "model.keras"
    m = model()
    fit(m, 1, CB.ModelCheckpoint(path))
    x, _ = data()
    np.testing.assert_allclose(nd.models.load_model(path).predict(x, verbose=0),
                               m.predict(x, verbose=0), rtol=1e-6)


def test_unknown_monitor_in_auto_mode_raises_at_the_first_epoch_end(tmp_path):
    m = model()
    with pytest.raises(ValueError, match="monitor=val_acc, but Keras isn't able"):
        fit(m, 3, CB.ModelCheckpoint(tmp_path / "m.keras", monitor="val_acc",
                                     save_best_only=True))
    assert m.history.epoch == [0] and os.listdir(tmp_path) == []


def test_missing_monitor_with_an_explicit_mode_warns_and_saves(tmp_path):
    # Keras's rule: save_best_only cannot compare, so the model is saved.
    with pytest.warns(UserWarning, match="Can save best model only with val_acc available"):
        fit(model(), 1, CB.ModelCheckpoint(tmp_path / "m.keras", monitor="val_acc", mode="max",
                                           save_best_only=True))
    assert os.listdir(tmp_path) == ["m.keras"]


def test_template_field_missing_from_logs(tmp_path):
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*val_auc"):
        fit(model(), 1, CB.ModelCheckpoint(tmp_path / "{val_auc}.keras"))


def test_creates_missing_folders(tmp_path):
    fit(model(), 1, CB.ModelCheckpoint(tmp_path / "a" / "b" / "m.h5"))
    assert os.listdir(tmp_path / "a" / "b") == ["m.h5"]


def test_bad_extensions_and_frequency_are_rejected():
    with pytest.raises(ValueError, match=".keras"):
        CB.ModelCheckpoint("model.pt")
    with pytest.raises(ValueError, match=".weights.h5"):
        CB.ModelCheckpoint("model.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        CB.ModelCheckpoint("m.keras", save_freq="batch")
    with pytest.warns(UserWarning, match="ModelCheckpoint mode 'best' is unknown"):
        assert CB.ModelCheckpoint("m.keras", mode="best").mode == "auto"


def test_verbose_lines(tmp_path, capsys):
    fit(model(), 2, CB.ModelCheckpoint(tmp_path / "m.keras", save_best_only=True, verbose=1),
        series=[0.5, 0.7])
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out


def test_interrupt_during_a_save_keeps_the_previous_file_and_the_history(tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "best.h5"
    real_replace, replaced, first = os.replace, [], []

    def replace(src, dst, *args, **kwargs):
        if os.fspath(dst) == str(path):
            replaced.append(dst)
            if len(replaced) == 2:  # the second save is interrupted just before its rename
                first.append(path.read_bytes())
                raise KeyboardInterrupt
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    m = model()
    with pytest.raises(KeyboardInterrupt):
        fit(m, 5, CB.ModelCheckpoint(path, save_best_only=True), series=[1.0, 0.5, 0.2, 0.1, 0])
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["best.h5"]  # no temporary file left
    assert path.read_bytes() == first[0]  # the previous best, byte for byte
    assert m.history.epoch == [0, 1] and len(m.history.history["loss"]) == 2
    reloaded = nd.models.load_model(path)
    assert reloaded.count_params() == m.count_params()


def test_a_diverged_model_never_overwrites_a_checkpoint(tmp_path):
    path = tmp_path / "m.weights.h5"
    m = model()

    def poison(epoch, logs=None):
        if epoch == 1:
            m.layers[0].weights[0].data[...] = np.nan

    with pytest.warns(UserWarning, match="not saving at epoch 2"):
        fit(m, 3, CB.LambdaCallback(on_epoch_begin=poison), CB.TerminateOnNaN(),
            CB.ModelCheckpoint(path, save_weights_only=True))
    other = model(seed=1)
    other.load_weights(path)
    assert all(np.isfinite(w).all() for w in other.get_weights())


class InterruptMidEpoch(nd.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (2, 1):
            raise KeyboardInterrupt


def test_interrupt_mid_epoch_keeps_completed_epochs_and_files(tmp_path):
    ends = []
    m = model()
    with pytest.raises(KeyboardInterrupt):
        fit(m, 5, InterruptMidEpoch(), CB.ModelCheckpoint(tmp_path / "m-{epoch}.weights.h5",
                                                          save_weights_only=True),
            CB.LambdaCallback(on_train_end=lambda logs: ends.append(logs)))
    assert m.history.epoch == [0, 1] and len(m.history.history["val_loss"]) == 2
    assert sorted(os.listdir(tmp_path)) == ["m-1.weights.h5", "m-2.weights.h5"]
    assert ends == []  # an interrupted fit is not a normal completion
