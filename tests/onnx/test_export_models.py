"""Whole models to ONNX: Sequential, functional (nested ones inlined), subclassed (traced),
the pretrained BERT encoder, names and free axes, opsets, ``Model.export``, the errors that name
what cannot be exported, and the tutorial CNN served by OpenCV's ``cv2.dnn``."""

import os
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import numdeep as nd  # noqa: E402
from numdeep.onnx import OnnxExportError, to_onnx  # noqa: E402
from tests.onnx.common import assert_outputs_close, run_onnxruntime  # noqa: E402

L = nd.layers
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


class Block(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(4, activation="gelu")
        self.norm = L.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.dense(x))


class Subclassed(nd.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [Block(), Block()]
        self.head = L.Dense(2)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x)
        return self.head(nd.ops.mean(x, axis=1))


def _rng_input(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_subclassed_model_is_traced_and_leaves_no_nodes_behind():
    model = Subclassed()
    x = _rng_input(3, 5, 4)
    model(x)
    proto = to_onnx(model)
    assert [i.name for i in proto.graph.input] == ["inputs"]
    assert_outputs_close(run_onnxruntime(proto.SerializeToString(), [x]), model(x), 1e-5)
    assert all(not layer._inbound_nodes for layer in model._flatten_layers())


def test_nested_models_are_inlined_with_the_outer_names():
    inner = nd.Sequential([nd.Input((4,)), L.Dense(3, activation="relu")])
    x = nd.Input((4,), name="features")
    model = nd.Model(x, L.Dense(2, name="logits")(inner(x)))
    proto = to_onnx(model)
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    data = _rng_input(5, 4)
    assert_outputs_close(run_onnxruntime(proto.SerializeToString(), [data]), model(data), 1e-5)


def test_lambda_layer_error_names_the_layer():
    model = nd.Sequential([nd.Input((4,)), L.Dense(2), L.Lambda(lambda t: t * 2, name="double")])
    with pytest.raises(OnnxExportError, match=r"Lambda 'double'.*Python code"):
        to_onnx(model)


def test_activation_computing_in_numpy_error_names_it():
    model = nd.Sequential([nd.Input((4,)), L.Dense(2, activation=lambda t: np.tanh(t),
                                                   name="head")])
    with pytest.raises(OnnxExportError, match=r"Dense 'head'.*activation '<lambda>' is not one "
                                              r"of numdeep's"):
        to_onnx(model)


def test_layer_computing_in_numpy_error_names_it():
    class NumpyLayer(L.Layer):
        def call(self, x):
            return np.tanh(np.asarray(x))

    model = nd.Sequential([nd.Input((3,)), NumpyLayer(name="raw_numpy")])
    with pytest.raises(OnnxExportError, match="NumpyLayer 'raw_numpy'.*could not run"):
        to_onnx(model)


def test_preprocessing_layers_that_cannot_be_exported_say_why():
    model = nd.Sequential([nd.Input((8, 8, 3)), L.Resizing(4, 4, antialias=True)])
    with pytest.raises(OnnxExportError, match=r"Resizing 'resizing.*antialias=True"):
        to_onnx(model)
    model = nd.Sequential([nd.Input((8, 8, 3)), L.Resizing(4, 4)])
    with pytest.raises(OnnxExportError, match="opset_version >= 18"):
        to_onnx(model, opset_version=17)
    model = nd.Sequential([nd.Input((None, None, 3)), L.CenterCrop(4, 4)])
    with pytest.raises(OnnxExportError, match=r"CenterCrop .*known size at least \(4, 4\)"):
        to_onnx(model)
    model = nd.Sequential([nd.Input((2, 3), dtype="int32"), L.CategoryEncoding(4)])
    with pytest.raises(OnnxExportError, match=r"'multi_hot' encoding .*\(None, 2, 3\)"):
        to_onnx(model)


def test_stateful_rnn_is_refused_clearly():
    model = nd.Sequential([nd.Input((3, 2), batch_size=2), L.LSTM(3, stateful=True)])
    with pytest.raises(OnnxExportError, match="stateful"):
        to_onnx(model)


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_opsets(opset):
    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.Input((6, 6, 2)), L.Conv2D(3, 3, activation="mish"),
                           L.LayerNormalization(), L.Flatten(), L.Dense(2, activation="gelu")])
    proto = to_onnx(model, opset_version=opset)
    assert proto.opset_import[0].version == opset
    x = _rng_input(2, 6, 6, 2)
    assert_outputs_close(run_onnxruntime(proto.SerializeToString(), [x]), model(x), 1e-5)


def test_bad_opset_is_refused():
    model = nd.Sequential([nd.Input((2,)), L.Dense(1)])
    with pytest.raises(ValueError, match="opset_version"):
        to_onnx(model, opset_version=7)


def test_free_sequence_axis_runs_at_any_length():
    nd.utils.set_random_seed(0)
    x = nd.Input((None, 3), name="tokens")
    model = nd.Model(x, L.GRU(4, return_sequences=True)(L.Dense(3)(x)))
    blob = to_onnx(model).SerializeToString()
    for steps in (2, 9):
        data = _rng_input(3, steps, 3, seed=steps)
        assert_outputs_close(run_onnxruntime(blob, [data]), model(data), 1e-5)


def test_model_export_writes_a_file_and_checks_the_format(tmp_path):
    model = nd.Sequential([nd.Input((4,)), L.Dense(3, activation="softmax")])
    path = str(tmp_path / "sub" / "model.onnx")
    model.export(path, format="onnx")
    x = _rng_input(2, 4)
    assert_outputs_close(run_onnxruntime(path, [x]), model(x), 1e-5)
    with pytest.raises(ValueError, match="Unrecognized format=bad"):
        model.export(path, format="bad")
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(path, format="tf_saved_model")


def test_input_signature_for_an_unbuilt_subclassed_model():
    model = Subclassed()
    with pytest.raises(OnnxExportError, match="input_signature"):
        to_onnx(model)
    proto = to_onnx(model, input_signature=[nd.InputSpec(shape=(None, 5, 4), name="x")])
    x = _rng_input(2, 5, 4)
    assert_outputs_close(run_onnxruntime(proto.SerializeToString(), [x]), model(x), 1e-5)


def _tiny_bert_config():
    from numdeep.pretrained import BertConfig

    return BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                      num_attention_heads=4, intermediate_size=32, max_position_embeddings=24)


@pytest.mark.parametrize("act", ["gelu", "gelu_new", "relu"])
def test_bert_hidden_activations_export(act):
    from numdeep.pretrained import BertConfig, BertModel

    nd.utils.set_random_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=4, intermediate_size=32,
                        max_position_embeddings=24, hidden_act=act)
    bert = BertModel(config, add_pooling_layer=False)
    ids = np.random.default_rng(0).integers(1, 40, (2, 6))
    mask = np.ones_like(ids)
    got = run_onnxruntime(to_onnx(bert).SerializeToString(), [mask, ids, np.zeros_like(ids)])
    assert_outputs_close(got, [bert([ids, mask])["last_hidden_state"]], 1e-5)


def test_bert_encoder_exports_with_free_batch_and_steps():
    from numdeep.pretrained import BertModel

    nd.utils.set_random_seed(0)
    bert = BertModel(_tiny_bert_config())
    blob = to_onnx(bert).SerializeToString()
    for batch, steps in ((2, 5), (3, 9)):
        rng = np.random.default_rng(steps)
        ids = rng.integers(1, 40, (batch, steps))
        mask = np.ones_like(ids)
        mask[0, steps // 2:] = 0
        types = rng.integers(0, 2, (batch, steps))
        got = run_onnxruntime(blob, [mask, ids, types])  # the graph's inputs, sorted by name
        want = bert([ids, mask, types])
        assert_outputs_close(got, [want["last_hidden_state"], want["pooler_output"]], 1e-5)
    names = [o.name for o in onnx.load_from_string(blob).graph.output]
    assert names == ["last_hidden_state", "pooler_output"]


def test_bert_classifier_exports():
    from numdeep.pretrained import BertForSequenceClassification

    model = BertForSequenceClassification(_tiny_bert_config(), num_labels=3)
    ids = np.array([[2, 7, 9, 4], [5, 6, 0, 0]])
    mask = (ids > 0).astype("int64")
    got = run_onnxruntime(to_onnx(model).SerializeToString(), [mask, ids, np.zeros_like(ids)])
    assert_outputs_close(got, [model([ids, mask]).logits], 1e-5)


def test_tutorial_cnn_serves_in_opencv_dnn_with_the_same_predictions(tmp_path):
    cv2 = pytest.importorskip("cv2")
    sys.path.insert(0, EXAMPLES)
    try:
        from cnn_mnist import build_model
    finally:
        sys.path.remove(EXAMPLES)
    nd.utils.set_random_seed(0)
    model = build_model()
    path = str(tmp_path / "cnn.onnx")
    model.export(path)
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    got = net.forward()
    want = model(x).data
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops.count("Transpose") == 2  # into channels-first once, back once before Flatten
