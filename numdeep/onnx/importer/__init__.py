"""ONNX files to numdeep models: safe reading, operator importers, shape folding."""

from numdeep.onnx.importer.api import load_model, model_from_proto

__all__ = ["load_model", "model_from_proto"]
