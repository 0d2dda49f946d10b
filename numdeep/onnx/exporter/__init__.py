"""numdeep models to ONNX: ``export``/``to_onnx`` and the converter tables."""

from numdeep.onnx.exporter.api import export, to_onnx
from numdeep.onnx.exporter.context import DEFAULT_SIGNATURES, converts, converts_op

__all__ = ["DEFAULT_SIGNATURES", "converts", "converts_op", "export", "to_onnx"]
