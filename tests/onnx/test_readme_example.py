"""The README's export-and-serve example runs as printed: the two lines of its ONNX section,
on the tutorial CNN, give onnxruntime probabilities equal to numdeep's."""

import os
import re
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

import numdeep as nd  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def _onnx_section_code():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("## Export to ONNX", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, blocks
    return blocks[0]


def test_readme_export_and_serve_lines_run(tmp_path, monkeypatch):
    code = _onnx_section_code()
    assert len(code.strip().splitlines()) == 2
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        from cnn_mnist import build_model
    finally:
        sys.path.pop(0)
    nd.utils.set_random_seed(0)
    model = build_model()
    x_test = np.random.default_rng(0).random((16, 28, 28, 1)).astype("float32")
    monkeypatch.chdir(tmp_path)
    scope = {"model": model, "x_test": x_test, "onnxruntime": onnxruntime}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own lines
    assert os.path.isfile(tmp_path / "cnn.onnx")
    want = model(x_test).numpy()
    np.testing.assert_allclose(scope["probs"], want, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(scope["probs"].argmax(axis=1), want.argmax(axis=1))
