"""Atomic writes: a failure in the middle of a save (exception, KeyboardInterrupt, full disk)
leaves the previous file byte-identical and loadable, and no temporary file behind."""

import contextlib
import errno
import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import api, atomic, atomic_write, keras_zip, legacy_h5, saving_lib, stores
from tests.saving.common import data, mlp, weights_equal


def test_atomic_write_replaces_on_success_and_keeps_mode(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_write(target) as f:
        f.write(b"new")
        assert target.read_bytes() == b"old"  # nothing visible before the rename
        temps = [n for n in os.listdir(tmp_path) if n != "out.bin"]
        assert len(temps) == 1 and temps[0].startswith(".out.bin.")  # a sibling temp file
    assert target.read_bytes() == b"new"
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_append_copies_then_appends(tmp_path):
    target = tmp_path / "log.csv"
    target.write_text("epoch,loss\n")
    with atomic_write(target, "a") as f:
        f.write("0,1.5\n")
    assert target.read_text() == "epoch,loss\n0,1.5\n"


def test_atomic_write_rejects_read_modes(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        with atomic_write(tmp_path / "x", "r"):
            pass


class _FailingFile:
    """A file proxy that raises ``error`` once ``limit`` bytes have been written."""

    def __init__(self, f, limit, error):
        self._f, self._left, self._error = f, limit, error

    def write(self, b):
        if len(b) >= self._left:
            self._f.write(bytes(b[:self._left]))
            raise self._error
        self._left -= len(b)
        return self._f.write(b)

    def __getattr__(self, name):
        return getattr(self._f, name)


ERRORS = {
    "exception": RuntimeError("injected failure"),
    "keyboard_interrupt": KeyboardInterrupt(),
    "disk_full": OSError(errno.ENOSPC, "No space left on device"),
}


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize("filename, method", [
    ("model.keras", "save"), ("model.h5", "save"), ("model.weights.h5", "save_weights"),
    ("legacy.h5", "save_weights"),
])
def test_failure_mid_save_keeps_previous_file(tmp_path, monkeypatch, kind, filename, method):
    model = mlp()
    x, y = data()
    path = tmp_path / filename
    getattr(model, method)(path)
    previous = path.read_bytes()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # new weights that must not land

    @contextlib.contextmanager
    def failing(target, mode="wb", encoding=None):
        with atomic.atomic_write(target, mode, encoding) as f:
            yield _FailingFile(f, 1000, ERRORS[kind])

    for module in (keras_zip, legacy_h5, api, saving_lib, stores):
        monkeypatch.setattr(module, "atomic_write", failing, raising=False)
    monkeypatch.setattr("numdeep.saving.atomic_write", failing)
    with pytest.raises(type(ERRORS[kind])):
        getattr(model, method)(path)
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == [filename]
    monkeypatch.undo()
    fresh = mlp(seed=3)
    if method == "save":
        restored = nd.models.load_model(path)
    else:
        fresh.load_weights(path)
        restored = fresh
    assert not weights_equal(restored, model)
    assert np.isfinite(restored.predict(x, verbose=0)).all()


def test_failure_in_directory_save_keeps_previous_directory(tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "model_dir"
    model.save(path, zipped=False)
    before = {n: (path / n).read_bytes() for n in os.listdir(path)}

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras_zip.os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        model.save(path, zipped=False)
    monkeypatch.undo()
    assert {n: (path / n).read_bytes() for n in os.listdir(path)} == before
    assert os.listdir(tmp_path) == ["model_dir"]
    assert weights_equal(nd.models.load_model(path), model)
