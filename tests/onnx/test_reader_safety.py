"""Reading ONNX files safely: no code runs (pickles, custom operator domains and functions are
refused), external data only from an allowed folder and never outside it, tensor sizes checked
against the bytes that back them before any allocation, one clear error for a damaged file."""

import os
import pickle

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import numdeep as nd  # noqa: E402
from numdeep.onnx import OnnxFormatError, OnnxImportError, export, load_model  # noqa: E402


def _dense_model(path):
    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.Input((4,), name="x"), nd.layers.Dense(8, activation="relu"),
                           nd.layers.Dense(3, name="y")])
    export(model, path)
    return model


def _edited(src, dst, edit):
    proto = onnx.load(src, load_external_data=False)
    edit(proto)
    with open(dst, "wb") as f:
        f.write(proto.SerializeToString())
    return dst


def test_random_bytes_give_one_clear_error(tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(OnnxFormatError, match="is not a valid ONNX model"):
        load_model(str(path))


def test_every_truncation_gives_the_format_error(tmp_path):
    src = str(tmp_path / "m.onnx")
    _dense_model(src)
    data = open(src, "rb").read()
    for cut in np.linspace(1, len(data) - 1, 25).astype(int):
        path = tmp_path / f"cut{cut}.onnx"
        path.write_bytes(data[:cut])
        with pytest.raises(OnnxFormatError):
            load_model(str(path))


def test_flipped_bytes_never_escape_the_format_and_import_errors(tmp_path):
    src = str(tmp_path / "m.onnx")
    _dense_model(src)
    data = bytearray(open(src, "rb").read())
    rng = np.random.default_rng(0)
    for i in range(30):
        broken = bytearray(data)
        for at in rng.integers(0, len(broken), 3):
            broken[at] = int(rng.integers(0, 256))
        path = tmp_path / f"flip{i}.onnx"
        path.write_bytes(bytes(broken))
        try:
            load_model(str(path))
        except (OnnxFormatError, OnnxImportError):
            pass


def test_tensor_shorter_than_its_shape_is_refused(tmp_path):
    src = str(tmp_path / "m.onnx")
    _dense_model(src)

    def cut(proto):
        proto.graph.initializer[0].raw_data = proto.graph.initializer[0].raw_data[:-4]

    with pytest.raises(OnnxFormatError, match="declares .* but holds"):
        load_model(_edited(src, str(tmp_path / "short.onnx"), cut))


def test_huge_declared_tensor_is_refused_before_allocation(tmp_path):
    src = str(tmp_path / "m.onnx")
    _dense_model(src)

    def grow(proto):
        tensor = proto.graph.initializer[0]
        del tensor.dims[:]
        tensor.dims.extend([1 << 20, 1 << 20])  # 4 TiB of float32

    with pytest.raises(OnnxFormatError, match="more than the .*-byte file holds"):
        load_model(_edited(src, str(tmp_path / "huge.onnx"), grow))


def test_max_bytes_limits_the_file(tmp_path):
    src = str(tmp_path / "m.onnx")
    _dense_model(src)
    with pytest.raises(OnnxFormatError, match="max_bytes"):
        load_model(src, max_bytes=100)


def _external(tmp_path, location="weights.bin"):
    folder = tmp_path / "model"
    folder.mkdir()
    model = _dense_model(str(folder / "m.onnx"))
    proto = onnx.load(str(folder / "m.onnx"))
    onnx.save_model(proto, str(folder / "m.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=location, size_threshold=0)
    return model, folder


def test_external_data_is_refused_unless_its_folder_is_allowed(tmp_path):
    model, folder = _external(tmp_path)
    with pytest.raises(OnnxFormatError, match="allow_external_data_dir"):
        load_model(str(folder / "m.onnx"))
    loaded = load_model(str(folder / "m.onnx"), allow_external_data_dir=str(folder))
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(loaded(x).data, model(x).data, atol=1e-6)


def test_external_data_outside_the_allowed_folder_is_refused(tmp_path):
    _, folder = _external(tmp_path)
    path = str(folder / "m.onnx")
    outside = tmp_path / "secret.bin"
    outside.write_bytes(b"\0" * 4096)

    def point_outside(proto):
        for tensor in proto.graph.initializer:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = "../secret.bin"

    escaped = _edited(path, str(folder / "escape.onnx"), point_outside)
    with pytest.raises(OnnxFormatError, match="outside the allowed folder"):
        load_model(escaped, allow_external_data_dir=str(folder))
    os.symlink(outside, folder / "link.bin")

    def via_link(proto):
        for tensor in proto.graph.initializer:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = "link.bin"

    linked = _edited(path, str(folder / "link.onnx"), via_link)
    with pytest.raises(OnnxFormatError, match="outside the allowed folder"):
        load_model(linked, allow_external_data_dir=str(folder))


def test_external_data_of_the_wrong_length_is_refused(tmp_path):
    _, folder = _external(tmp_path)

    def lengthen(proto):
        for entry in proto.graph.initializer[0].external_data:
            if entry.key == "length":
                entry.value = str(int(entry.value) + 4)

    bad = _edited(str(folder / "m.onnx"), str(folder / "long.onnx"), lengthen)
    with pytest.raises(OnnxFormatError, match="does not match its shape"):
        load_model(bad, allow_external_data_dir=str(folder))


class _Marker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_is_never_unpickled(tmp_path):
    marker = tmp_path / "ran.txt"
    path = tmp_path / "model.onnx"
    path.write_bytes(pickle.dumps(_Marker(str(marker))))
    with pytest.raises(OnnxFormatError):
        load_model(str(path))
    assert not marker.exists()


def test_model_functions_are_refused(tmp_path):
    fn = helper.make_function("com.example", "Twice", ["a"], ["b"],
                              [helper.make_node("Add", ["a", "a"], ["b"])],
                              [helper.make_opsetid("", 18)])
    graph = helper.make_graph(
        [helper.make_node("Twice", ["x"], ["y"], domain="com.example")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, functions=[fn], opset_imports=[
        helper.make_opsetid("", 18), helper.make_opsetid("com.example", 1)])
    path = str(tmp_path / "fn.onnx")
    onnx.save(model, path)
    with pytest.raises(OnnxImportError, match="function com.example::Twice"):
        load_model(path)


def test_unknown_element_type_is_a_format_error(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        initializer=[helper.make_tensor("s", TensorProto.STRING, [1], [b"hi"])])
    path = str(tmp_path / "strings.onnx")
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(OnnxFormatError, match="element type"):
        load_model(path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(str(tmp_path / "none.onnx"))
    assert numpy_helper is not None
