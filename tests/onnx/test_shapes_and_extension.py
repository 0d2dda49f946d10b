"""Shape folding with free sizes (``numdeep.onnx.importer.shapes`` and the run-time shape
functions), and converters registered by users for their own layers."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.onnx.importer import runtime
from numdeep.onnx.importer.shapes import Dim, is_partial, resolve, settle, to_spec


def test_onnx_reshape_rules():
    assert runtime.reshape_target((2, 3, 4), [0, -1]) == (2, 12)
    assert runtime.reshape_target((2, 3, 4), [4, 0, -1]) == (4, 3, 2)
    assert runtime.reshape_target((0, 3), [0, 3], allowzero=1) == (0, 3)


def test_free_sizes_fold_into_specs_resolved_at_run_time():
    x = nd.Input((6, 8))
    shape = np.array([Dim(x, 0), 6, 2, 4], dtype=object)
    merged = np.array([shape[0] * shape[2], shape[1], shape[3]], dtype=object)
    assert is_partial(merged) and not is_partial(settle(np.array([1, 2], dtype=object)))
    spec, refs = to_spec(merged)
    assert spec == (("mul", ("dim", 0, 0), 2), 6, 4) and refs == [x]
    assert resolve(spec, [np.zeros((5, 6, 8))]) == [10, 6, 4]


def test_runtime_reshape_records_shapes_without_dummy_runs():
    x = nd.Input((6, 8))
    heads = nd.Input((6, 2, 4))
    spec, refs = to_spec(np.array([Dim(heads, 0) * 2, 6, 4], dtype=object))
    y = nd.ops.operation.symbolic_call(runtime.onnx_reshape, (x, spec, *refs), {})
    assert y.shape == (None, 6, 4)
    z = nd.ops.operation.symbolic_call(runtime.onnx_reshape, (x, (0, -1)), {})
    assert z.shape == (None, 48)
    model = nd.Model([x, heads], y)
    out = model([np.ones((3, 6, 8), "float32"), np.ones((3, 6, 2, 4), "float32")])
    assert out.shape == (6, 6, 4)


def test_user_converter_for_an_untraceable_layer():
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from numdeep.onnx import converts, to_onnx
    from tests.onnx.common import run_onnxruntime

    class Cube(nd.layers.Layer):
        def call(self, x):
            return nd.Tensor(np.asarray(x.data) ** 3)  # plain NumPy: no graph to trace

    @converts(Cube)
    def _cube(ctx, layer, node):
        x = ctx.value(node.call_args[0])
        return [ctx.b.node("Pow", [x, ctx.b.scalar(3.0)], name=layer.name)]

    model = nd.Sequential([nd.Input((3,)), Cube()])
    x = np.array([[1.0, -2.0, 0.5]], "float32")
    got = run_onnxruntime(to_onnx(model).SerializeToString(), [x])[0]
    np.testing.assert_allclose(got, x ** 3, rtol=1e-6)
