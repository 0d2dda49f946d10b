"""The import table: one-operator ONNX graphs (random inputs and weights) load as numdeep
models whose outputs equal onnxruntime's within 1e-4 and export back to the same outputs; an
unsupported operator set is reported in one error before anything is built."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import numdeep as nd  # noqa: E402
from numdeep.onnx import OnnxImportError, load_model, to_onnx  # noqa: E402
from numdeep.onnx.importer import api  # noqa: E402
from numdeep.onnx.importer.layers import ConstantOperand  # noqa: E402
from tests.helpers import check_layer  # noqa: E402
from tests.onnx.common import as_list, assert_outputs_close, run_onnxruntime  # noqa: E402
from tests.onnx.op_cases import cases  # noqa: E402

CASES = cases(np.random.default_rng(0))


def single_op_model(name, rng):
    """The ONNX model of case ``name`` and a feed for it."""
    spec = CASES[name]
    op_type, inputs, attrs = spec[:3]
    n_out = spec[3] if len(spec) > 3 else 1
    opset = spec[4] if len(spec) > 4 else 18
    graph_inputs, initializers, names, feed = [], [], [], []
    for i, value in enumerate(inputs):
        name_i = f"in{i}"
        if isinstance(value, str):  # token ids
            graph_inputs.append(helper.make_tensor_value_info(name_i, TensorProto.INT64,
                                                              ["batch", 4]))
            feed.append(rng.integers(0, 10, (2, 4)))
        elif isinstance(value, tuple):
            graph_inputs.append(helper.make_tensor_value_info(name_i, TensorProto.FLOAT,
                                                              list(value)))
            feed.append(rng.standard_normal(value).astype("float32"))
        else:
            initializers.append(numpy_helper.from_array(value, name_i))
        names.append(name_i)
    outs = [f"out{i}" for i in range(n_out)]
    graph = helper.make_graph(
        [helper.make_node(op_type, names, outs, **attrs)], name.replace("-", "_"), graph_inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return onnx.shape_inference.infer_shapes(model), feed


@pytest.mark.parametrize("name", list(CASES))
def test_operator_imports_matches_onnxruntime_and_exports_back(name, tmp_path):
    proto, feed = single_op_model(name, np.random.default_rng(1))
    path = str(tmp_path / "op.onnx")
    onnx.save(proto, path)
    want = run_onnxruntime(path, feed)
    model = load_model(path)
    got = as_list(model(feed if len(feed) > 1 else feed[0]))
    assert_outputs_close(got, want, atol=1e-4)
    again = run_onnxruntime(to_onnx(model).SerializeToString(), feed)
    assert_outputs_close(again, want, atol=1e-4)


def test_imported_weights_are_trainable_variables(tmp_path):
    proto, _ = single_op_model("Conv-pads-groups", np.random.default_rng(0))
    onnx.save(proto, str(tmp_path / "conv.onnx"))
    model = load_model(str(tmp_path / "conv.onnx"))
    assert [tuple(w.shape) for w in model.trainable_weights] == [(3, 3, 2, 6), (6,)]


def test_unsupported_operators_are_listed_at_once_before_building(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("NonZero", ["a"], ["b"]),
             helper.make_node("TopK", ["x", "k"], ["c", "d"]),
             helper.make_node("NonZero", ["b"], ["e"]),
             helper.make_node("MyOp", ["x"], ["f"], domain="com.example")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("e", TensorProto.INT64, [2, None])],
        initializer=[numpy_helper.from_array(np.array([1], np.int64), "k")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.example", 1)])
    path = str(tmp_path / "bad.onnx")
    onnx.save(model, path)
    with pytest.raises(OnnxImportError) as info:
        load_model(path)
    message = str(info.value)
    assert "3 unsupported operator(s)" in message
    for op in ("NonZero (x2)", "TopK (x1)", "com.example::MyOp (x1)"):
        assert op in message
    assert "Nothing was built" in message


def test_constant_operand_layer_contract():
    weight = np.random.default_rng(0).standard_normal((3,)).astype("float32")
    check_layer(lambda: ConstantOperand("multiply", weight), (2, 4, 3), (2, 4, 3),
                expected_num_weights=1,
                save_roundtrip="imported-graph layer: not registered for .keras files")
    x = nd.Tensor(np.full((1, 3), 2.0, "float32"))
    np.testing.assert_allclose(ConstantOperand("multiply", weight)(x).data, 2 * weight[None])
    np.testing.assert_allclose(ConstantOperand("subtract", weight, weight_first=True)(x).data,
                               weight[None] - 2)
    with pytest.raises(ValueError, match="`op` must be one of"):
        ConstantOperand("power", weight)


def test_constant_identity_and_shape_chains_fold_with_a_free_batch(tmp_path):
    """``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` on a free batch, a ``Constant``
    node and ``Identity``: folded at import, right at every batch size."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(
            np.array(0, np.int64))),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Constant", [], ["rest"], value_ints=[4, 3]),
        helper.make_node("Concat", ["batch1", "rest"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["r"]),
        helper.make_node("Identity", ["r"], ["i"]),
        helper.make_node("Constant", [], ["scale"], value_float=0.5),
        helper.make_node("Mul", ["i", "scale"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "shape_chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                            ["batch", 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 3])],
        initializer=[numpy_helper.from_array(np.array([0], np.int64), "axes")])
    path = str(tmp_path / "chain.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)
    model = load_model(path)
    assert model.output_shape == (None, 4, 3)
    for batch in (1, 5):
        x = np.arange(batch * 12, dtype=np.float32).reshape(batch, 12)
        got = model(x).numpy()
        np.testing.assert_array_equal(got, x.reshape(batch, 4, 3) * 0.5)
        assert_outputs_close([got], run_onnxruntime(path, [x]), atol=0)


def test_constant_sliced_to_a_run_time_length(tmp_path):
    """``Slice(table, 0, Shape(x)[1])``: a position table cut to the sequence length (as
    exported BERT models do) slices when the model runs, and exports back the same way."""
    table = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Slice", ["shape", "one", "two"], ["steps"]),
        helper.make_node("Slice", ["table", "zero", "steps", "zero"], ["positions"]),
        helper.make_node("Add", ["x", "positions"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "positions", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                          ["batch", "steps", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "steps", 3])],
        initializer=[numpy_helper.from_array(table, "table")] + [
            numpy_helper.from_array(np.array([v], np.int64), n)
            for n, v in (("zero", 0), ("one", 1), ("two", 2))])
    path = str(tmp_path / "positions.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)
    model = load_model(path)
    assert model.output_shape == (None, None, 3)
    blob = to_onnx(model).SerializeToString()
    for steps in (4, 7):
        x = np.random.default_rng(steps).standard_normal((2, steps, 3)).astype(np.float32)
        got = model(x).numpy()
        np.testing.assert_allclose(got, x + table[:steps], rtol=0, atol=1e-6)
        assert_outputs_close([got], run_onnxruntime(path, [x]), atol=1e-6)
        assert_outputs_close(run_onnxruntime(blob, [x]), [got], atol=1e-6)


def test_exported_bert_encoder_imports_back():
    from numdeep.pretrained import BertConfig, BertModel

    nd.utils.set_random_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=32, max_position_embeddings=24)
    bert = BertModel(config)
    proto = to_onnx(bert)
    model = api.model_from_proto(proto)
    ids = np.random.default_rng(0).integers(1, 40, (3, 9))
    mask = np.ones_like(ids)
    mask[0, 5:] = 0
    types = np.zeros_like(ids)
    got = model([mask, ids, types])  # the graph's inputs, sorted by name
    want = bert([ids, mask, types])
    assert_outputs_close(got, [want["last_hidden_state"], want["pooler_output"]], atol=1e-5)
