"""ONNX for numdeep: export models for deployment, import ONNX graphs to run and fine-tune.

``export(model, path)`` (also ``model.export(path, format="onnx")``) writes a numdeep model as
an ONNX graph that onnxruntime, OpenCV's ``cv2.dnn`` or TensorRT can serve; ``load_model(path)``
turns an ONNX file into a numdeep functional model whose weights train like any other. The
``onnx`` package is an optional extra (``pip install 'numdeep[onnx]'``), imported on first use.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import numdeep as nd
    >>> import numdeep.onnx
    >>> model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(2, activation="softmax")])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> nd.onnx.export(model, path)
    >>> back = nd.onnx.load_model(path)
    >>> x = np.ones((3, 4), "float32")
    >>> bool(np.allclose(back(x).data, model(x).data, atol=1e-6))
    True
"""

from numdeep.onnx.errors import OnnxExportError, OnnxFormatError, OnnxImportError


def export(model, filepath, input_signature=None, opset_version=None, verbose=None):
    """Write ``model`` as an ONNX file; see ``numdeep.onnx.exporter.api.export``."""
    from numdeep.onnx.exporter.api import export as _export

    _export(model, filepath, input_signature=input_signature, opset_version=opset_version,
            verbose=verbose)


def to_onnx(model, input_signature=None, opset_version=None):
    """The ONNX ``ModelProto`` of ``model``; see ``numdeep.onnx.exporter.api.to_onnx``."""
    from numdeep.onnx.exporter.api import to_onnx as _to_onnx

    return _to_onnx(model, input_signature=input_signature, opset_version=opset_version)


def load_model(filepath, allow_external_data_dir=None, max_bytes=None, max_tensor_bytes=None):
    """An ONNX file as a numdeep functional model; see
    ``numdeep.onnx.importer.api.load_model``."""
    from numdeep.onnx.importer.api import load_model as _load_model

    return _load_model(filepath, allow_external_data_dir=allow_external_data_dir,
                       max_bytes=max_bytes, max_tensor_bytes=max_tensor_bytes)


def converts(*classes):
    """Register ``fn(ctx, layer, node)`` as the ONNX converter of layers of ``classes``; see
    ``numdeep.onnx.exporter.context`` for what a converter receives and returns."""
    from numdeep.onnx.exporter.context import converts as _converts

    return _converts(*classes)


__all__ = ["OnnxExportError", "OnnxFormatError", "OnnxImportError", "converts", "export",
           "load_model", "to_onnx"]
