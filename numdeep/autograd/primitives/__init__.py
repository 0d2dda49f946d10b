"""Differentiable primitives, one class per op, grouped by family.

Every class here implements ``forward`` and ``backward`` on raw arrays; everything else in numdeep
(``numdeep.ops``, activations, layers, losses) is composed from them. The families:

- ``elementwise``: arithmetic, exp/log, activations' building blocks, ``Erf``, fused ``Gelu``
- ``reduce``: sums, products, extrema, running sums/products, ``LogSumExp``, ``Softmax``,
  ``LogSoftmax``
- ``movement``: indexing, scatter, reshape, transpose, cast, broadcast, concatenate, stack, pad
- ``transcendental``: trigonometric and hyperbolic functions, ``expm1``, ``cbrt``, ``erfinv``
- ``linalg``: ``MatMul``, ``Einsum``
- ``decompositions``: inverse, log-determinant, solves, Cholesky, symmetric eigendecomposition
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
    decompositions,
    elementwise,
    linalg,
    movement,
    normalization,
    pool,
    recurrent,
    reduce,
    transcendental,
)
from numdeep.autograd.primitives.attention import MaskedSoftmax
from numdeep.autograd.primitives.conv import Conv, ConvTranspose
from numdeep.autograd.primitives.crossentropy import (
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
)
from numdeep.autograd.primitives.decompositions import (
    Cholesky,
    Eigh,
    Inv,
    Slogdet,
    Solve,
    SolveTriangular,
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
from numdeep.autograd.primitives.linalg import Einsum, MatMul
from numdeep.autograd.primitives.movement import (
    BroadcastTo,
    Cast,
    Concatenate,
    GetItem,
    Pad,
    Reshape,
    Scatter,
    Stack,
    TakeRows,
    Transpose,
)
from numdeep.autograd.primitives.normalization import BatchNorm, LayerNorm
from numdeep.autograd.primitives.pool import AvgPool, MaxPool
from numdeep.autograd.primitives.recurrent import GRUSequence, LSTMSequence, SimpleRNNSequence
from numdeep.autograd.primitives.reduce import (
    Cumprod,
    Cumsum,
    LogSoftmax,
    LogSumExp,
    Max,
    Min,
    Prod,
    Softmax,
    Sum,
)
from numdeep.autograd.primitives.transcendental import (
    Arccos,
    Arccosh,
    Arcsin,
    Arcsinh,
    Arctan,
    Arctan2,
    Arctanh,
    Cbrt,
    Cos,
    Cosh,
    Erfinv,
    Expm1,
    Sin,
    Sinh,
    Tan,
)

__all__ = [
    "attention", "conv", "crossentropy", "decompositions", "elementwise", "linalg", "movement",
    "normalization", "pool", "recurrent", "reduce", "transcendental",
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Log1p", "Sqrt", "Abs", "Tanh",
    "Sigmoid", "Relu", "Clip", "Maximum", "Minimum", "Where", "Erf", "Gelu",
    "Sin", "Cos", "Tan", "Arcsin", "Arccos", "Arctan", "Arctan2", "Sinh", "Cosh", "Arcsinh",
    "Arccosh", "Arctanh", "Expm1", "Cbrt", "Erfinv",
    "MatMul", "Einsum", "Inv", "Slogdet", "Solve", "SolveTriangular", "Cholesky", "Eigh",
    "GetItem", "Scatter", "Reshape", "Transpose", "Cast", "BroadcastTo", "Concatenate", "Stack",
    "Pad", "TakeRows",
    "Sum", "Prod", "Cumsum", "Cumprod", "Max", "Min", "LogSumExp", "Softmax", "LogSoftmax",
    "SparseCrossEntropyFromProbs", "SparseSoftmaxCrossEntropy", "SoftmaxCrossEntropy",
    "SigmoidBinaryCrossEntropy", "Conv", "ConvTranspose", "MaxPool", "AvgPool",
    "BatchNorm", "LayerNorm", "MaskedSoftmax", "SimpleRNNSequence", "LSTMSequence",
    "GRUSequence",
]
