"""Differentiable primitives, one class per op, grouped by family.

Every class here implements ``forward`` and ``backward`` on raw arrays; everything else in numdeep
(``numdeep.ops``, activations, layers, losses) is composed from them.
"""

from numdeep.autograd.ops import elementwise, linalg, movement, nn, reduce
from numdeep.autograd.ops.conv import Conv, ConvTranspose
from numdeep.autograd.ops.elementwise import (
    Abs,
    Add,
    Clip,
    Div,
    Erf,
    Exp,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from numdeep.autograd.ops.gelu import Gelu
from numdeep.autograd.ops.linalg import MatMul
from numdeep.autograd.ops.movement import (
    BroadcastTo,
    Cast,
    Concatenate,
    GetItem,
    Pad,
    Reshape,
    Stack,
    Transpose,
)
from numdeep.autograd.ops.nn import (
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
)
from numdeep.autograd.ops.normalization import BatchNorm
from numdeep.autograd.ops.pool import AvgPool, MaxPool
from numdeep.autograd.ops.reduce import LogSoftmax, LogSumExp, Max, Min, Softmax, Sum

__all__ = [
    "elementwise", "linalg", "movement", "nn", "reduce",
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Log1p", "Sqrt", "Abs", "Tanh",
    "Sigmoid", "Relu", "Clip", "Maximum", "Minimum", "Where", "Erf",
    "MatMul",
    "GetItem", "Reshape", "Transpose", "Cast", "BroadcastTo", "Concatenate", "Stack", "Pad",
    "Sum", "Max", "Min", "LogSumExp", "Softmax", "LogSoftmax",
    "SparseCrossEntropyFromProbs", "SparseSoftmaxCrossEntropy", "SoftmaxCrossEntropy",
    "SigmoidBinaryCrossEntropy", "Gelu", "Conv", "ConvTranspose", "MaxPool", "AvgPool",
    "BatchNorm",
]
