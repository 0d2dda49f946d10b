"""The on-disk unit of ``BackupAndRestore``: one folder, committed by a rename, with checksums.

A unit ``backup-NNNNNN/`` holds ``model.weights.h5`` (written by ``model.save_weights``),
``state.json`` (counters, history, random states) and ``manifest.json`` (SHA-256 of both). It is
built in ``.tmp-*`` inside the backup folder and renamed into place, so a unit that exists under
its final name is complete; a unit is deleted by first renaming it to ``.trash-*``.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile

import numpy as np

WEIGHTS, STATE, MANIFEST = "model.weights.h5", "state.json", "manifest.json"
_UNIT = re.compile(r"^backup-(\d{6,})$")
_FORMAT, _VERSION = "numdeep.BackupAndRestore", 1
_STATE_KEYS = ("epoch", "history", "optimizer", "global_rng", "layer_rngs")


class Corrupt(Exception):
    """A unit that cannot be trusted; the message says why."""


def list_units(folder, clean=False):
    """Committed units in ``folder``, newest first; ``clean`` removes leftovers of crashes."""
    if not os.path.isdir(folder):
        return []
    units = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        match = _UNIT.match(name)
        if match and os.path.isdir(path):
            units.append((int(match.group(1)), path))
        elif clean and name.startswith((".tmp-", ".trash-")) and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
    return [path for _, path in sorted(units, reverse=True)]


def commit_unit(folder, write_weights, state):
    """Write a new unit (``write_weights(path)`` saves the weights file) and return its path."""
    os.makedirs(folder, exist_ok=True)
    units = list_units(folder)
    number = int(_UNIT.match(os.path.basename(units[0])).group(1)) + 1 if units else 1
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=folder)
    final = os.path.join(folder, f"backup-{number:06d}")
    try:
        weights = os.path.join(tmp, WEIGHTS)
        write_weights(weights)
        state = json.dumps(encode(state)).encode()
        _write(os.path.join(tmp, STATE), state)
        manifest = {"format": _FORMAT, "version": _VERSION,
                    "sha256": {WEIGHTS: _sha256(weights), STATE: hashlib.sha256(state).hexdigest()}}
        _write(os.path.join(tmp, MANIFEST), json.dumps(manifest).encode())
        _fsync(weights)
        _fsync(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync(folder)
    return final


def read_unit(path):
    """The verified ``state`` of a unit; raises ``Corrupt`` for anything amiss."""
    try:
        with open(os.path.join(path, MANIFEST), "rb") as f:
            manifest = json.loads(f.read())
        digests = manifest["sha256"] if manifest.get("format") == _FORMAT else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise Corrupt(f"unreadable {MANIFEST} ({type(e).__name__}: {e})") from e
    if not isinstance(digests, dict) or manifest.get("version") != _VERSION:
        raise Corrupt(f"{MANIFEST} is not a version-{_VERSION} numdeep backup manifest")
    for name in (WEIGHTS, STATE):
        try:
            actual = _sha256(os.path.join(path, name))
        except OSError as e:
            raise Corrupt(f"cannot read {name} ({e})") from e
        if actual != digests.get(name):
            raise Corrupt(f"{name} does not match its SHA-256 checksum")
    try:
        with open(os.path.join(path, STATE), "rb") as f:
            state = json.loads(f.read())
        missing = [k for k in _STATE_KEYS if k not in state]
    except (OSError, ValueError, TypeError) as e:
        raise Corrupt(f"unreadable {STATE} ({type(e).__name__}: {e})") from e
    if missing:
        raise Corrupt(f"{STATE} lacks {missing}")
    return decode(state)


def remove_unit(path):
    """Delete a unit, renaming it away first so a half-deleted unit never looks committed."""
    trash = os.path.join(os.path.dirname(path), f".trash-{os.getpid()}-{os.path.basename(path)}")
    try:
        os.rename(path, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def encode(value):
    """JSON-ready copy: generator states of some bit generators hold NumPy arrays."""
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync(path):
    """Flush a file or folder to disk (folders make renames durable); best effort off POSIX."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
