"""kill -9 trials, run in one fresh process that imports numdeep once and forks a trainer per
trial.

``python -m tests.reliability.killer FOLDER TRIALS SEED MODE...`` (MODE: ``keras``,
``weights`` for ``ModelCheckpoint`` saving every batch, ``backup`` for ``BackupAndRestore``
every batch): each trial forks a child that trains and checkpoints without end, kills it with
SIGKILL a random 0-150 ms after its first checkpoint (so a slow machine still kills it while it
is saving), then checks in the parent that what is on disk loads (the last complete checkpoint,
or none yet), that a resumed ``fit`` starts from the backup's weights, and that the next save or
resumed ``fit`` removes every temporary the killed child left. Prints ``{mode: [one report per
trial]}`` as JSON.
"""

import json
import os
import select
import signal
import sys
import time
import warnings

import numpy as np

import numdeep as nd

X = np.random.default_rng(0).standard_normal((64, 256)).astype("float32")
Y = np.random.default_rng(1).standard_normal((64, 256)).astype("float32")
# About 0.8 MB of weights and 1.6 MB of Adam state: a save takes long enough to be killed in.
FILES = {"keras": "ck.keras", "weights": "ck.weights.h5"}


def make_model():
    model = nd.Sequential([nd.Input((256,)), nd.layers.Dense(256), nd.layers.Dense(256)])
    model.compile(optimizer="adam", loss="mse")
    return model


class StopAfterOneBatch(nd.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.model.stop_training = True


class FirstBatchWeights(nd.callbacks.Callback):
    """Keeps the weights ``fit`` starts its first batch with (after any restore)."""

    weights = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.weights is None:
            self.weights = self.model.get_weights()


class Signal(nd.callbacks.Callback):
    """Writes one byte to ``fd`` after the first batch (and its checkpoint)."""

    def __init__(self, fd):
        super().__init__()
        self.fd = fd

    def on_train_batch_end(self, batch, logs=None):
        if self.fd is not None:
            os.write(self.fd, b"1")
            self.fd = None


def callback(mode, folder):
    if mode == "backup":
        return nd.callbacks.BackupAndRestore(os.path.join(folder, "backup"), save_freq=1)
    return nd.callbacks.ModelCheckpoint(os.path.join(folder, FILES[mode]), save_freq=1,
                                        save_weights_only=mode == "weights")


def train_forever(mode, folder, fd):
    warnings.simplefilter("ignore")
    make_model().fit(X, Y, batch_size=16, epochs=10**6, verbose=0,
                     callbacks=[callback(mode, folder), Signal(fd)])


def temporaries(folder):
    """Files a save leaves only while it is in progress (or when it was killed)."""
    out = []
    for base, dirs, files in os.walk(folder):
        for name in files + dirs:
            if name.endswith(".tmp") or ".tmp." in name:
                out.append(os.path.relpath(os.path.join(base, name), folder))
    return sorted(out)


def check(mode, folder):
    """Load what the killed child left, then save (or resume) once; returns a report."""
    report = {"temporaries_after_kill": temporaries(folder), "loaded": None}
    if mode == "backup":
        backup = os.path.join(folder, "backup")
        report["loaded"] = os.path.exists(os.path.join(backup, "training_metadata.json"))
        if report["loaded"]:  # what the resumed fit must start from
            saved = make_model()
            saved.load_weights(os.path.join(backup, "latest.weights.h5"))
        model, first = make_model(), FirstBatchWeights()
        model.fit(X, Y, batch_size=16, epochs=10**6, verbose=0,
                  callbacks=[StopAfterOneBatch(), callback(mode, folder), first])
        report["backup_left"] = os.path.exists(backup)
        if report["loaded"]:
            report["resumed_from_backup"] = all(
                np.array_equal(a, b) for a, b in zip(first.weights, saved.get_weights()))
    else:
        path = os.path.join(folder, FILES[mode])
        model = make_model()
        if os.path.exists(path):
            if mode == "keras":
                model = nd.saving.load_model(path)
            else:
                model.load_weights(path)
            report["loaded"] = True
        model.fit(X, Y, batch_size=64, epochs=1, verbose=0, callbacks=[callback(mode, folder)])
    report["temporaries_after_next_save"] = temporaries(folder)
    return report


def trial(mode, folder, delay):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            train_forever(mode, folder, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    select.select([read_fd], [], [], 30)  # the first checkpoint is written
    os.close(read_fd)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    report = {"delay": delay, "killed": os.WIFSIGNALED(status)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report.update(check(mode, folder))
    except Exception as e:  # noqa: BLE001 - a failed check is the finding, reported as such
        report["error"] = f"{type(e).__name__}: {e}"
    return report


def main(mode, folder, trials, seed):
    rng = np.random.default_rng(seed)
    reports = []
    for i in range(trials):
        sub = os.path.join(folder, str(i // 3))  # a few trials share a folder: kills pile up
        os.makedirs(sub, exist_ok=True)
        reports.append(trial(mode, sub, float(rng.uniform(0.0, 0.15))))
    return reports


if __name__ == "__main__":
    folder, trials, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps({mode: main(mode, os.path.join(folder, mode), trials, seed)
                      for mode in sys.argv[4:]}))
