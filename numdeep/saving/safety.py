"""Limits and checks applied before anything in a file is trusted: JSON size and nesting, zip
members (names, links, sizes, compression ratio) and HDF5 objects (links, external or virtual
storage, dtypes, sizes)."""

import dataclasses
import json
import re
import stat

import numpy as np

from numdeep.saving.errors import CorruptFileError, UnsafeFileError

__all__ = ["LIMITS", "Limits", "load_json", "check_zip_members", "check_npz", "scan_h5"]


@dataclasses.dataclass
class Limits:
    """Caps for safe loading (tests and unusual models may adjust ``numdeep.saving.LIMITS``).

    Attributes:
        max_config_bytes: largest ``config.json`` / ``model_config`` accepted.
        max_json_depth: deepest nesting of lists and dicts in a config.
        max_members: most members in a ``.keras`` zip.
        max_member_bytes: largest uncompressed zip member (the weights file).
        max_ratio: largest uncompressed/compressed ratio of a member above ``ratio_floor`` bytes.
        ratio_floor: members smaller than this are not ratio-checked.
        max_h5_objects: most groups and datasets in an HDF5 file.
        max_array_bytes: largest single array in a weights file.
        max_total_bytes: most bytes all the arrays of one weights file may declare together.
        max_unstored_weight_bytes: how many bytes of weights a model built from a file's config
            may create beyond the bytes of arrays the file stores (a tiny config cannot build
            gigabytes of layers).

    The arrays of an HDF5 file are also held to its size: together they may declare at most
    ``max_ratio`` times the file's bytes (or ``ratio_floor``), and one array above
    ``ratio_floor`` at most ``max_ratio`` times the bytes it stores, so a small file cannot
    declare gigabytes of never-written (or highly compressed) data.

    ``max_json_depth`` leaves room for models nested about 150 deep (each nested model adds
    three levels of JSON) while keeping the parsers far from Python's recursion limit.
    """

    max_config_bytes: int = 64 << 20
    max_json_depth: int = 480
    max_members: int = 10_000
    max_member_bytes: int = 16 << 30
    max_ratio: int = 100
    ratio_floor: int = 1 << 20
    max_h5_objects: int = 1_000_000
    max_array_bytes: int = 8 << 30
    max_total_bytes: int = 16 << 30
    max_unstored_weight_bytes: int = 64 << 20


LIMITS = Limits()

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = np.frombuffer(b"[{", np.uint8)
_CLOSE = np.frombuffer(b"]}", np.uint8)


def json_depth(raw):
    """Deepest list/dict nesting of JSON text ``raw`` (bytes), found without parsing it."""
    codes = np.frombuffer(_JSON_STRING.sub(b'""', raw), np.uint8)
    steps = np.isin(codes, _OPEN).astype(np.int8) - np.isin(codes, _CLOSE).astype(np.int8)
    steps = steps[steps != 0]
    return int(np.cumsum(steps, dtype=np.int64).max()) if steps.size else 0


def load_json(raw, what="config"):
    """Parse JSON ``raw`` (bytes or str) after checking its size and nesting against ``LIMITS``.

    Raises:
        UnsafeFileError: larger than ``max_config_bytes`` or deeper than ``max_json_depth``.
        CorruptFileError: not valid JSON (or duplicate keys).
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > LIMITS.max_config_bytes:
        raise UnsafeFileError(f"{what} is {len(raw)} bytes, more than the limit of "
                              f"{LIMITS.max_config_bytes} bytes")
    depth = json_depth(raw)
    if depth > LIMITS.max_json_depth:
        raise UnsafeFileError(f"{what} is nested {depth} levels deep, more than the limit of "
                              f"{LIMITS.max_json_depth}")
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise CorruptFileError(f"{what} is not valid JSON ({e})") from None


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


# ----- zip ---------------------------------------------------------------------------------------
def check_member_name(name):
    """Refuse archive member names that could escape an extraction directory."""
    problem = None
    if "\\" in name:
        problem = "contains a backslash"
    elif name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        problem = "is an absolute path"
    elif any(part == ".." for part in name.split("/")):
        problem = "contains '..' (path traversal)"
    elif "\x00" in name or not name:
        problem = "is empty or contains a NUL byte"
    if problem:
        raise UnsafeFileError(f"zip member {name!r} {problem}")


def check_zip_members(infos):
    """Validate a zip's member list before any member is decompressed."""
    if len(infos) > LIMITS.max_members:
        raise UnsafeFileError(f"the archive has {len(infos)} members, more than the limit of "
                              f"{LIMITS.max_members}")
    seen = set()
    for info in infos:
        check_member_name(info.filename)
        if info.filename in seen:
            raise UnsafeFileError(f"zip member {info.filename!r} appears twice")
        seen.add(info.filename)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeFileError(f"zip member {info.filename!r} is a link or special file")
        if info.file_size > LIMITS.max_member_bytes:
            raise UnsafeFileError(f"zip member {info.filename!r} expands to {info.file_size} "
                                  f"bytes, more than the limit of {LIMITS.max_member_bytes}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > LIMITS.ratio_floor and ratio > LIMITS.max_ratio:
            raise UnsafeFileError(f"zip member {info.filename!r} expands {ratio:.0f}-fold "
                                  f"(limit {LIMITS.max_ratio}): a zip bomb")


def check_npz(zf, archive_size=None):
    """Validate an open ``.npz`` (``zipfile.ZipFile``) before NumPy reads it: its members (as
    ``check_zip_members``), each ``.npy`` header (no objects, a declared size its member holds)
    and the total declared bytes against ``LIMITS`` and the archive's ``archive_size``."""
    infos = zf.infolist()
    check_zip_members(infos)
    declared = 0
    for info in infos:
        if not info.filename.endswith(".npy"):
            continue
        with zf.open(info) as member:
            try:
                major, _ = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_1_0 if major == 1 else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read(member)
            except ValueError as e:
                raise CorruptFileError(f"npz member {info.filename!r} has no valid .npy header "
                                       f"({e})") from None
        if dtype.hasobject:
            raise UnsafeFileError(f"npz member {info.filename!r} holds pickled object arrays, "
                                  f"which are never loaded")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if nbytes > info.file_size:
            raise CorruptFileError(f"npz member {info.filename!r} declares shape {shape} "
                                   f"({nbytes} bytes) but holds {info.file_size} bytes")
        declared += nbytes
    check_declared_total(declared, archive_size)


# ----- HDF5 --------------------------------------------------------------------------------------
_SAFE_KINDS = "fiub"


def scan_h5(h5file, file_size=None):
    """Walk every link of an open ``h5py.File`` without following any, refusing soft and external
    links, virtual datasets, external raw storage, non-numeric dtypes, oversized arrays and
    arrays that declare far more bytes than the file (of ``file_size`` bytes) stores.

    Nothing outside the file is opened and no array is read: links are inspected with
    ``getlink=True``, dataset storage through the creation property list, sizes from the
    dataspace and the allocated storage.
    """
    import h5py

    count = declared = 0
    stack = [("", h5file)]
    while stack:
        prefix, group = stack.pop()
        for name in group:
            path = f"{prefix}/{name}"
            count += 1
            if count > LIMITS.max_h5_objects:
                raise UnsafeFileError(f"more than {LIMITS.max_h5_objects} HDF5 objects")
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                raise UnsafeFileError(f"HDF5 soft link (SoftLink) at {path!r} (to {link.path!r})")
            if isinstance(link, h5py.ExternalLink):
                raise UnsafeFileError(f"HDF5 external link (ExternalLink) at {path!r} (to "
                                      f"{link.filename!r})")
            if not isinstance(link, h5py.HardLink):
                raise UnsafeFileError(f"HDF5 link of unknown kind at {path!r}")
            obj = group[name]
            if isinstance(obj, h5py.Group):
                if path.count("/") > LIMITS.max_json_depth:
                    raise UnsafeFileError(f"HDF5 groups nested too deep at {path!r}")
                stack.append((path, obj))
            elif isinstance(obj, h5py.Dataset):
                declared += check_dataset(obj, path)
            else:
                raise UnsafeFileError(f"unexpected HDF5 object {type(obj).__name__} at {path!r}")
    check_declared_total(declared, file_size)


def check_declared_total(declared, file_size=None):
    """Refuse arrays that declare more bytes in all than ``LIMITS`` allow for a file of
    ``file_size`` bytes (checked before any array is read)."""
    if declared > LIMITS.max_total_bytes:
        raise UnsafeFileError(f"the arrays declare {declared} bytes in all, more than the limit "
                              f"of {LIMITS.max_total_bytes}")
    if file_size is not None and declared > max(LIMITS.ratio_floor, LIMITS.max_ratio * file_size):
        raise UnsafeFileError(f"the arrays declare {declared} bytes in all, more than "
                              f"{LIMITS.max_ratio} times the file's {file_size} bytes: a memory "
                              f"bomb")


def check_dataset(ds, path):
    """Refuse a dataset whose data lives elsewhere, is not a plain numeric array, or declares
    far more bytes than it stores; return the bytes it declares."""
    if ds.is_virtual:
        raise UnsafeFileError(f"HDF5 virtual dataset at {path!r}")
    if ds.id.get_create_plist().get_external_count() > 0:
        raise UnsafeFileError(f"HDF5 dataset with external storage at {path!r}")
    dtype = ds.dtype
    if dtype.kind not in _SAFE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise UnsafeFileError(f"HDF5 dataset {path!r} has dtype {dtype}; only numeric arrays "
                              f"are accepted (no objects, strings or references)")
    shape = ds.shape if ds.shape is not None else ()
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > LIMITS.max_array_bytes:
        raise UnsafeFileError(f"HDF5 dataset {path!r} of shape {shape} needs {nbytes} bytes, "
                              f"more than the limit of {LIMITS.max_array_bytes}")
    stored = ds.id.get_storage_size()
    if nbytes > LIMITS.ratio_floor and nbytes > LIMITS.max_ratio * max(stored, 1):
        raise UnsafeFileError(f"HDF5 dataset {path!r} of shape {shape} declares {nbytes} bytes "
                              f"but stores {stored} (never written, or expanding more than "
                              f"{LIMITS.max_ratio}-fold): a memory bomb")
    return nbytes
