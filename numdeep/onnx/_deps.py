"""The optional ``onnx`` package, imported on first use so that numdeep runs without it."""


def require_onnx():
    """The ``onnx`` module, or an ImportError that names the extra to install."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError("numdeep.onnx needs the `onnx` package, which numdeep ships as an "
                          "optional extra: pip install 'numdeep[onnx]' (or pip install onnx)."
                          ) from err
    return onnx
