"""The converters, one module per family; importing this package registers them all."""

from numdeep.onnx.exporter.converters import (  # noqa: F401
    activations,
    attention,
    bert,
    conv,
    core,
    embedding,
    imported,
    normalization,
    ops,
    recurrent,
    reshaping,
)
