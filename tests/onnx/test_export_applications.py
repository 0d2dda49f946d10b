"""The applications (``numdeep.applications``, random weights, the smallest member of each
family at a small input size) export to ONNX and onnxruntime computes numdeep's logits.

Random weights drive some families' logits to tiny or large magnitudes, so the gap is measured
relative to the largest logit: float32 rounding, not an absolute 1e-5, is what must agree."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import numdeep as nd  # noqa: E402
from numdeep.onnx import to_onnx  # noqa: E402
from tests.onnx.common import run_onnxruntime  # noqa: E402

# name: input size (Xception needs 71 pixels; the others run at 32)
FAMILIES = {"ResNet50": 32, "ResNet50V2": 32, "VGG16": 32, "MobileNet": 32, "MobileNetV2": 32,
            "MobileNetV3Small": 32, "EfficientNetB0": 32, "DenseNet121": 32, "Xception": 71,
            "ConvNeXtTiny": 32}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_application_exports_and_matches_onnxruntime(name):
    size = FAMILIES[name]
    nd.utils.set_random_seed(0)
    model = getattr(nd.applications, name)(weights=None, input_shape=(size, size, 3),
                                           classes=10, classifier_activation=None)
    proto = to_onnx(model)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    x = np.random.default_rng(0).random((3, size, size, 3)).astype("float32") * 255
    got = run_onnxruntime(proto.SerializeToString(), [x])[0]
    want = model(x).numpy()
    assert got.shape == want.shape == (3, 10)
    scale = float(np.abs(want).max())
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * scale)


def test_headless_application_with_pooling_exports():
    nd.utils.set_random_seed(0)
    model = nd.applications.MobileNetV3Small(weights=None, include_top=False,
                                             input_shape=(32, 32, 3), pooling="avg")
    x = np.random.default_rng(1).random((2, 32, 32, 3)).astype("float32") * 255
    got = run_onnxruntime(to_onnx(model).SerializeToString(), [x])[0]
    want = model(x).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1.0, np.abs(want).max()))
