"""The files of ``BackupAndRestore``, in Keras's layout, committed so a crash never leaves a
weights file and a metadata file that do not belong together.

``latest.weights.h5`` (``model.save_weights``: weights and optimizer state) and
``training_metadata.json`` (Keras's ``epoch`` and ``batch``, plus numdeep's exact state under
``"numdeep"``, including the SHA-256 of the weights file); ``*.bkp`` hold the previous pair
(``double_checkpoint``). A commit writes both files under temporary names, then renames the
weights and then the metadata into place; a crash between the two renames leaves metadata whose
checksum does not match the weights, next to a temporary metadata file that does, and reading
finishes that commit.
"""

import hashlib
import json
import os
import shutil

import numpy as np

WEIGHTS, METADATA = "latest.weights.h5", "training_metadata.json"
_TMP_WEIGHTS, _TMP_METADATA = "latest.tmp.weights.h5", "training_metadata.tmp.json"
_FORMAT, _VERSION = "numdeep.BackupAndRestore", 2


class Corrupt(Exception):
    """A backup that cannot be trusted; the message says why."""


def pair(folder, previous=False):
    """``(weights path, metadata path)`` of the latest (or the previous) backup."""
    suffix = ".bkp" if previous else ""
    return os.path.join(folder, WEIGHTS + suffix), os.path.join(folder, METADATA + suffix)


def exists(folder, previous=False):
    return any(os.path.exists(p) for p in pair(folder, previous))


def commit(folder, write_weights, metadata, keep_previous):
    """Write a new latest pair (``write_weights(path)`` saves the weights file); with
    ``keep_previous`` the current pair becomes the ``.bkp`` pair first."""
    os.makedirs(folder, exist_ok=True)
    weights, meta = pair(folder)
    if keep_previous:
        for src, dst in zip((weights, meta), pair(folder, previous=True)):
            if os.path.exists(src):
                _copy(src, dst)
    tmp_weights, tmp_meta = os.path.join(folder, _TMP_WEIGHTS), os.path.join(folder, _TMP_METADATA)
    write_weights(tmp_weights)
    metadata = dict(metadata)
    metadata["numdeep"] = {**metadata.get("numdeep", {}), "format": _FORMAT,
                           "version": _VERSION, "sha256": _sha256(tmp_weights)}
    _write(tmp_meta, json.dumps(encode(metadata)).encode())
    _fsync(tmp_weights)
    os.replace(tmp_weights, weights)
    os.replace(tmp_meta, meta)
    _fsync(folder)


def read(folder, previous=False):
    """The verified metadata of a pair (``None`` when there is none); raises ``Corrupt``.

    Metadata without numdeep's part (a backup Keras wrote) is returned as it is: its weights
    cannot be checked."""
    weights, meta = pair(folder, previous)
    if not os.path.exists(weights) and not os.path.exists(meta):
        return None
    metadata = _load(meta)
    extra = metadata.get("numdeep")
    if extra is None:
        if not os.path.exists(weights):
            raise Corrupt(f"{os.path.basename(weights)} is missing")
        return metadata
    if extra.get("format") != _FORMAT or extra.get("version") != _VERSION:
        raise Corrupt(f"{os.path.basename(meta)} is not a version-{_VERSION} numdeep backup")
    actual = _digest(weights)
    if actual != extra.get("sha256"):
        pending = os.path.join(folder, _TMP_METADATA)
        if not previous and os.path.exists(pending) and \
                _load(pending).get("numdeep", {}).get("sha256") == actual:
            os.replace(pending, meta)  # a commit interrupted between its two renames
            return read(folder)
        raise Corrupt(f"{os.path.basename(weights)} does not match the SHA-256 checksum in "
                      f"{os.path.basename(meta)}")
    return metadata


def restore_previous(folder):
    """Copy the ``.bkp`` pair over the latest one (Keras's recovery from a corrupted backup)."""
    for src, dst in zip(pair(folder, previous=True), pair(folder)):
        if os.path.exists(src):
            _copy(src, dst)
        elif os.path.exists(dst):
            os.remove(dst)


def remove_all(folder):
    """Delete the files this callback writes, then the folder if nothing else is in it."""
    names = (WEIGHTS, METADATA, WEIGHTS + ".bkp", METADATA + ".bkp")
    for name in names + tuple(n + ".tmp" for n in names) + (_TMP_WEIGHTS, _TMP_METADATA):
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass
    try:
        os.rmdir(folder)
    except OSError:
        pass  # the folder holds files that are not ours, or is already gone


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


def _load(path):
    try:
        with open(path, "rb") as f:
            metadata = json.loads(f.read())
    except (OSError, ValueError) as e:
        raise Corrupt(f"unreadable {os.path.basename(path)} ({type(e).__name__}: {e})") from e
    if not isinstance(metadata, dict) or "epoch" not in metadata:
        raise Corrupt(f"{os.path.basename(path)} holds no epoch")
    return decode(metadata)


def _digest(path):
    try:
        return _sha256(path)
    except OSError as e:
        raise Corrupt(f"cannot read {os.path.basename(path)} ({e})") from e


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy(src, dst):
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    _fsync(tmp)
    os.replace(tmp, dst)


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
