"""Reading an ONNX file safely: protobuf only (no pickle, no custom operator libraries, no code
of any kind), every tensor's declared size checked against the bytes that back it before an
array is made, external data refused unless its folder is allowed and every file stays inside
it, and one ``OnnxFormatError`` for a damaged file.

Example:
    >>> import os, tempfile
    >>> from numdeep.onnx.importer.reader import read_model
    >>> path = os.path.join(tempfile.mkdtemp(), "broken.onnx")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"not an onnx file")
    >>> read_model(path)
    Traceback (most recent call last):
    ...
    numdeep.onnx.errors.OnnxFormatError: ...broken.onnx is not a valid ONNX model...
"""

import os

import numpy as np

from numdeep.onnx._deps import require_onnx
from numdeep.onnx.errors import OnnxFormatError

MAX_BYTES = 2 ** 31 - 1  # protobuf's own ceiling for one message
_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
           7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32,
           13: np.uint64}
_FIELDS = {1: "float_data", 2: "int32_data", 3: "int32_data", 4: "int32_data",
           5: "int32_data", 6: "int32_data", 7: "int64_data", 9: "int32_data",
           10: "int32_data", 11: "double_data", 12: "uint64_data", 13: "uint64_data"}


def read_model(path, allow_external_data_dir=None, max_bytes=None):
    """Parse and check the ONNX file at ``path``; returns the ``ModelProto`` with every tensor
    held in memory (external data read in, after the checks above).

    Args:
        path: the ``.onnx`` file.
        allow_external_data_dir: the folder external tensor files may come from (their
            locations are relative to the model's folder, as the ONNX spec says); ``None``
            refuses external data.
        max_bytes: the largest file (and largest total of external data) accepted.

    Raises:
        OnnxFormatError: damaged, truncated or inconsistent file, or refused external data.
    """
    onnx = require_onnx()
    limit = MAX_BYTES if max_bytes is None else int(max_bytes)
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise FileNotFoundError(f"No ONNX file at {path!r}: {err}") from err
    if size > limit:
        raise OnnxFormatError(f"{path} is {size} bytes, more than max_bytes={limit}.")
    with open(path, "rb") as f:
        data = f.read()
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as err:  # noqa: BLE001 - protobuf raises its own DecodeError and others
        raise OnnxFormatError(f"{path} is not a valid ONNX model: the file is damaged or "
                              f"truncated ({type(err).__name__}: {err}).") from err
    if not model.HasField("graph") or model.ir_version <= 0 or not len(model.graph.node):
        raise OnnxFormatError(f"{path} is not a valid ONNX model: it has no graph (a damaged "
                              f"file, or not ONNX at all).")
    budget = _Budget(size, limit)
    folder = os.path.dirname(os.path.abspath(path))
    for tensor in _all_tensors(model.graph):
        _check_tensor(tensor, path, folder, allow_external_data_dir, budget)
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # noqa: BLE001 - ValidationError and friends
        raise OnnxFormatError(f"{path} is not a valid ONNX model: {err}") from err
    return model


class _Budget:
    """How many tensor bytes the file (plus allowed external data) can back."""

    def __init__(self, file_size, limit):
        self.file_size, self.limit, self.external = file_size, limit, 0


def _all_tensors(graph):
    """Initializers and constant tensors of ``graph`` and of its sub-graphs."""
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from _all_tensors(attr.g)
            for g in attr.graphs:
                yield from _all_tensors(g)


def _count(tensor, path):
    n = 1
    for d in tensor.dims:
        if d < 0:
            raise OnnxFormatError(f"{path}: tensor {tensor.name!r} has a negative dimension "
                                  f"{list(tensor.dims)}.")
        n *= int(d)
    return n


def _check_tensor(tensor, path, folder, allowed, budget):
    if tensor.data_type not in _DTYPES:
        raise OnnxFormatError(f"{path}: tensor {tensor.name!r} has element type "
                              f"{tensor.data_type}, which numdeep does not read (it reads "
                              f"float, int, uint, bool and float16/64 tensors).")
    count = _count(tensor, path)
    itemsize = np.dtype(_DTYPES[tensor.data_type]).itemsize
    expected = count * itemsize
    # Checked before any array exists: a header cannot make numdeep allocate what the file
    # (or the allowed external data) does not hold.
    if tensor.data_location == 1:  # EXTERNAL
        _read_external(tensor, path, folder, allowed, budget, expected)
        return
    if expected > budget.file_size:
        raise OnnxFormatError(f"{path}: tensor {tensor.name!r} declares {list(tensor.dims)} "
                              f"({expected} bytes), more than the {budget.file_size}-byte file "
                              f"holds: the file is damaged.")
    if tensor.HasField("raw_data") or (count and not len(getattr(tensor, _FIELDS[
            tensor.data_type]))):
        if len(tensor.raw_data) != expected:
            raise OnnxFormatError(f"{path}: tensor {tensor.name!r} declares {list(tensor.dims)} "
                                  f"({expected} bytes) but holds {len(tensor.raw_data)} bytes: "
                                  f"the file is damaged.")
        return
    held = len(getattr(tensor, _FIELDS[tensor.data_type]))
    if held != count:
        raise OnnxFormatError(f"{path}: tensor {tensor.name!r} declares {list(tensor.dims)} "
                              f"({count} values) but holds {held}: the file is damaged.")


def _read_external(tensor, path, folder, allowed, budget, expected):
    info = {e.key: e.value for e in tensor.external_data}
    name = tensor.name
    if allowed is None:
        raise OnnxFormatError(
            f"{path}: tensor {name!r} is stored in an external file "
            f"({info.get('location')!r}); external data is refused unless you pass "
            f"allow_external_data_dir=<the folder that holds it>.")
    root = os.path.realpath(os.fspath(allowed))
    location = info.get("location", "")
    target = os.path.realpath(os.path.join(folder, location))
    if not location or os.path.isabs(location) or os.path.commonpath([root, target]) != root:
        raise OnnxFormatError(f"{path}: tensor {name!r} points outside the allowed folder "
                              f"{root!r} (location {location!r}); refused.")
    try:
        offset, length = int(info.get("offset", 0)), int(info.get("length", expected))
        file_size = os.path.getsize(target)
    except (OSError, ValueError) as err:
        raise OnnxFormatError(f"{path}: external data of tensor {name!r} unreadable: "
                              f"{err}") from err
    if offset < 0 or length != expected or offset + length > file_size:
        raise OnnxFormatError(f"{path}: external data of tensor {name!r} ({location!r}, "
                              f"offset {offset}, length {length}) does not match its shape "
                              f"{list(tensor.dims)} ({expected} bytes) or the file's "
                              f"{file_size} bytes.")
    budget.external += length
    if expected > budget.limit or budget.external > budget.limit:
        raise OnnxFormatError(f"{path}: external data exceeds max_bytes={budget.limit}.")
    with open(target, "rb") as f:
        f.seek(offset)
        tensor.raw_data = f.read(length)
    del tensor.external_data[:]
    tensor.data_location = 0


def to_array(tensor):
    """A checked tensor as a NumPy array (a copy: the model's bytes stay untouched)."""
    onnx = require_onnx()
    return np.array(onnx.numpy_helper.to_array(tensor))
