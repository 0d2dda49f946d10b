"""Hostile ONNX graphs cannot make the import allocate more than the file justifies: huge
declared inputs, ``ConstantOfShape``/``Range``/``Expand`` bombs, broadcasts and pads that multiply
sizes, and recurrent attributes that disagree with their weights are refused with one clear
error before the memory is taken (peak under 200 MB, measured with ``tracemalloc``, which sees
NumPy's allocations)."""

import tracemalloc

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from numdeep.onnx import OnnxFormatError, OnnxImportError, load_model  # noqa: E402
from numdeep.onnx.importer import api  # noqa: E402
from numdeep.onnx.importer.budget import ImportBudget, planned_shape  # noqa: E402

PEAK_LIMIT = 200 * 2 ** 20
F = TensorProto.FLOAT


def _save(tmp_path, nodes, inputs, outputs, initializers=(), name="bomb.onnx"):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = str(tmp_path / name)
    onnx.save(model, path)
    return path


def _int64(name, values):
    return numpy_helper.from_array(np.asarray(values, np.int64), name)


def _refused(path, error=OnnxFormatError, match="refused before allocating", **kwargs):
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match):
            load_model(path, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, peak


def _vi(name, shape, dtype=F):
    """A value's declared type; an int ``shape`` is a rank of free sizes (outputs)."""
    if isinstance(shape, int):
        shape = [f"{name}{i}" for i in range(shape)]
    return helper.make_tensor_value_info(name, dtype, shape)


def test_huge_declared_input(tmp_path):
    path = _save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])],
                 [_vi("x", [100000, 100000])], [_vi("y", [100000, 100000])])
    _refused(path, match=r"graph input 'x' would hold \(100000, 100000\)")


def test_input_of_many_free_axes(tmp_path):
    free = [f"d{i}" for i in range(12)]  # traced at 10 per free axis: 10**12 values
    path = _save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [_vi("x", free)],
                 [_vi("y", free)])
    _refused(path, match="graph input 'x'")


def _constant_of_shape_graph(tmp_path, shape):
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["big"],
                              value=numpy_helper.from_array(np.ones(1, np.float32))),
             helper.make_node("Add", ["x", "big"], ["y"])]
    return _save(tmp_path, nodes, [_vi("x", ["n", 1 << 20])], [_vi("y", 2)],
                 [_int64("shape", shape)])


def test_constant_of_shape_bomb(tmp_path):
    _refused(_constant_of_shape_graph(tmp_path, [1 << 20, 1 << 20]), match="'big'")


def test_constant_bombs_are_caught_without_shape_inference(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "predicted_shapes", lambda onnx, proto: {})
    _refused(_constant_of_shape_graph(tmp_path, [1 << 20, 1 << 20]),
             match=r"node .*\(ConstantOfShape\)")
    nodes = [helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
             helper.make_node("Cast", ["r"], ["rf"], to=F),
             helper.make_node("Add", ["x", "rf"], ["y"])]
    path = _save(tmp_path, nodes, [_vi("x", ["n", 1])], [_vi("y", 2)],
                 [_int64("start", 0), _int64("limit", 10 ** 12), _int64("delta", 1)],
                 name="range.onnx")
    _refused(path, match=r"\(Range\)")
    nodes = [helper.make_node("Expand", ["x", "shape"], ["y"])]
    path = _save(tmp_path, nodes, [_vi("x", ["n", 1])], [_vi("y", 2)],
                 [_int64("shape", [1, 1 << 30])], name="expand.onnx")
    _refused(path, match=r"\(Expand\)")


def test_broadcast_that_multiplies_two_modest_inputs(tmp_path):
    path = _save(tmp_path, [helper.make_node("Add", ["a", "b"], ["y"])],
                 [_vi("a", [20000, 1]), _vi("b", [1, 20000])], [_vi("y", 2)])
    _refused(path, match=r"value 'y' .*\(20000, 20000\)")


def test_pads_that_blow_up_a_small_input(tmp_path):
    nodes = [helper.make_node("Pad", ["x", "pads"], ["y"], mode="constant")]
    path = _save(tmp_path, nodes, [_vi("x", ["n", 4])], [_vi("y", 2)],
                 [_int64("pads", [0, 10 ** 8, 0, 10 ** 8])])
    _refused(path, match="value 'y'")


def test_folded_constants_count_together(tmp_path):
    value = numpy_helper.from_array(np.ones(1, np.float32))
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["c1"], value=value),
             helper.make_node("ConstantOfShape", ["shape"], ["c2"], value=value),
             helper.make_node("Add", ["c1", "c2"], ["c"]),
             helper.make_node("Add", ["x", "c"], ["y"])]
    path = _save(tmp_path, nodes, [_vi("x", [1, 100000])], [_vi("y", 2)],
                 [_int64("shape", [100000])])
    # c1, c2 and c hold 400 kB each: any one fits the limit, not the three together
    _refused(path, match="folded constants reach", max_tensor_bytes=700_000)
    assert load_model(path, max_tensor_bytes=10 ** 7).output_shape == (1, 100000)


def test_lstm_hidden_size_must_match_the_weights(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), n)
             for n, s in (("W", (1, 16, 3)), ("R", (1, 16, 4)))]
    node = helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=10 ** 6)
    path = _save(tmp_path, [node], [_vi("x", [5, "n", 3])], [_vi("y", 4)], inits)
    _refused(path, match=r"value 'y' .*\(5, 1, None, 1000000\)")
    monkeypatch.setattr(api, "predicted_shapes", lambda onnx, proto: {})  # the weights' check
    _refused(path, error=OnnxImportError, match=r"W has shape \(1, 16, 3\), but "
             r"hidden_size=1000000")


def test_a_genuine_large_input_loads_with_a_raised_limit(tmp_path):
    path = _save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [_vi("x", ["n", 4096])],
                 [_vi("y", ["n", 4096])])
    _refused(path, match="graph input 'x'", max_tensor_bytes=4096)
    model = load_model(path)
    x = np.linspace(-1, 1, 2 * 4096, dtype=np.float32).reshape(2, 4096)
    np.testing.assert_array_equal(model(x).numpy(), np.maximum(x, 0))


def test_budget_limits_and_planned_shapes():
    assert ImportBudget(10).limit == 64 * 2 ** 20
    assert ImportBudget(10 ** 9).limit == 4 * 10 ** 9
    assert planned_shape("ConstantOfShape", [np.array([2, 3])]) == (2, 3)
    assert planned_shape("Range", [np.array(0), np.array(10), np.array(3)]) == (4,)
    assert planned_shape("Range", [np.array(0.0), np.array(np.inf), np.array(1.0)]) == (2 ** 62,)
    x = np.zeros((4, 1))
    assert planned_shape("Expand", [x, np.array([3, 1, 5])]) == (3, 4, 5)
    assert planned_shape("Tile", [x, np.array([2, 7])]) == (8, 7)
    assert planned_shape("Relu", [x]) is None


def test_shapes_computed_from_free_sizes_are_checked_too(tmp_path, monkeypatch):
    """``Expand(x, [Shape(x)[0], 2**30])``: a shape that holds a free size still plans its
    result (the free size at the tracing size) before anything runs."""
    monkeypatch.setattr(api, "predicted_shapes", lambda onnx, proto: {})
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Slice", ["s", "zero", "one"], ["batch"]),
             helper.make_node("Concat", ["batch", "wide"], ["target"], axis=0),
             helper.make_node("Expand", ["x", "target"], ["y"])]
    path = _save(tmp_path, nodes, [_vi("x", ["n", 1])], [_vi("y", 2)],
                 [_int64("zero", [0]), _int64("one", [1]), _int64("wide", [1 << 30])])
    _refused(path, match=r"\(Expand\) would hold \(10, 1073741824\)")
