"""The ``.keras`` format: a zip of ``metadata.json``, ``config.json``, ``model.weights.h5``
(Keras 3 layout, members stored uncompressed) and ``assets/`` (what layers write with
``save_assets``), or the same files in a directory."""

import datetime
import io
import json
import os
import re
import shutil
import struct
import tempfile
import zipfile

import numpy as np

from numdeep.saving import h5io
from numdeep.saving.atomic import (
    BACKUP_SUFFIX,
    atomic_write,
    clean_stale_temporaries,
    in_flight,
    is_stale,
    temp_prefix,
)
from numdeep.saving.errors import CorruptFileError, UnsafeFileError
from numdeep.saving.safety import (
    LIMITS,
    check_member_name,
    check_npz,
    check_zip_members,
    load_json,
)
from numdeep.saving.weights_store import layout, read_store, write_store

__all__ = ["FORMAT", "save_keras", "read_keras", "KerasContent", "write_assets", "load_assets"]

FORMAT = ".keras"  # a zip file or, saved with zipped=False, a directory
KERAS_FORMAT_VERSION = "3.6.0"  # the Keras release whose .keras layout this writer follows
CONFIG, METADATA, WEIGHTS_H5, WEIGHTS_NPZ = ("config.json", "metadata.json",
                                             "model.weights.h5", "model.weights.npz")
ASSETS = "assets"


class KerasContent:
    """What a ``.keras`` file holds, read and checked: ``config`` (dict), ``store``
    (``{path: {key: array}}``) and ``assets`` (``{relative path: bytes}``)."""

    def __init__(self, config, store, assets):
        self.config, self.store, self.assets = config, store, assets


def _metadata():
    from numdeep import __version__

    return json.dumps({
        "keras_version": KERAS_FORMAT_VERSION, "numdeep_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }).encode("utf-8")


def _asset_slots(model, method):
    """``[(inner path, object)]`` of the objects with ``method``, each once (an RNN's cell
    entry is the same object as the RNN's)."""
    out, seen = [], set()
    for path, slot in layout(model).items():
        if id(slot.obj) not in seen and callable(getattr(slot.obj, method, None)):
            seen.add(id(slot.obj))
            out.append((path[:-len("vars")].rstrip("/"), slot.obj))
    return out


def write_assets(model):
    """``[(member name, bytes)]`` of the files layers write with ``save_assets(dir)``."""
    slots = _asset_slots(model, "save_assets")
    if not slots:
        return []
    root = tempfile.mkdtemp(prefix="numdeep-assets-")
    try:
        for inner, obj in slots:
            folder = os.path.join(root, inner) if inner else root
            os.makedirs(folder, exist_ok=True)
            obj.save_assets(folder)
        members = []
        for base, _, files in os.walk(root):
            for name in sorted(files):
                full = os.path.join(base, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, "rb") as f:
                    members.append((f"{ASSETS}/{rel}", f.read()))
        return members
    finally:
        shutil.rmtree(root, ignore_errors=True)


def load_assets(model, assets):
    """Hand each layer with ``load_assets(dir)`` the folder of its saved assets."""
    slots = _asset_slots(model, "load_assets")
    if not slots:
        return
    root = tempfile.mkdtemp(prefix="numdeep-assets-")
    try:
        for rel, data in assets.items():
            check_member_name(rel)
            full = os.path.join(root, *rel.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        for inner, obj in slots:
            folder = os.path.join(root, inner) if inner else root
            if os.path.isdir(folder):
                obj.load_assets(folder)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _members(model, config):
    # The weights (and assets) are produced first: a failing `save_own_variables` or
    # `save_assets` stops the save before anything is written.
    weights = h5io.build_h5(lambda f: write_store(f, model), checksum=True)
    assets = write_assets(model)
    return [(METADATA, _metadata()), (CONFIG, json.dumps(config).encode("utf-8")),
            (WEIGHTS_H5, weights), *assets]


def _write_zip(f, members):
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(name, data)


def save_keras(model, target, config, zipped=True):
    """Write ``model`` (whose full config, compile config included, is ``config``) to a path
    (atomically), a directory (``zipped=False``) or a writable file object."""
    members = _members(model, config)
    if hasattr(target, "write"):
        _write_zip(target, members)
    elif zipped:
        with atomic_write(target, "wb") as f:
            _write_zip(f, members)
    else:
        _save_directory(target, members)


def _save_directory(path, members):
    """Write the members into a staging folder, then swap it with ``path``. A crash between the
    two renames leaves the previous folder as a backup that the next save or load of ``path``
    restores (``recover_directory``); stale staging folders are deleted then too."""
    path = os.path.abspath(os.fspath(path))
    recover_directory(path)
    staging = tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".tmp", dir=os.path.dirname(path))
    backup = os.path.join(os.path.dirname(path), temp_prefix(path)[:-1] + BACKUP_SUFFIX)
    with in_flight(staging), in_flight(backup):
        _swap_directory(path, members, staging, backup)


def _swap_directory(path, members, staging, backup):
    try:
        for name, data in members:
            full = os.path.join(staging, *name.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if os.path.exists(path):
            os.replace(path, backup)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.exists(backup) and not os.path.exists(path):
            os.replace(backup, path)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def recover_directory(path):
    """Finish what a killed directory save of ``path`` left: put the previous folder back when
    ``path`` is missing, and delete stale staging folders and backups.

    Example:
        >>> import os, tempfile
        >>> from numdeep.saving.keras_zip import recover_directory
        >>> parent = tempfile.mkdtemp()
        >>> os.mkdir(os.path.join(parent, ".model.999999999-old.tmp"))  # a killed save's backup
        >>> recover_directory(os.path.join(parent, "model"))
        >>> os.listdir(parent)
        ['model']
    """
    path = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(path)
    if not os.path.lexists(path) and os.path.isdir(directory):
        # `.<name>.<pid>-old.tmp`, or the `.<name>.<random>.old` of earlier numdeep versions.
        pattern = re.compile(rf"\.{re.escape(base)}\.(?:(\d+){re.escape(BACKUP_SUFFIX)}|"
                             rf"[a-z0-9_]{{8}}\.old)")
        for name in sorted(os.listdir(directory)):
            full, match = os.path.join(directory, name), pattern.fullmatch(name)
            if match and os.path.isdir(full) and (match[1] is None or
                                                  is_stale(full, int(match[1]))):
                os.replace(full, path)
                break
    clean_stale_temporaries(path)


def read_keras(source):
    """The ``KerasContent`` of a ``.keras`` file, directory or readable file object, checked
    before use; any problem raises ``CorruptFileError``/``UnsafeFileError`` naming the file."""
    name = os.fspath(source) if not hasattr(source, "read") else "<file object>"
    try:
        if not hasattr(source, "read") and os.path.isdir(source):
            raw = _read_directory(source)
        else:
            raw = _read_zip(source)
        config = load_json(raw.pop(CONFIG), CONFIG)
        if not isinstance(config, dict):
            raise CorruptFileError(f"{CONFIG} does not hold a model config")
        if WEIGHTS_H5 in raw:
            with h5io.open_h5(raw.pop(WEIGHTS_H5)) as h5:
                store = read_store(h5)
        else:
            store = read_npz(raw.pop(WEIGHTS_NPZ))
        assets = {k[len(ASSETS) + 1:]: v for k, v in raw.items() if k.startswith(ASSETS + "/")}
        return KerasContent(config, store, assets)
    except CorruptFileError as e:
        raise e.located(name, FORMAT) from e
    except (OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError | IsADirectoryError | PermissionError):
            raise
        raise CorruptFileError(f"{type(e).__name__}: {e}", name, FORMAT) from e
    except Exception as e:  # zipfile and h5py raise many types on damaged input
        raise CorruptFileError(f"{type(e).__name__}: {e}", name, FORMAT) from e


def _read_zip(source):
    if not hasattr(source, "read") and os.path.getsize(source) == 0:
        raise CorruptFileError("the file is empty")
    _check_signature(source)
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile as e:
        raise CorruptFileError(f"not a zip archive ({e})") from e
    with zf:
        infos = zf.infolist()
        check_zip_members(infos)
        for info in infos:
            _check_local_header(zf.fp, info)
        by_name = {i.filename: i for i in infos}
        _require(by_name)
        out = {}
        for name, info in by_name.items():
            if name in (CONFIG, METADATA, WEIGHTS_H5, WEIGHTS_NPZ) or (
                    name.startswith(ASSETS + "/") and not info.is_dir()):
                cap = LIMITS.max_member_bytes if name in (WEIGHTS_H5, WEIGHTS_NPZ) else \
                    LIMITS.max_config_bytes
                out[name] = _read_member(zf, info, cap)
        if METADATA in out:  # read for its CRC-32 (and local header) check only
            load_json(out.pop(METADATA), METADATA)
        return out


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def _check_local_header(fp, info):
    """A member's local header must repeat what the central directory says (``zipfile`` reads
    only the central one, so damage to the local copy would go unnoticed)."""
    fp.seek(info.header_offset)
    raw = fp.read(_LOCAL_HEADER.size)
    if len(raw) < _LOCAL_HEADER.size:
        raise CorruptFileError(f"zip member {info.filename!r}: truncated local header")
    (magic, _, flags, method, time, date, crc, csize, usize, name_len,
     _) = _LOCAL_HEADER.unpack(raw)
    y, mo, d, h, mi, sec = info.date_time
    expected = (info.flag_bits, info.compress_type, h << 11 | mi << 5 | sec // 2,
                (y - 1980) << 9 | mo << 5 | d)
    sizes_here = not flags & 0x08  # else a data descriptor after the data holds them
    if magic != b"PK\x03\x04" or (flags, method, time, date) != expected or (sizes_here and (
            crc != info.CRC or 0xFFFFFFFF not in (csize, usize) and
            (csize, usize) != (info.compress_size, info.file_size))):
        raise CorruptFileError(f"zip member {info.filename!r}: its local header does not match "
                               f"the archive's directory (damaged bytes at offset "
                               f"{info.header_offset})")
    name = fp.read(name_len)
    if name.decode("utf-8" if flags & 0x800 else "cp437", "replace") != info.orig_filename:
        raise CorruptFileError(f"zip member {info.filename!r}: its local header names {name!r}")


def _check_signature(source):
    """A ``.keras`` zip starts with a member's local header: ``zipfile`` would skip garbage
    written over (or before) it, which numdeep refuses as damage."""
    if hasattr(source, "read"):
        start = source.tell() if hasattr(source, "tell") else 0
        head = source.read(4)
        source.seek(start)
    else:
        with open(source, "rb") as f:
            head = f.read(4)
    if head != b"PK\x03\x04":
        raise CorruptFileError(f"the file does not start with a zip member header (first bytes "
                               f"{head!r}): damaged, or not a .keras zip")


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
    assets = os.path.join(path, ASSETS)
    if os.path.isdir(assets) and not os.path.islink(assets):
        for base, dirs, files in os.walk(assets):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(base, d))]
            for name in files:
                full = os.path.join(base, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    raise UnsafeFileError(f"asset {name!r} is a link or not a regular file")
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                out[rel] = h5io.read_file_bytes(full, LIMITS.max_member_bytes)
    return out


def read_npz(data):
    """A weights ``.npz`` (keys ``<store path>/<index>``) as ``{path: {index: array}}``,
    refusing pickled object arrays."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_npz(zf, len(data))
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
        path, _, index = key.rpartition("/")
        out.setdefault(path, {})[index] = arrays[key]
    return out


def _index(key):
    tail = key.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise CorruptFileError(f"npz key {key!r} does not end in a variable index")
    return int(tail)
