"""Issue 17, item 3: saves that are interrupted (KeyboardInterrupt) or killed (SIGKILL) never
lose the model: a directory save swapped half-way is restored on the next load or save, and the
temporaries a killed writer leaves are deleted by the next save of the same target (never those
of a writer still running). The kill -9 loops run ``ModelCheckpoint`` and ``BackupAndRestore``
in forked trainers (``killer.py``)."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import atomic, keras_zip

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIALS = 12


def constant_model(value):
    model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])
    model.set_weights([np.full((4, 3), value, "float32"), np.full(3, value, "float32")])
    return model


def kernel(model):
    return float(model.get_weights()[0][0, 0])


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def save_killed_at_rename(path, value, rename_number, **kwargs):
    """Save a model with all values ``value`` to ``path`` in a forked child that SIGKILLs itself
    at its ``rename_number``-th ``os.replace`` (before it happens)."""
    pid = os.fork()
    if pid == 0:
        try:
            calls = []
            real = os.replace

            def replace(a, b):
                calls.append(a)
                if len(calls) == rename_number:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(a, b)

            os.replace = replace
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if str(path).endswith(".weights.h5"):
                    constant_model(value).save_weights(path)
                else:
                    constant_model(value).save(path, **kwargs)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return pid


# ----- directory saves ---------------------------------------------------------------------
def test_directory_save_interrupted_between_renames_keeps_the_old_model(tmp_path, monkeypatch):
    path = tmp_path / "model"
    constant_model(1.0).save(path, zipped=False)
    real, calls = os.replace, []

    def replace(a, b):
        calls.append(a)
        if len(calls) == 2:  # the old folder is aside, the new one not yet in place
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        constant_model(2.0).save(path, zipped=False)
    monkeypatch.setattr(os, "replace", real)
    assert os.listdir(tmp_path) == ["model"]
    assert kernel(nd.saving.load_model(path)) == 1.0


def test_directory_save_killed_between_renames_is_restored_on_load(tmp_path):
    path = tmp_path / "model"
    constant_model(1.0).save(path, zipped=False)
    pid = save_killed_at_rename(path, 2.0, 2, zipped=False)
    left = sorted(os.listdir(tmp_path))
    assert "model" not in left and f".model.{pid}-old.tmp" in left  # what the kill left
    assert kernel(nd.saving.load_model(path)) == 1.0  # the previous model, put back
    assert os.listdir(tmp_path) == ["model"]


def test_directory_save_killed_between_renames_is_restored_on_next_save(tmp_path):
    path = tmp_path / "model"
    constant_model(1.0).save(path, zipped=False)
    save_killed_at_rename(path, 2.0, 2, zipped=False)
    constant_model(3.0).save(path, zipped=False)
    assert os.listdir(tmp_path) == ["model"]
    assert kernel(nd.saving.load_model(path)) == 3.0


def test_backup_left_by_earlier_numdeep_is_restored(tmp_path):
    # Before today a killed swap left `.model.<random>.old`, which nothing restored.
    constant_model(1.0).save(tmp_path / "model", zipped=False)
    os.replace(tmp_path / "model", tmp_path / ".model.k3j_x9qa.old")
    assert kernel(nd.saving.load_model(tmp_path / "model")) == 1.0


# ----- stale temporaries -------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("name, kwargs", [("w.weights.h5", {}), ("m.keras", {}),
                                          ("m.h5", {})])
def test_temporary_of_a_killed_save_is_deleted_by_the_next_save(tmp_path, name, kwargs):
    path = tmp_path / name
    constant_model(1.0).save_weights(path) if name.endswith(".weights.h5") else \
        constant_model(1.0).save(path)
    pid = save_killed_at_rename(path, 2.0, 1, **kwargs)
    stray = [n for n in os.listdir(tmp_path) if n.startswith(f".{name}.{pid}-")]
    assert len(stray) == 1 and stray[0].endswith(".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name.endswith(".weights.h5"):
            constant_model(3.0).save_weights(path)
        else:
            constant_model(3.0).save(path)
    assert os.listdir(tmp_path) == [name]


def test_only_temporaries_of_gone_writers_are_deleted(tmp_path):
    target = tmp_path / "w.weights.h5"
    old = time.time() - 2 * 3600
    names = {
        f".w.weights.h5.{dead_pid()}-abcd1234.tmp": False,  # killed writer: deleted
        f".w.weights.h5.{os.getppid()}-abcd1234.tmp": True,  # a live process: kept
        f".w.weights.h5.{os.getpid()}-abcd1234.tmp": False,  # our pid, not in flight: deleted
        ".w.weights.h5.k3j_x9qa.tmp": True,  # no pid, recent: kept
        ".w.weights.h5.zz9_x9qa.tmp": False,  # no pid, two hours old: deleted
        ".other.weights.h5.12-abcd1234.tmp": True,  # another target's
        "w.weights.h5.tmp": True,  # not ours at all
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    os.utime(tmp_path / ".w.weights.h5.zz9_x9qa.tmp", (old, old))
    atomic.clean_stale_temporaries(target)
    assert sorted(os.listdir(tmp_path)) == sorted(n for n, kept in names.items() if kept)


def test_a_write_in_flight_is_not_cleaned_by_another(tmp_path):
    target = tmp_path / "log.txt"
    with atomic.atomic_write(target, "w") as f:
        f.write("first")
        atomic.clean_stale_temporaries(target)  # e.g. a second thread saving the same target
        assert os.path.exists(f.name)
    assert target.read_text() == "first"


def test_recover_directory_leaves_a_live_writers_backup(tmp_path):
    live = tmp_path / f".model.{os.getppid()}-old.tmp"
    live.mkdir()
    keras_zip.recover_directory(tmp_path / "model")
    assert os.listdir(tmp_path) == [live.name]


# ----- kill -9 loops -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def kill_reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "tests.reliability.killer", str(folder),
                          str(TRIALS), "17", "keras", "weights", "backup"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert time.perf_counter() - start < 90  # about 20 s on two busy cores
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["keras", "weights", "backup"])
def test_kill_9_loop_never_loses_a_checkpoint_or_leaves_temporaries(kill_reports, mode):
    reports = kill_reports[mode]
    assert len(reports) == TRIALS
    for report in reports:
        assert report["killed"], report
        assert "error" not in report, report  # what was on disk loaded (or resumed)
        assert report["temporaries_after_next_save"] == [], report
        if mode == "backup":
            assert report["backup_left"] is False, report  # finished: nothing stray kept it
            # Resumed from the last complete backup, never silently from scratch.
            assert report.get("resumed_from_backup", True), report
    assert any(r["loaded"] for r in reports), reports  # the loops did reach saved files
