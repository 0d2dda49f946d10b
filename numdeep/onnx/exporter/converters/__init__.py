"""The converters, one module per family; importing this package registers them all."""

from numdeep.onnx.exporter.converters import (  # noqa: F401
    activations,
    attention,
    bert,
    conv,
    conv_recurrent,
    core,
    embedding,
    imported,
    normalization,
    ops,
    preprocessing,
    recurrent,
    reshaping,
)
