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
from numdeep.ops.symbolic import KerasTensor, any_symbolic, symbolic_call

__all__ = [*_core.__all__, *_numpy.__all__, *_math.__all__, *_nn.__all__, *_convolution.__all__]


def _symbolic_aware(fn):
    """``fn`` that records a graph node when given symbolic tensors (``Input`` and what layers
    make of it), as Keras's ops do; concrete arguments go straight to ``fn``."""

    def op(*args, **kwargs):
        for a in args:
            if type(a) is KerasTensor or (type(a) in (list, tuple) and any_symbolic(a)):
                return symbolic_call(fn, args, kwargs)
        if kwargs and any_symbolic(kwargs):
            return symbolic_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    op.__name__, op.__qualname__, op.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    op.__module__, op.__wrapped__ = fn.__module__, fn
    return op


for _name in __all__:
    globals()[_name] = _symbolic_aware(globals()[_name])
