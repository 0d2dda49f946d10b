"""The one layer the ONNX import adds: an elementwise op between a tensor and a weight the graph
stored as a constant (a bias added after ``MatMul``, a learned scale), so that weight trains
with the rest of the model."""

import numpy as np

from numdeep.autograd import data_of
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops

_FNS = {"add": ops.add, "subtract": ops.subtract, "multiply": ops.multiply,
        "divide": ops.divide, "matmul": ops.matmul}


class ConstantOperand(Layer):
    """``op(inputs, weight)`` (or ``op(weight, inputs)`` with ``weight_first``) with a trainable
    ``weight`` initialized from ``value``.

    Args:
        op: ``'add'``, ``'subtract'``, ``'multiply'``, ``'divide'`` or ``'matmul'``.
        value: the weight's initial value (an array).
        weight_first: the weight is the left operand.

    Example:
        >>> import numpy as np
        >>> from numdeep.onnx.importer.layers import ConstantOperand
        >>> layer = ConstantOperand("add", np.array([1.0, 2.0], "float32"))
        >>> layer(np.zeros((1, 2), "float32")).data, len(layer.trainable_weights)
        (array([[1., 2.]], dtype=float32), 1)
    """

    def __init__(self, op, value, weight_first=False, **kwargs):
        super().__init__(**kwargs)
        if op not in _FNS:
            raise ValueError(f"ConstantOperand: `op` must be one of {sorted(_FNS)}; received "
                             f"{op!r}.")
        self.op, self.weight_first = op, bool(weight_first)
        self.initial = np.asarray(data_of(value))
        self.weight = self.add_weight(self.initial.shape, "zeros", name="weight",
                                      dtype=self.initial.dtype.name)
        self.weight.assign(self.initial)
        self.built = True

    def call(self, inputs):
        args = (self.weight, inputs) if self.weight_first else (inputs, self.weight)
        return _FNS[self.op](*args)

    def get_config(self):
        config = super().get_config()
        config.update(op=self.op, value=self.initial.tolist(), weight_first=self.weight_first)
        return config

