"""Reading the pickled parts of Keras's datasets without running code from the file.

CIFAR's batches are Python pickles, and IMDB/Reuters store their ragged sequences as object
arrays inside ``.npz`` files (a pickle stream per array). A pickle can name any importable
callable and have it called, so they are read with ``RestrictedUnpickler``, which resolves only
the three globals NumPy arrays are rebuilt from (``numpy.ndarray``, ``numpy.dtype`` and
``multiarray._reconstruct``); everything else (``os.system``, ``builtins.eval``...) is refused.
Plain numeric arrays are read with ``allow_pickle=False``.

Example:
    >>> import io, pickle
    >>> import numpy as np
    >>> from numdeep.datasets.safe_pickle import restricted_loads
    >>> restricted_loads(pickle.dumps({"data": np.arange(3, dtype=np.uint8)}))["data"]
    array([0, 1, 2], dtype=uint8)
    >>> restricted_loads(pickle.dumps(print))
    Traceback (most recent call last):
    ...
    _pickle.UnpicklingError: Refusing to load `builtins.print` from a dataset file: ...
"""

import io
import pickle
import zipfile

import numpy as np

__all__ = ["RestrictedUnpickler", "restricted_loads", "load_npz", "MAX_MEMBER_BYTES"]

_ALLOWED = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
})
#: The largest ``.npz`` member (uncompressed) read into memory.
MAX_MEMBER_BYTES = 4 << 30


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays, dicts, lists, strings and numbers only."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load `{module}.{name}` from a dataset file: "
                                     f"only NumPy arrays are allowed (the file is corrupt or "
                                     f"malicious).")


def restricted_loads(data, encoding="ASCII"):
    """``pickle.loads`` through ``RestrictedUnpickler`` (``encoding="bytes"`` for Python 2
    pickles such as CIFAR's)."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def _read_npy(buffer, name):
    version = np.lib.format.read_magic(buffer)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(buffer)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in the header text's encoding (utf-8 instead of latin-1).
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(buffer)
    else:
        raise ValueError(f"{name}: unsupported .npy format version {version}.")
    if not dtype.hasobject:
        buffer.seek(0)
        return np.lib.format.read_array(buffer, allow_pickle=False)
    array = RestrictedUnpickler(buffer).load()
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"{name}: the object array does not match its header (shape "
                         f"{tuple(shape)}).")
    return array


def load_npz(path):
    """Every array of an ``.npz`` file as a dict, object arrays through the restricted unpickler.

    Raises:
        ValueError: naming the file when it is not a valid ``.npz`` or holds anything but arrays.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ValueError(f"member {info.filename} would unpack to {info.file_size} "
                                     f"bytes (limit {MAX_MEMBER_BYTES})")
                with archive.open(info) as member:
                    buffer = io.BytesIO(member.read())
                arrays[info.filename[:-4]] = _read_npy(buffer, f"{path}:{info.filename}")
    except (zipfile.BadZipFile, OSError, EOFError, pickle.UnpicklingError, ValueError) as e:
        raise ValueError(f"{path}: unreadable dataset file ({e}).") from None
    return arrays
