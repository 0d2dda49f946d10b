"""The scenarios of Keras's own ONNX export tests (``keras/src/export/onnx_test.py``, which the
Keras-suite harness leaves out with the rest of ``keras.src.export``) on numdeep: models built
by a first call, structured inputs of subclassed models, input names from an ``InputSpec``,
and free batch/height/width axes in onnxruntime."""

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from numdeep import layers, models, ops  # noqa: E402
from numdeep.onnx import export, to_onnx  # noqa: E402

RNG = np.random.default_rng(0)


def _layers():
    return [layers.Dense(10, activation="relu"), layers.BatchNormalization(),
            layers.Dense(1, activation="sigmoid")]


class CustomModel(models.Model):
    def __init__(self, layer_list):
        super().__init__()
        self.layer_list = layer_list

    def call(self, x):
        for layer in self.layer_list:
            x = layer(x)
        return x


def _session(model, tmp_path, **kwargs):
    path = str(tmp_path / "model.onnx")
    export(model, path, **kwargs)
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def _run(session, arrays):
    return session.run(None, {i.name: a for i, a in zip(session.get_inputs(), arrays)})[0]


@pytest.mark.parametrize("kind", ["sequential", "subclass"])
def test_model_built_by_a_first_call(kind, tmp_path):
    model = models.Sequential(_layers()) if kind == "sequential" else CustomModel(_layers())
    x = RNG.normal(size=(3, 10)).astype("float32")
    want = model(x).numpy()
    session = _session(model, tmp_path)
    np.testing.assert_allclose(_run(session, [x]), want, rtol=1e-6, atol=1e-6)
    assert _run(session, [np.concatenate([x, x])]).shape == (6, 1)


class TupleModel(models.Model):
    def call(self, inputs):
        x, y = inputs
        return ops.add(x, y)


class DictModel(models.Model):
    def call(self, inputs):
        return ops.add(inputs["x"], inputs["y"])


@pytest.mark.parametrize("struct", ["tuple", "list", "dict"])
def test_structured_inputs(struct, tmp_path):
    x = RNG.normal(size=(3, 10)).astype("float32")
    y = 2 * x
    if struct == "dict":
        model, inputs, flat = DictModel(), {"x": x, "y": y}, [x, y]
    else:
        model, flat = TupleModel(), [x, y]
        inputs = (x, y) if struct == "tuple" else [x, y]
    want = model(inputs).numpy()
    session = _session(model, tmp_path)
    if struct == "dict":
        assert [i.name for i in session.get_inputs()] == ["x", "y"]
    np.testing.assert_allclose(_run(session, flat), want, rtol=0, atol=1e-6)


def test_input_names_come_from_the_input_spec(tmp_path):
    model = models.Sequential(_layers())
    x = RNG.normal(size=(3, 10)).astype("float32")
    want = model(x).numpy()
    spec = [layers.InputSpec(name="custom_input", shape=(3, 10), dtype="float32")]
    session = _session(model, tmp_path, input_signature=spec)
    assert [i.name for i in session.get_inputs()] == ["custom_input"]
    np.testing.assert_allclose(_run(session, [x]), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("free", ["batch_only", "height_width"])
def test_free_axes_stay_free(free, tmp_path):
    shape = (32, 32, 3) if free == "batch_only" else (None, None, 3)
    x = layers.Input(shape=shape)
    y = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(
        layers.Conv2D(16, 3, padding="same", activation="relu")(x)))
    model = models.Model(x, y)
    session = _session(model, tmp_path)
    dims = session.get_inputs()[0].shape
    assert isinstance(dims[0], str)
    if free == "batch_only":
        assert dims[1:] == [32, 32, 3]
        sizes = [(1, 32, 32, 3), (4, 32, 32, 3)]
    else:
        assert all(isinstance(d, str) for d in dims[1:3]) and dims[3] == 3
        sizes = [(1, 28, 28, 3), (2, 64, 48, 3)]
    for size in sizes:
        data = RNG.normal(size=size).astype("float32")
        np.testing.assert_allclose(_run(session, [data]), model(data).numpy(), atol=1e-5)


def test_two_inputs_with_free_axes(tmp_path):
    text, image = layers.Input((None, 16), name="text_input"), layers.Input(
        (None, None, 3), name="image_input")
    pooled = [layers.GlobalAveragePooling1D()(layers.Dense(8, activation="relu")(text)),
              layers.GlobalAveragePooling2D()(layers.Conv2D(4, 1, activation="relu")(image))]
    model = models.Model([text, image], layers.Dense(2)(layers.Concatenate()(pooled)))
    proto = to_onnx(model)
    assert [i.name for i in proto.graph.input] == ["text_input", "image_input"]
    session = ort.InferenceSession(proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    for steps, side in ((5, 8), (9, 12)):
        a = RNG.normal(size=(2, steps, 16)).astype("float32")
        b = RNG.normal(size=(2, side, side + 3, 3)).astype("float32")
        np.testing.assert_allclose(_run(session, [a, b]), model([a, b]).numpy(), atol=1e-5)
