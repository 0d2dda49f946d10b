"""MNIST: Keras's ``mnist.npz`` (downloaded once, hash-checked) or the four original IDX files.

``load_data()`` does what Keras's does: it downloads ``mnist.npz`` from Keras's origin through
``numdeep.utils.get_file`` (verified against Keras's sha256) unless the cache already holds it;
the cache is shared with Keras (``~/.keras/datasets``, see ``get_file``). It also reads the four
IDX files put by hand in a cache folder (``$NUMDEEP_HOME/datasets`` or ``~/.numdeep/datasets``,
their ``mnist/`` sub-folder, or ``~/.keras/datasets``), and any file or folder given as ``path``.

Files are parsed strictly: IDX magic numbers, dimensions and byte counts are checked, ``.npz``
files are read with ``allow_pickle=False``, and every error names the offending file. Pass
``sha256=`` to verify checksums as well.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_idx(Path(d) / "t10k-images-idx3-ubyte.gz", np.zeros((5, 28, 28), np.uint8))
    ...     write_idx(Path(d) / "t10k-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8))
    ...     (x_train, y_train), (x_test, y_test) = load_t10k_split(d)
    >>> x_train.shape, y_test.tolist()
    ((4, 28, 28), [0])
"""

import gzip
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import check_npz

__all__ = ["load_data", "load_t10k_split", "load_idx", "read_idx", "write_idx", "T10K_SHA256"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NPZ_URL = ORIGIN + "mnist.npz"
#: sha256 of Keras's ``mnist.npz`` (the same check ``keras.datasets.mnist`` makes).
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
#: sha256 of the gzipped official test-set files (pass as ``sha256=`` to verify them).
T10K_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
    "t10k-labels-idx1-ubyte.gz": "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
}
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES = {np.dtype(v).newbyteorder(">").str: k for k, v in _IDX_DTYPES.items()}
# MNIST's gzipped files expand about 5-fold; data that expands 100-fold is a bomb, not images.
_IDX_MAX_RATIO = 100
_IDX_RATIO_FLOOR = 16 << 20


def cache_dirs():
    """Return the directories searched when no ``path`` is given, in order."""
    home = os.environ.get("NUMDEEP_HOME")
    base = Path(home) if home else Path.home() / ".numdeep"
    keras = os.environ.get("KERAS_HOME")
    keras = Path(keras) if keras else Path.home() / ".keras"
    return [base / "datasets", base / "datasets" / "mnist", keras / "datasets"]


def _check_sha256(path, sha256):
    if sha256 is None:
        return
    expected = sha256.get(Path(path).name) if isinstance(sha256, dict) else sha256
    if expected is None:
        return
    import hashlib

    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != expected.lower():
        raise ValueError(f"sha256 mismatch for {path}: expected {expected}, got {digest}. "
                         "The file is corrupt or not the expected version; download it again.")


def read_idx(path, sha256=None):
    """Parse one IDX file (optionally gzipped) into a NumPy array, validating its header.

    A gzipped file is decompressed only as far as its header says (plus one byte, to detect
    trailing data), and a header that declares more than ``_IDX_MAX_RATIO`` times the
    compressed size (above ``_IDX_RATIO_FLOOR`` bytes) is refused before decompressing: a small
    file cannot expand into gigabytes.

    Args:
        path: the file; gzip compression is detected from its content.
        sha256: optional expected hex digest (a string, or a ``{file name: digest}`` dict).

    Returns:
        The array with the dims and dtype given in the file header.

    Raises:
        ValueError: naming the file when it is not valid IDX (bad magic number, truncated,
            trailing bytes, or a declared size out of proportion to the file).
    """
    path = Path(path)
    _check_sha256(path, sha256)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    raw = _read_gzipped_idx(path) if gzipped else path.read_bytes()
    dtype, dims, header = _idx_header(raw, path)
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(f"{path}: IDX data {what}: header says dims {dims} ({expected} bytes), "
                         f"file holds {len(raw)} bytes.")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def _idx_header(raw, path):
    """``(dtype, dims, header bytes)`` of IDX data starting with ``raw``."""
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'none'}; "
                         "expected 0000080n, e.g. 00000803 for images, 00000801 for labels).")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, need {header}).")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    return dtype, dims, header


def _read_gzipped_idx(path):
    size = path.stat().st_size
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(4)
            if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[3] == 0:
                return raw  # `_idx_header` names the problem
            raw += f.read(4 * raw[3])
            dtype, dims, header = _idx_header(raw, path)
            data_bytes = int(np.prod(dims, dtype=object)) * dtype.itemsize
            if data_bytes > max(_IDX_RATIO_FLOOR, _IDX_MAX_RATIO * size):
                raise ValueError(f"{path}: the IDX header declares dims {dims} ({data_bytes} "
                                 f"bytes) in a {size}-byte gzip file, more than "
                                 f"{_IDX_MAX_RATIO} times its size; refusing to decompress a "
                                 f"potential decompression bomb.")
            return raw + f.read(data_bytes + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({e}).") from None


def write_idx(path, array):
    """Write an array as an IDX file (gzipped when ``path`` ends in ``.gz``); handy for tests."""
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder(">").str)
    if code is None or array.ndim == 0:
        raise ValueError(f"write_idx: unsupported array dtype {array.dtype} or 0-d shape.")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)


def load_idx(images_path, labels_path, sha256=None):
    """Load an image file and a label file in IDX format and check that they match.

    Args:
        images_path: IDX file of shape ``(N, rows, cols)`` (``.gz`` or raw).
        labels_path: IDX file of shape ``(N,)``.
        sha256: optional ``{file name: digest}`` dict.

    Returns:
        ``(x, y)`` as uint8 arrays.
    """
    x, y = read_idx(images_path, sha256), read_idx(labels_path, sha256)
    if x.ndim != 3 or x.dtype != np.uint8:
        raise ValueError(f"{images_path}: expected uint8 images of shape (N, rows, cols), "
                         f"found {x.dtype} {x.shape}.")
    if y.ndim != 1 or y.dtype != np.uint8:
        raise ValueError(f"{labels_path}: expected uint8 labels of shape (N,), "
                         f"found {y.dtype} {y.shape}.")
    if len(x) != len(y):
        raise ValueError(f"{images_path} holds {len(x)} images but {labels_path} holds "
                         f"{len(y)} labels.")
    return x, y


def _find_idx(directory, key):
    base = IDX_NAMES[key]
    for name in (base, base.replace("-idx", ".idx")):
        for suffix in (".gz", ""):
            p = Path(directory) / (name + suffix)
            if p.is_file():
                return p
    return None


def _load_npz(path, sha256=None):
    _check_sha256(path, sha256)
    try:
        with zipfile.ZipFile(path) as zf:
            check_npz(zf, os.path.getsize(path))
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in IDX_NAMES if k not in f.files]
            if missing:
                raise KeyError(f"missing arrays {missing}; found {f.files}")
            arrays = {k: f[k] for k in IDX_NAMES}
    except KeyError as e:
        raise ValueError(f"{path}: not a Keras MNIST .npz ({e.args[0]}).") from None
    except CorruptFileError as e:
        raise ValueError(f"{path}: refused .npz file ({e.problem}).") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ValueError(f"{path}: unreadable .npz file ({e}).") from None
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _search_dirs(path):
    if path is None:
        return cache_dirs()
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(_missing_message([path], f"The given path {path} does not exist."))
    return [path]


def _missing_message(dirs, found=""):
    where = ", ".join(str(d) for d in dirs)
    idx = ", ".join(n + ".gz" for n in IDX_NAMES.values())
    from numdeep.utils.downloads import cache_roots

    return (f"{found} MNIST not found in: {where}. Call load_data() without a path to download "
            f"{ORIGIN}mnist.npz (into {Path(cache_roots()[0]) / 'datasets'}), or put that file "
            f"or the four IDX files {idx} there by hand.").strip()


def load_data(path="mnist.npz", sha256=None):
    """Load the 60,000/10,000 MNIST split, Keras style, downloading ``mnist.npz`` if needed.

    Args:
        path: as in Keras, the file's name in the cache (``mnist.npz``); numdeep also accepts an
            existing ``.npz`` file, or a directory holding ``mnist.npz`` or the four IDX files.
        sha256: optional checksum(s) for local files: a digest string for an ``.npz`` file, or a
            ``{file name: digest}`` dict (downloads are always checked against Keras's hash).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(N, 28, 28)`` and uint8 labels.

    Raises:
        FileNotFoundError: a given file or directory does not exist or lacks the files (only the
            ``t10k`` test files present counts as lacking: use ``load_t10k_split`` for those).
        numdeep.utils.downloads.DownloadError: offline, with where to put the file by hand.
        ValueError: naming the file when a file is damaged or fails its checksum.
    """
    local = Path(path or "mnist.npz").expanduser()
    if local.exists():
        return _load_local(local, sha256)
    if str(local) != local.name:
        raise FileNotFoundError(_missing_message([local], f"The given path {local} does not "
                                                          f"exist."))
    for d in cache_dirs():  # IDX files put in a cache folder by hand
        files = {k: _find_idx(d, k) for k in IDX_NAMES}
        if all(files.values()):
            train = load_idx(files["x_train"], files["y_train"], sha256)
            return train, load_idx(files["x_test"], files["y_test"], sha256)
    from numdeep.utils.downloads import get_file

    return _load_npz(get_file(local.name, origin=ORIGIN + "mnist.npz", file_hash=NPZ_SHA256),
                     sha256)


def _load_local(path, sha256):
    if path.is_file():
        return _load_npz(path, sha256)
    if (path / "mnist.npz").is_file():
        return _load_npz(path / "mnist.npz", sha256)
    files = {k: _find_idx(path, k) for k in IDX_NAMES}
    if all(files.values()):
        train = load_idx(files["x_train"], files["y_train"], sha256)
        return train, load_idx(files["x_test"], files["y_test"], sha256)
    hint = ""
    if files["x_test"] and files["y_test"]:
        hint = (f"Only the 10,000-image test files are in {path}; use "
                "numdeep.datasets.mnist.load_t10k_split(path) for the fixed 8,000/2,000 split "
                "of them, or add the training files.")
    raise FileNotFoundError(_missing_message([path], hint))


def load_t10k_split(path=None, sha256=None):
    """Split the official 10,000-image MNIST test set into fixed 8,000/2,000 parts.

    Image ``i`` goes to the test part when ``i % 5 == 0`` and to the training part otherwise, so
    results are comparable run to run when only the ``t10k`` files are at hand.

    Args:
        path: a directory with ``t10k-images-idx3-ubyte(.gz)`` and ``t10k-labels-idx1-ubyte(.gz)``
            (or with ``mnist.npz``, whose test arrays are used), or an ``.npz`` file; ``None``
            searches the cache directories.
        sha256: optional ``{file name: digest}`` dict, e.g. ``T10K_SHA256``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays.
    """
    dirs = _search_dirs(path)
    x = None
    for d in dirs:
        if d.is_file():
            _, (x, y) = _load_npz(d, sha256)
            break
        images, labels = _find_idx(d, "x_test"), _find_idx(d, "y_test")
        if images and labels:
            x, y = load_idx(images, labels, sha256)
            break
        if (d / "mnist.npz").is_file():
            _, (x, y) = _load_npz(d / "mnist.npz", sha256)
            break
    if x is None:
        raise FileNotFoundError(_missing_message(dirs, "The t10k test files are missing."))
    test = np.arange(len(x)) % 5 == 0
    return (x[~test], y[~test]), (x[test], y[test])
