"""``numdeep.ops``: the functional API (Keras's ``keras.ops`` names), differentiable on Tensors.

Split by family as ``keras.ops`` is: ``numpy`` (arithmetic, reductions, linear algebra, shape),
``math`` (special functions), ``nn`` (activations, softmax, cross-entropies, normalization),
``convolution`` (convolution and pooling) and ``image`` (``ops.image.resize``); ``core``
converts user data to Tensors. Each function wraps one primitive of
``numdeep.autograd.primitives`` or composes them, so none has its own backward. Inputs may be
Tensors, arrays, lists or Python scalars; Python scalars stay weakly typed, so
``multiply(x32, 2.0)`` stays float32.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    >>> y = nd.ops.sum(nd.ops.relu(x) * 2.0)
    >>> y.backward()
    >>> x.grad
    array([[2., 0., 2.]], dtype=float32)
"""

from numdeep.ops import convolution as _convolution
from numdeep.ops import core as _core
from numdeep.ops import image as image
from numdeep.ops import math as _math
from numdeep.ops import nn as _nn
from numdeep.ops import numpy as _numpy
from numdeep.ops.convolution import *  # noqa: F403
from numdeep.ops.core import *  # noqa: F403
from numdeep.ops.math import *  # noqa: F403
from numdeep.ops.nn import *  # noqa: F403
from numdeep.ops.numpy import *  # noqa: F403

__all__ = [*_core.__all__, *_numpy.__all__, *_math.__all__, *_nn.__all__, *_convolution.__all__]
