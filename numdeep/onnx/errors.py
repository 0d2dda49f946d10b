"""The errors ``numdeep.onnx`` raises: one class per kind of failure, all ``ValueError``s."""


class OnnxExportError(ValueError):
    """A model (or one of its layers or ops) cannot be written as ONNX; the message names it."""


class OnnxImportError(ValueError):
    """An ONNX graph cannot become a numdeep model (unsupported operators, bad attributes)."""


class OnnxFormatError(ValueError):
    """An ONNX file is damaged or unsafe to read (truncated, inconsistent tensor sizes, external
    data outside the allowed directory)."""
