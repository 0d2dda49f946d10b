"""The ``.keras`` format: a zip of ``metadata.json``, ``config.json`` and ``model.weights.h5``
(Keras 3 layout, members stored uncompressed), or the same three files in a directory."""

import datetime
import io
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

from numdeep.saving import h5io
from numdeep.saving.atomic import atomic_write
from numdeep.saving.errors import CorruptFileError, UnsafeFileError
from numdeep.saving.safety import LIMITS, check_member_name, check_zip_members, load_json
from numdeep.saving.weights_store import read_store, write_store

__all__ = ["FORMAT", "save_keras", "read_keras"]

FORMAT = ".keras (zip)"
KERAS_FORMAT_VERSION = "3.6.0"  # the Keras release whose .keras layout this writer follows
CONFIG, METADATA, WEIGHTS_H5, WEIGHTS_NPZ = ("config.json", "metadata.json",
                                             "model.weights.h5", "model.weights.npz")


def _metadata():
    from numdeep import __version__

    return json.dumps({
        "keras_version": KERAS_FORMAT_VERSION, "numdeep_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }).encode("utf-8")


def _members(model, config):
    weights = h5io.build_h5(lambda f: write_store(f, model), checksum=False)
    return [(METADATA, _metadata()), (CONFIG, json.dumps(config).encode("utf-8")),
            (WEIGHTS_H5, weights)]


def save_keras(model, filepath, config, zipped=True):
    """Write ``model`` (whose full config, compile config included, is ``config``)."""
    members = _members(model, config)
    if zipped:
        with atomic_write(filepath, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                for name, data in members:
                    zf.writestr(name, data)
        return
    _save_directory(filepath, members)


def _save_directory(path, members):
    path = os.path.abspath(os.fspath(path))
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=os.path.dirname(path))
    try:
        for name, data in members:
            with open(os.path.join(staging, name), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        old = None
        if os.path.exists(path):
            old = staging + ".old"
            os.replace(path, old)
        os.replace(staging, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_keras(filepath):
    """``(config dict, {store path: [arrays]})`` of a ``.keras`` file or directory, checked
    before use; any problem raises ``CorruptFileError``/``UnsafeFileError`` naming the file."""
    try:
        if os.path.isdir(filepath):
            raw = _read_directory(filepath)
        else:
            raw = _read_zip(filepath)
        config = load_json(raw[CONFIG], CONFIG)
        if not isinstance(config, dict):
            raise CorruptFileError(f"{CONFIG} does not hold a model config")
        if WEIGHTS_H5 in raw:
            with h5io.open_h5(raw[WEIGHTS_H5]) as h5:
                store = read_store(h5)
        else:
            store = read_npz(raw[WEIGHTS_NPZ])
        return config, store
    except CorruptFileError as e:
        raise e.located(os.fspath(filepath), FORMAT) from e
    except (OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError | IsADirectoryError | PermissionError):
            raise
        raise CorruptFileError(f"{type(e).__name__}: {e}", os.fspath(filepath), FORMAT) from e
    except Exception as e:  # zipfile and h5py raise many types on damaged input
        raise CorruptFileError(f"{type(e).__name__}: {e}", os.fspath(filepath), FORMAT) from e


def _read_zip(filepath):
    if os.path.getsize(filepath) == 0:
        raise CorruptFileError("the file is empty")
    try:
        zf = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile as e:
        raise CorruptFileError(f"not a zip archive ({e})") from e
    with zf:
        infos = zf.infolist()
        check_zip_members(infos)
        by_name = {i.filename: i for i in infos}
        _require(by_name)
        out = {}
        for name in (CONFIG, WEIGHTS_H5, WEIGHTS_NPZ):
            if name in by_name:
                cap = LIMITS.max_config_bytes if name == CONFIG else LIMITS.max_member_bytes
                out[name] = _read_member(zf, by_name[name], cap)
        return out


def _require(names):
    if CONFIG not in names:
        raise CorruptFileError(f"the archive has no {CONFIG}")
    if WEIGHTS_H5 not in names and WEIGHTS_NPZ not in names:
        raise CorruptFileError(f"expected a {WEIGHTS_H5} or {WEIGHTS_NPZ} member")


def _read_member(zf, info, cap):
    if info.file_size > cap:
        raise UnsafeFileError(f"zip member {info.filename!r} is {info.file_size} bytes, more "
                              f"than the limit of {cap}")
    with zf.open(info) as fh:  # the zip's CRC-32 is checked when the member has been read
        data = fh.read(cap + 1)
    if len(data) > cap or len(data) != info.file_size:
        raise CorruptFileError(f"zip member {info.filename!r} does not have its declared size")
    return data


def _read_directory(path):
    out = {}
    names = os.listdir(path)
    _require(names)
    for name in (CONFIG, WEIGHTS_H5, WEIGHTS_NPZ):
        full = os.path.join(path, name)
        if name in names:
            if os.path.islink(full) or not os.path.isfile(full):
                raise UnsafeFileError(f"{name} is a link or not a regular file")
            cap = LIMITS.max_config_bytes if name == CONFIG else LIMITS.max_member_bytes
            out[name] = h5io.read_file_bytes(full, cap)
    return out


def read_npz(data):
    """A weights ``.npz`` (keys ``<store path>/<index>``), refusing pickled object arrays."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip_members(zf.infolist())
        for info in zf.infolist():
            check_member_name(info.filename)
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
        arrays = {key: npz[key] for key in npz.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise UnsafeFileError("the .npz holds pickled object arrays, which are never "
                                  "loaded") from e
        raise
    out = {}
    for key in sorted(arrays, key=lambda k: (k.rsplit("/", 1)[0], _index(k))):
        path, _, _ = key.rpartition("/")
        out.setdefault(path, []).append(arrays[key])
    return out


def _index(key):
    tail = key.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise CorruptFileError(f"npz key {key!r} does not end in a variable index")
    return int(tail)
