"""Helpers of the ONNX tests: run a model in onnxruntime and compare with numdeep."""

import numpy as np

import numdeep as nd


def as_list(outputs):
    if isinstance(outputs, dict):
        return [outputs[k] for k in sorted(outputs)]
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def numpy_of(value):
    return np.asarray(value.data if isinstance(value, nd.Tensor) else value)


def run_onnxruntime(model_bytes_or_path, inputs):
    """onnxruntime's outputs for ``inputs`` (a list, fed in the graph's input order)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_bytes_or_path, options,
                                   providers=["CPUExecutionProvider"])
    feed = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


def assert_outputs_close(got, want, atol):
    got, want = as_list(got), as_list(want)
    assert len(got) == len(want), (len(got), len(want))
    for g, w in zip(got, want):
        g, w = numpy_of(g), numpy_of(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=0, atol=atol)
