"""NumPy-named array functions: arithmetic, reductions, linear algebra, shape and movement.

Each function is a thin wrapper over one primitive of ``numdeep.autograd.primitives`` or a
composition of them, so none defines its own backward.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> nd.ops.sum(nd.ops.matmul(x, x)).backward()
    >>> x.grad
    array([[ 7., 11.],
           [ 9., 13.]], dtype=float32)
"""

from numdeep.autograd.primitives import (
    Abs,
    Add,
    BroadcastTo,
    Clip,
    Concatenate,
    Div,
    Exp,
    GetItem,
    Log,
    Log1p,
    MatMul,
    Max,
    Maximum,
    Min,
    Minimum,
    Mul,
    Neg,
    Pad,
    Pow,
    Reshape,
    Sqrt,
    Stack,
    Sub,
    Sum,
    Transpose,
    Where,
)
from numdeep.autograd.tensor import Tensor
from numdeep.ops.core import _binary, _data, _operand, _t

__all__ = [
    "add", "subtract", "multiply", "divide", "negative", "power", "square", "exp", "log",
    "log1p", "sqrt", "abs", "maximum", "minimum", "where", "clip", "sum", "mean", "var", "std",
    "max", "min", "argmax", "argmin", "matmul", "dot", "reshape", "transpose", "broadcast_to",
    "expand_dims", "squeeze", "concatenate", "stack", "pad", "getitem", "take",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not",
]


def add(a, b):
    """``a + b`` with broadcasting."""
    return _binary(Add, a, b)


def subtract(a, b):
    """``a - b`` with broadcasting."""
    return _binary(Sub, a, b)


def multiply(a, b):
    """``a * b`` with broadcasting."""
    return _binary(Mul, a, b)


def divide(a, b):
    """``a / b`` with broadcasting (true division)."""
    return _binary(Div, a, b)


def negative(x):
    """``-x``."""
    return Neg.apply(_t(x))


def power(x, p):
    """``x ** p``; the exponent may be a Tensor too (then it gets a gradient)."""
    return _binary(Pow, x, p)


def square(x):
    """``x * x``."""
    x = _t(x)
    return Mul.apply(x, x)


def exp(x):
    """Elementwise ``e ** x``."""
    return Exp.apply(_t(x))


def log(x):
    """Natural logarithm (``log(0) = -inf``)."""
    return Log.apply(_t(x))


def log1p(x):
    """``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(_t(x))


def sqrt(x):
    """Elementwise square root."""
    return Sqrt.apply(_t(x))


def abs(x):
    """Elementwise absolute value (gradient 0 at 0)."""
    return Abs.apply(_t(x))


def maximum(a, b):
    """Elementwise maximum; at ties the gradient is split equally between ``a`` and ``b``."""
    return _binary(Maximum, a, b)


def minimum(a, b):
    """Elementwise minimum; at ties the gradient is split equally between ``a`` and ``b``."""
    return _binary(Minimum, a, b)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``; the condition gets no gradient.

    Example:
        >>> import numdeep as nd
        >>> x = nd.Tensor([-1.0, 2.0], requires_grad=True)
        >>> nd.ops.where(x.data > 0, x, 0.0).sum().backward()
        >>> x.grad
        array([0., 1.], dtype=float32)
    """
    cond = _data(condition)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return Where.apply(cond, _operand(a), _operand(b))


def clip(x, a_min=None, a_max=None):
    """Clamp ``x`` to ``[a_min, a_max]``; the gradient passes inside and at the bounds."""
    return Clip.apply(_t(x), lo=a_min, hi=a_max)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (an int, a tuple, or None for all).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.sum(nd.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        Tensor(array([4., 6.], dtype=float32))
    """
    return Sum.apply(_t(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return _t(x).mean(axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``) over ``axis``."""
    return _t(x).var(axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis`` (its gradient is NaN where it is 0)."""
    return _t(x).std(axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    return Max.apply(_t(x), axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``; tied minima share the gradient equally."""
    return Min.apply(_t(x), axis=axis, keepdims=keepdims)


def argmax(x, axis=None):
    """Indices of the maxima along ``axis`` as a plain array (not differentiable)."""
    return _data(x).argmax(axis=axis)


def argmin(x, axis=None):
    """Indices of the minima along ``axis`` as a plain array (not differentiable)."""
    return _data(x).argmin(axis=axis)


def matmul(a, b):
    """Matrix product with NumPy's rules (1-D operands, broadcast batch dimensions).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.matmul(nd.Tensor([[1.0, 2.0]]), nd.Tensor([[3.0], [4.0]]))
        Tensor(array([[11.]], dtype=float32))
    """
    return _binary(MatMul, a, b)


def dot(a, b):
    """``numpy.dot``: a product for scalars, ``matmul`` up to 2-D, else a sum over the last
    axis of ``a`` and the second-to-last of ``b``."""
    a, b = _t(a), _t(b)
    if a.ndim == 0 or b.ndim == 0:
        return Mul.apply(a, b)
    if b.ndim <= 2:
        return MatMul.apply(a, b)
    # N-D b: move its contracted axis first and fold the rest into one matmul.
    k, n = b.shape[-2], b.shape[-1]
    axes = (b.ndim - 2,) + tuple(range(b.ndim - 2)) + (b.ndim - 1,)
    b2 = Reshape.apply(Transpose.apply(b, axes=axes), shape=(k, -1))
    out = MatMul.apply(Reshape.apply(a, shape=(-1, k)), b2)
    return Reshape.apply(out, shape=a.shape[:-1] + b.shape[:-2] + (n,))


def reshape(x, shape):
    """Give ``x`` a new shape with the same number of elements (one entry may be -1)."""
    return Reshape.apply(_t(x), shape=tuple(shape) if isinstance(shape, list) else shape)


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    return Transpose.apply(_t(x), axes=None if axes is None else tuple(axes))


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (a read-only view); the gradient is summed back."""
    return BroadcastTo.apply(_t(x), shape=tuple(shape))


def expand_dims(x, axis):
    """Insert size-1 axes at the positions ``axis`` (an int or a tuple) of the result."""
    x = _t(x)
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    ndim = x.ndim + len(axes)
    axes = {a % ndim for a in axes}
    dims = iter(x.shape)
    return Reshape.apply(x, shape=tuple(1 if i in axes else next(dims) for i in range(ndim)))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``, which must have size 1)."""
    x = _t(x)
    if axis is None:
        axes = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        axes = {a % x.ndim for a in (axis if isinstance(axis, tuple | list) else (axis,))}
        if any(x.shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} is not size 1.")
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _operands(xs):
    xs = [_operand(x) for x in xs]
    if xs and not any(isinstance(x, Tensor) for x in xs):
        xs[0] = Tensor(xs[0])
    return xs


def concatenate(xs, axis=0):
    """Join a sequence of tensors along an existing ``axis``."""
    return Concatenate.apply(*_operands(xs), axis=axis)


def stack(xs, axis=0):
    """Join a sequence of same-shape tensors along a new ``axis``."""
    return Stack.apply(*_operands(xs), axis=axis)


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant, ``pad_width`` as in ``numpy.pad`` (only ``mode='constant'``)."""
    if mode != "constant":
        raise ValueError(f"pad supports only mode='constant'; received mode={mode!r}.")
    return Pad.apply(_t(x), pad_width=pad_width, constant_values=constant_values)


def getitem(x, index):
    """``x[index]`` (basic, integer-array and boolean indexing; repeated indices accumulate)."""
    return _t(x)[index]


def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None).

    Example:
        >>> import numdeep as nd
        >>> emb = nd.Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], requires_grad=True)
        >>> nd.ops.take(emb, [2, 0, 2], axis=0).sum().backward()
        >>> emb.grad
        array([[1., 1.],
               [0., 0.],
               [2., 2.]], dtype=float32)
    """
    x = _t(x)
    indices = _data(indices)
    if axis is None:
        return GetItem.apply(Reshape.apply(x, shape=(-1,)), index=indices)
    return GetItem.apply(x, index=(slice(None),) * (axis % x.ndim) + (indices,))


# ----- comparisons and logic (boolean results, no gradient) -------------------------------------
def _compare(ufunc, a, b):
    return Tensor(ufunc(_data(a), _data(b)))


def equal(x1, x2):
    """Elementwise ``x1 == x2`` as a boolean Tensor."""
    return _compare(lambda a, b: a == b, x1, x2)


def not_equal(x1, x2):
    """Elementwise ``x1 != x2``."""
    return _compare(lambda a, b: a != b, x1, x2)


def less(x1, x2):
    """Elementwise ``x1 < x2``."""
    return _compare(lambda a, b: a < b, x1, x2)


def less_equal(x1, x2):
    """Elementwise ``x1 <= x2``."""
    return _compare(lambda a, b: a <= b, x1, x2)


def greater(x1, x2):
    """Elementwise ``x1 > x2``."""
    return _compare(lambda a, b: a > b, x1, x2)


def greater_equal(x1, x2):
    """Elementwise ``x1 >= x2``."""
    return _compare(lambda a, b: a >= b, x1, x2)


def logical_and(x1, x2):
    """Elementwise logical and."""
    return _compare(lambda a, b: (a != 0) & (b != 0), x1, x2)


def logical_or(x1, x2):
    """Elementwise logical or."""
    return _compare(lambda a, b: (a != 0) | (b != 0), x1, x2)


def logical_not(x):
    """Elementwise logical not."""
    return Tensor(_data(x) == 0)
