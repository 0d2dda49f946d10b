"""Models built in PyTorch (random weights, ``torch.onnx.export``) import into numdeep: outputs
equal onnxruntime's within 1e-4, one epoch of training lowers the loss, and the trained model
exports back to ONNX with the outputs numdeep computes."""

import warnings

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

import numdeep as nd  # noqa: E402
from numdeep.onnx import load_model, to_onnx  # noqa: E402
from tests.onnx.common import assert_outputs_close, run_onnxruntime  # noqa: E402
from tests.onnx.torch_models import MODELS, export  # noqa: E402

NAMES = list(MODELS)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("torch_onnx")
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notes
        for name in NAMES:
            paths[name] = str(folder / f"{name}.onnx")
            export(name, paths[name])
    return paths


def _batch(name, n, seed):
    """Inputs of ``n`` samples (another batch size than the export's) and random labels."""
    _, example, axes, classes, per_step = MODELS[name]
    shape = list(example(torch.Generator().manual_seed(0)).shape)
    shape[0] = n
    if 1 in axes:
        shape[1] += 2  # a free sequence axis: another length too
    rng = np.random.default_rng(seed)
    if name == "tagger":
        x = rng.integers(0, 20, shape).astype("int64")
    else:
        x = rng.standard_normal(shape).astype("float32")
    y = rng.integers(0, classes, (n, shape[1]) if per_step else (n,))
    return x, y


@pytest.mark.parametrize("name", NAMES)
def test_import_matches_onnxruntime(name, exported):
    model = load_model(exported[name])
    x, _ = _batch(name, 5, seed=1)
    assert_outputs_close(model(x), run_onnxruntime(exported[name], [x]), atol=1e-4)
    assert model.trainable_weights


@pytest.mark.parametrize("name", NAMES)
def test_imported_model_trains_and_exports_back(name, exported):
    nd.utils.set_random_seed(0)
    model = load_model(exported[name])
    x, y = _batch(name, 32, seed=2)
    model.compile(optimizer=nd.optimizers.Adam(learning_rate=3e-3),
                  loss=nd.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.evaluate(x, y, batch_size=32, verbose=0)
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    after = model.evaluate(x, y, batch_size=32, verbose=0)
    assert after < before, (before, after)
    x_test, _ = _batch(name, 3, seed=3)
    again = run_onnxruntime(to_onnx(model).SerializeToString(), [x_test])
    assert_outputs_close(again, model(x_test), atol=1e-4)
