"""A safe reader and a writer for the safetensors format (no pickle, no dependency).

Layout: an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8 JSON
``{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}``, then
the byte buffer the offsets point into (C order, little-endian). Every header entry is validated
before any tensor is allocated: header size (at most 100 MB) and JSON well-formedness, duplicate
names, unknown dtypes, negative or non-integer dims, element counts that overflow int64, byte
ranges outside the buffer, ranges whose length differs from ``prod(shape) * itemsize``, and
overlapping ranges. A refused file raises ``numdeep.saving.errors.CorruptFileError`` naming the
path. Tensors are read through a read-only memory map, so only the requested byte ranges are
touched.
"""

import json
import mmap
import os
import struct

import numpy as np

from numdeep.saving.errors import CorruptFileError

__all__ = ["load_file", "save_file", "read_header", "SafetensorsFile", "MAX_HEADER_BYTES"]

MAX_HEADER_BYTES = 100 * 1024 * 1024
_FORMAT = "safetensors"
_INT64_MAX = 2**63 - 1
_DTYPES = {
    "BOOL": np.dtype(bool), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
}
_KNOWN_UNSUPPORTED = {"F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"}
_CODES = {np.dtype(bool): "BOOL", np.dtype("u1"): "U8", np.dtype("i1"): "I8",
          np.dtype("i2"): "I16", np.dtype("u2"): "U16", np.dtype("f2"): "F16",
          np.dtype("i4"): "I32", np.dtype("u4"): "U32", np.dtype("f4"): "F32",
          np.dtype("f8"): "F64", np.dtype("i8"): "I64", np.dtype("u8"): "U64"}


def _refuse(problem, path):
    return CorruptFileError(problem, os.fspath(path), _FORMAT)


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in the header")
        seen[key] = value
    return seen


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_entry(name, entry, buffer_size, path):
    """Validate one tensor entry; return ``(dtype_code, shape, begin, end)``."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _refuse(f"tensor {name!r}: entry must hold exactly 'dtype', 'shape' and "
                      f"'data_offsets'; found {entry!r}", path)
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if code in _KNOWN_UNSUPPORTED:
        raise _refuse(f"tensor {name!r}: dtype {code} is not supported by this reader", path)
    if code not in _DTYPES:
        raise _refuse(f"tensor {name!r}: unknown dtype {code!r}", path)
    if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
        raise _refuse(f"tensor {name!r}: shape must be a list of integers; found {shape!r}", path)
    if any(d < 0 for d in shape):
        raise _refuse(f"tensor {name!r}: negative dimension in shape {shape}", path)
    count = span = 1
    for d in shape:
        count *= d
        span *= max(d, 1)  # NumPy refuses [0, 10**30] too: every dimension must fit
    nbytes = count * _DTYPES[code].itemsize
    if span * _DTYPES[code].itemsize > _INT64_MAX:
        raise _refuse(f"tensor {name!r}: shape {shape} overflows int64 ({span} elements "
                      f"without its zero dimensions)", path)
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(o) for o in offsets)):
        raise _refuse(f"tensor {name!r}: data_offsets must be [begin, end]; found {offsets!r}",
                      path)
    begin, end = offsets
    if not 0 <= begin <= end <= buffer_size:
        raise _refuse(f"tensor {name!r}: byte range [{begin}, {end}) lies outside the "
                      f"{buffer_size}-byte data buffer", path)
    if end - begin != nbytes:
        raise _refuse(f"tensor {name!r}: shape {shape} of {code} needs {nbytes} bytes but its "
                      f"byte range [{begin}, {end}) holds {end - begin}", path)
    return code, tuple(shape), begin, end


def read_header(path):
    """Read and validate a safetensors header without touching the tensor data.

    Args:
        path: the ``.safetensors`` file.

    Returns:
        ``(tensors, metadata, data_start)``: ``{name: (dtype_code, shape, begin, end)}``, the
        ``__metadata__`` dict (``{}`` when absent) and the file offset of the byte buffer.

    Raises:
        CorruptFileError: the file is not a valid safetensors file (see the module docstring).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _refuse(f"file is too short ({size} bytes) to hold the 8-byte header length",
                          path)
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER_BYTES:
            raise _refuse(f"header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit", path)
        if 8 + n > size:
            raise _refuse(f"header length {n} runs past the end of the {size}-byte file "
                          f"(truncated?)", path)
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _refuse(f"header is not valid JSON: {exc}", path) from None
    if not isinstance(header, dict):
        raise _refuse("header must be a JSON object", path)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _refuse("__metadata__ must map strings to strings", path)
    buffer_size = size - 8 - n
    tensors = {name: _check_entry(name, entry, buffer_size, path)
               for name, entry in header.items()}
    spans = sorted((t[2], t[3], name) for name, t in tensors.items() if t[3] > t[2])
    for (_, end_a, a), (begin_b, _, b) in zip(spans, spans[1:]):
        if begin_b < end_a:
            raise _refuse(f"tensors {a!r} and {b!r} have overlapping byte ranges", path)
    return tensors, metadata, 8 + n


class SafetensorsFile:
    """A validated safetensors file opened for reading; tensors are loaded on request.

    Args:
        path: the ``.safetensors`` file.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from numdeep.pretrained.safetensors import SafetensorsFile, save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_file({"w": np.eye(2, dtype="float32")}, path)
        >>> with SafetensorsFile(path) as f:
        ...     f.keys(), f.shape("w"), f.get("w").sum()
        (['w'], (2, 2), np.float32(2.0))
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._tensors, self.metadata, self._start = read_header(self.path)
        self._file = open(self.path, "rb")
        size = os.path.getsize(self.path)
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def keys(self):
        """The tensor names, in header order."""
        return list(self._tensors)

    def shape(self, name):
        """The shape of tensor ``name`` (no data is read)."""
        return self._entry(name)[1]

    def dtype(self, name):
        """The safetensors dtype code of tensor ``name``, e.g. ``'F32'``."""
        return self._entry(name)[0]

    def _entry(self, name):
        if name not in self._tensors:
            raise KeyError(f"No tensor named {name!r} in {self.path}")
        return self._tensors[name]

    def get(self, name):
        """Tensor ``name`` as a fresh NumPy array (BF16 is widened to float32)."""
        code, shape, begin, end = self._entry(name)
        dtype = _DTYPES[code]
        if end == begin:
            arr = np.zeros(shape, dtype=dtype)
        else:
            view = np.frombuffer(self._map, dtype=dtype, count=(end - begin) // dtype.itemsize,
                                 offset=self._start + begin)
            arr = view.reshape(shape).astype(dtype.newbyteorder("="), copy=True)
        if code == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        return arr

    def close(self):
        if self._map is not None:
            self._map.close()
            self._map = None
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def load_file(path, names=None):
    """Load tensors from a safetensors file.

    Args:
        path: the file.
        names: the tensors to read (default: all).

    Returns:
        ``{name: numpy array}``.

    Raises:
        CorruptFileError: the file fails validation.
        KeyError: a requested name is not in the file.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from numdeep.pretrained import load_file, save_file
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.safetensors")
        >>> save_file({"kernel": np.ones((2, 3), "float32"), "step": np.array(7)}, path)
        >>> sorted((k, v.shape) for k, v in load_file(path).items())
        [('kernel', (2, 3)), ('step', ())]
    """
    with SafetensorsFile(path) as f:
        return {name: f.get(name) for name in (f.keys() if names is None else names)}


def save_file(tensors, path, metadata=None):
    """Write ``{name: array}`` as a safetensors file (8-byte aligned, as the reference writer).

    Args:
        tensors: mapping of names to NumPy arrays (bool, int, uint or float dtypes).
        path: destination file.
        metadata: optional ``{str: str}`` stored as ``__metadata__``.
    """
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"save_file: tensor names must be strings other than "
                             f"'__metadata__'; received {name!r}")
        arr = np.asarray(value)
        if arr.dtype.newbyteorder("=") not in _CODES:
            raise ValueError(f"save_file: tensor {name!r} has unsupported dtype {arr.dtype}")
        arrays[name] = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in order:
        arr = arrays[name]
        header[name] = {"dtype": _CODES[arr.dtype.newbyteorder("=")], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name in order:
            f.write(arrays[name].tobytes())
