"""The safetensors reader/writer: round trips (also against the reference ``safetensors``
library when installed) and every malformed header refused before allocation (reliability case
13), with ``CorruptFileError`` naming the file."""

import json
import struct
import tracemalloc

import numpy as np
import pytest

from numdeep.pretrained.safetensors import SafetensorsFile, load_file, read_header, save_file
from numdeep.saving.errors import CorruptFileError

ARRAYS = {
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "f64": np.array([1.5, -2.0]),
    "f16": np.array([0.5, 2.0], dtype=np.float16),
    "i64": np.array([[1], [2]], dtype=np.int64),
    "i8": np.array([-3, 4], dtype=np.int8),
    "u8": np.array([255], dtype=np.uint8),
    "bool": np.array([True, False, True]),
    "scalar": np.array(3.0, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}


def test_round_trip_all_dtypes(tmp_path):
    path = tmp_path / "a.safetensors"
    save_file(ARRAYS, path, metadata={"format": "np"})
    loaded = load_file(path)
    assert set(loaded) == set(ARRAYS)
    for name, arr in ARRAYS.items():
        assert loaded[name].dtype == arr.dtype and loaded[name].shape == arr.shape, name
        np.testing.assert_array_equal(loaded[name], arr)
    with SafetensorsFile(path) as f:
        assert f.metadata == {"format": "np"} and f.dtype("f16") == "F16"
        assert f.shape("i64") == (2, 1)
        with pytest.raises(KeyError, match="nope"):
            f.get("nope")
    raw = path.read_bytes()
    assert (8 + struct.unpack("<Q", raw[:8])[0]) % 8 == 0  # buffer is 8-byte aligned


def test_reads_only_requested_tensors(tmp_path):
    path = tmp_path / "b.safetensors"
    save_file({"a": np.ones(3, np.float32), "b": np.zeros(2, np.int32)}, path)
    assert list(load_file(path, names=["b"])) == ["b"]


def test_interop_with_the_reference_library(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    theirs, ours = tmp_path / "theirs.safetensors", tmp_path / "ours.safetensors"
    st.save_file({k: v for k, v in ARRAYS.items()}, str(theirs), metadata={"k": "v"})
    for name, arr in load_file(theirs).items():
        np.testing.assert_array_equal(arr, ARRAYS[name])
    save_file(ARRAYS, ours)
    for name, arr in st.load_file(str(ours)).items():
        np.testing.assert_array_equal(arr, ARRAYS[name])


def test_bfloat16_is_widened_to_float32(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    values = torch.tensor([1.0, -2.5, 3.140625, 1e-3], dtype=torch.bfloat16)
    st.save_file({"w": values}, str(tmp_path / "bf.safetensors"))
    got = load_file(tmp_path / "bf.safetensors")["w"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values.float().numpy())


def _write(path, header, data=b"", raw_header=None, length=None):
    raw = raw_header if raw_header is not None else json.dumps(header).encode()
    n = len(raw) if length is None else length
    path.write_bytes(struct.pack("<Q", n) + raw + data)
    return path


def _entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


BAD = [
    ("too short", lambda p: (p.write_bytes(b"\x01\x02"), p)[1], "too short"),
    ("huge header", lambda p: _write(p, {}, length=200 * 1024 * 1024), "exceeds"),
    ("truncated header", lambda p: _write(p, {"a": _entry()}, length=4000), "past the end"),
    ("not json", lambda p: _write(p, None, raw_header=b"{not json"), "not valid JSON"),
    ("not utf8", lambda p: _write(p, None, raw_header=b'{"\xff": 1}'), "not valid JSON"),
    ("deep nesting", lambda p: _write(p, None, raw_header=b"[" * 100000 + b"]" * 100000),
     "not valid JSON"),
    ("list header", lambda p: _write(p, None, raw_header=b"[1, 2]"), "JSON object"),
    ("duplicate names", lambda p: _write(
        p, None, raw_header=b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
                            b'"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}',
        data=bytes(8)), "duplicate key 'a'"),
    ("unknown dtype", lambda p: _write(p, {"a": _entry("F128")}, bytes(8)), "unknown dtype"),
    ("fp8", lambda p: _write(p, {"a": _entry("F8_E4M3", (8,))}, bytes(8)), "not supported"),
    ("negative dim", lambda p: _write(p, {"a": _entry(shape=(-2,))}, bytes(8)),
     "negative dimension"),
    ("float dim", lambda p: _write(p, {"a": _entry(shape=(2.0,))}, bytes(8)),
     "list of integers"),
    ("overflow", lambda p: _write(p, {"a": _entry(shape=(2**40, 2**40))}, bytes(8)),
     "overflows int64"),
    ("bytes mismatch", lambda p: _write(p, {"a": _entry(shape=(2, 3), offsets=(0, 20))},
                                        bytes(24)), "needs 24 bytes.*holds 20"),
    ("outside buffer", lambda p: _write(p, {"a": _entry(offsets=(8, 16))}, bytes(8)),
     "outside the 8-byte data buffer"),
    ("reversed offsets", lambda p: _write(p, {"a": _entry(offsets=(8, 0))}, bytes(8)),
     "outside"),
    ("overlap", lambda p: _write(p, {"a": _entry(offsets=(0, 8)),
                                     "b": _entry(offsets=(4, 12))}, bytes(12)),
     "overlapping byte ranges"),
    ("bad offsets", lambda p: _write(p, {"a": _entry(offsets=(0,))}, bytes(8)),
     r"\[begin, end\]"),
    ("extra keys", lambda p: _write(p, {"a": {**_entry(), "strides": [1]}}, bytes(8)),
     "exactly 'dtype'"),
    ("bad metadata", lambda p: _write(p, {"__metadata__": {"a": 1}}), "__metadata__"),
]


@pytest.mark.parametrize("make, match", [(m, r) for _, m, r in BAD], ids=[b[0] for b in BAD])
def test_malformed_files_are_refused_naming_the_file(tmp_path, make, match):
    path = make(tmp_path / "bad.safetensors")
    tracemalloc.start()
    try:
        with pytest.raises(CorruptFileError, match=match) as info:
            load_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and "safetensors" in str(info.value)
    assert peak < 2 * 1024 * 1024  # refused before any tensor (or huge header) is allocated
    assert isinstance(info.value, ValueError)


def test_read_header_reports_layout_without_reading_data(tmp_path):
    path = tmp_path / "c.safetensors"
    save_file({"x": np.zeros((3, 5), np.float32)}, path)
    tensors, metadata, start = read_header(path)
    assert tensors == {"x": ("F32", (3, 5), 0, 60)} and metadata == {} and start % 8 == 0


def test_writer_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unsupported dtype"):
        save_file({"s": np.array(["a"])}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="names"):
        save_file({"__metadata__": np.zeros(1)}, tmp_path / "x.safetensors")
