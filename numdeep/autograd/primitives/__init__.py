"""Differentiable primitives, one class per op, grouped by family.

Every class here implements ``forward`` and ``backward`` on raw arrays; everything else in numdeep
(``numdeep.ops``, activations, layers, losses) is composed from them. The families:

- ``elementwise``: arithmetic, exp/log, activations' building blocks, ``Erf``, fused ``Gelu``
- ``reduce``: sums, extrema, ``LogSumExp``, ``Softmax``, ``LogSoftmax``
- ``movement``: indexing, reshape, transpose, cast, broadcast, concatenate, stack, pad
- ``linalg``: ``MatMul``
- ``crossentropy``: the fused softmax/sigmoid cross-entropies losses are built on
- ``conv``, ``pool``: im2col convolution (and transposed), max/average pooling
- ``normalization``: fused ``BatchNorm`` and ``LayerNorm``
- ``recurrent``: whole-sequence ``SimpleRNNSequence``, ``LSTMSequence``, ``GRUSequence``
- ``attention``: ``MaskedSoftmax``
"""

from numdeep.autograd.primitives import (
    attention,
    conv,
    crossentropy,
    elementwise,
    linalg,
    movement,
    normalization,
    pool,
    recurrent,
    reduce,
)
from numdeep.autograd.primitives.attention import MaskedSoftmax
from numdeep.autograd.primitives.conv import Conv, ConvTranspose
from numdeep.autograd.primitives.crossentropy import (
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
)
from numdeep.autograd.primitives.elementwise import (
    Abs,
    Add,
    Clip,
    Div,
    Erf,
    Exp,
    Gelu,
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
from numdeep.autograd.primitives.linalg import MatMul
from numdeep.autograd.primitives.movement import (
    BroadcastTo,
    Cast,
    Concatenate,
    GetItem,
    Pad,
    Reshape,
    Stack,
    Transpose,
)
from numdeep.autograd.primitives.normalization import BatchNorm, LayerNorm
from numdeep.autograd.primitives.pool import AvgPool, MaxPool
from numdeep.autograd.primitives.recurrent import GRUSequence, LSTMSequence, SimpleRNNSequence
from numdeep.autograd.primitives.reduce import LogSoftmax, LogSumExp, Max, Min, Softmax, Sum

__all__ = [
    "attention", "conv", "crossentropy", "elementwise", "linalg", "movement", "normalization",
    "pool", "recurrent", "reduce",
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Log1p", "Sqrt", "Abs", "Tanh",
    "Sigmoid", "Relu", "Clip", "Maximum", "Minimum", "Where", "Erf", "Gelu",
    "MatMul",
    "GetItem", "Reshape", "Transpose", "Cast", "BroadcastTo", "Concatenate", "Stack", "Pad",
    "Sum", "Max", "Min", "LogSumExp", "Softmax", "LogSoftmax",
    "SparseCrossEntropyFromProbs", "SparseSoftmaxCrossEntropy", "SoftmaxCrossEntropy",
    "SigmoidBinaryCrossEntropy", "Conv", "ConvTranspose", "MaxPool", "AvgPool",
    "BatchNorm", "LayerNorm", "MaskedSoftmax", "SimpleRNNSequence", "LSTMSequence",
    "GRUSequence",
]
