"""The functional API: NumPy-named, differentiable functions on Tensors and array-likes.

Each function is a thin wrapper over one primitive of ``numdeep.autograd.ops`` or a composition
of them, so none defines its own backward. Inputs may be Tensors, arrays, lists or Python scalars;
Python scalars stay weakly typed, so ``multiply(x32, 2.0)`` stays float32.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    >>> y = nd.ops.sum(nd.ops.relu(x) * 2.0)
    >>> y.backward()
    >>> x.grad
    array([[2., 0., 2.]], dtype=float32)
"""

import math

from numdeep.autograd.ops import (
    Abs,
    Add,
    BroadcastTo,
    Clip,
    Concatenate,
    Div,
    Erf,
    Exp,
    Gelu,
    GetItem,
    Log,
    Log1p,
    LogSoftmax,
    LogSumExp,
    MatMul,
    Max,
    Maximum,
    Min,
    Minimum,
    Mul,
    Neg,
    Pad,
    Pow,
    Relu,
    Reshape,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    Softmax,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
    Sqrt,
    Stack,
    Sub,
    Sum,
    Tanh,
    Transpose,
    Where,
)
from numdeep.autograd.tensor import Tensor
from numdeep.backend import floatx, xp_of

__all__ = [
    "as_tensor", "add", "subtract", "multiply", "divide", "negative", "power", "square", "exp",
    "log", "log1p", "sqrt", "abs", "erf", "maximum", "minimum", "where", "clip",
    "sum", "mean", "var", "std", "max", "min", "argmax", "argmin", "logsumexp",
    "matmul", "dot", "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze",
    "concatenate", "stack", "pad", "take", "getitem",
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softplus", "softsign", "swish", "silu", "hard_swish", "mish", "log_sigmoid", "softmax",
    "log_softmax", "sparse_softmax_cross_entropy", "sparse_cross_entropy_from_probs",
    "softmax_cross_entropy",
    "sigmoid_binary_cross_entropy", "one_hot",
    "conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool",
    "batch_norm", "batch_normalization",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# ----- conversion --------------------------------------------------------------------------------
def as_tensor(x, dtype=None):
    """Return ``x`` as a Tensor: Tensors pass through (cast when ``dtype`` differs).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.as_tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return Tensor(x, dtype=dtype)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _operand(x):
    # Arrays and Python scalars go to the primitive as they are (no gradient, weak scalar
    # typing); lists and other array-likes become Tensors so they get floatx() like any input.
    if isinstance(x, Tensor | int | float) or hasattr(x, "dtype"):
        return x
    return Tensor(x)


def _binary(cls, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return cls.apply(_operand(a), _operand(b))


def _mask(x, cond):
    """A boolean array as a constant of ``x``'s float dtype (for masks that multiply)."""
    return cond.astype(x.dtype)


def _data(x):
    if isinstance(x, Tensor):
        return x.data
    return xp_of(x).asarray(x)


# ----- arithmetic --------------------------------------------------------------------------------
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


def erf(x):
    """Gauss error function (accurate to ~1e-15 in float64).

    Example:
        >>> import numdeep as nd
        >>> round(float(nd.ops.erf(nd.Tensor([1.0])).data[0]), 6)
        0.842701
    """
    return Erf.apply(_t(x))


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


# ----- reductions --------------------------------------------------------------------------------
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


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` computed without overflow."""
    return LogSumExp.apply(_t(x), axis=axis, keepdims=keepdims)


# ----- linear algebra ----------------------------------------------------------------------------
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


# ----- shape and movement ------------------------------------------------------------------------
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


# ----- activations -------------------------------------------------------------------------------
def relu(x):
    """``max(x, 0)`` with gradient 0 at 0."""
    return Relu.apply(_t(x))


def relu6(x):
    """``min(max(x, 0), 6)`` with gradient 0 at both kinks (as TensorFlow and PyTorch)."""
    x = _t(x)
    # NOTE: x * [0 < x < 6] + 6 * [x >= 6] with constant masks: clip would pass the gradient at
    # x == 0 and x == 6, and a where on random masks is ~10x slower on NumPy. NaN stays NaN.
    return Add.apply(Mul.apply(x, _mask(x, (x.data > 0) & (x.data < 6))),
                     _mask(x, x.data >= 6) * 6)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise (gradient ``negative_slope`` at 0)."""
    x = _t(x)
    # NOTE: x times a constant slope array (1 or a), not maximum(x, a*x), which would split the
    # gradient at 0; one Mul node is also much cheaper than a where on NumPy.
    slope = _mask(x, x.data > 0)
    slope *= 1.0 - negative_slope
    slope += negative_slope
    return Mul.apply(x, slope)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    x = _t(x)
    pos = _mask(x, x.data > 0)
    # NOTE: x * [x > 0] + alpha * (exp(x * [x <= 0]) - 1) with constant masks: exp only sees
    # min(x, 0), so a large x cannot overflow into an inf * 0 = NaN gradient; the slope at 0 is
    # alpha, as in TensorFlow and PyTorch.
    neg = Mul.apply(Sub.apply(Exp.apply(Mul.apply(x, 1 - pos)), 1.0), alpha)
    return Add.apply(Mul.apply(x, pos), neg)


def selu(x):
    """Scaled ELU with the self-normalizing constants (Klambauer et al., 2017)."""
    return Mul.apply(elu(x, alpha=_SELU_ALPHA), _SELU_SCALE)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)`` exactly via ``erf``, or the tanh approximation.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.gelu(nd.Tensor([-1.0, 0.0, 1.0])).numpy().round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
    """
    x = _t(x)
    if approximate:
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        inner = Mul.apply(x, Add.apply(Mul.apply(Mul.apply(x, x), 0.044715), 1.0))
        phi = Tanh.apply(Mul.apply(inner, _SQRT_2_OVER_PI))
        return Mul.apply(x, Add.apply(Mul.apply(phi, 0.5), 0.5))
    # One fused node instead of the erf composition (~15x faster on float32 activations).
    return Gelu.apply(x)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-free for any input."""
    return Sigmoid.apply(_t(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3's ``relu6(x + 3) / 6``."""
    return Mul.apply(relu6(Add.apply(_t(x), 3.0)), 1.0 / 6.0)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh.apply(_t(x))


def softplus(x):
    """``log(1 + exp(x))`` computed stably as ``max(x, 0) + log1p(exp(-|x|))``.

    Example:
        >>> import numdeep as nd
        >>> y = nd.ops.softplus(nd.Tensor([-1000.0, 0.0, 1000.0]))
        >>> [round(v, 4) for v in y.numpy().tolist()]
        [0.0, 0.6931, 1000.0]
    """
    x = _t(x)
    # NOTE: maximum(x, 0), not relu: maximum's tie split gives the exact slope 0.5 at x == 0
    # (|x| contributes 0 there), whereas relu would give 0.
    return Add.apply(Maximum.apply(x, 0.0), Log1p.apply(Exp.apply(Neg.apply(Abs.apply(x)))))


def softsign(x):
    """``x / (1 + |x|)``."""
    x = _t(x)
    return Div.apply(x, Add.apply(Abs.apply(x), 1.0))


def silu(x):
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (also called swish)."""
    x = _t(x)
    return Mul.apply(x, Sigmoid.apply(x))


swish = silu


def hard_swish(x):
    """``x * hard_sigmoid(x)`` (MobileNetV3's hard swish)."""
    x = _t(x)
    return Mul.apply(x, hard_sigmoid(x))


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _t(x)
    return Mul.apply(x, Tanh.apply(softplus(x)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any input (-1000 at ``x = -1000``)."""
    return Neg.apply(softplus(Neg.apply(_t(x))))


def softmax(x, axis=-1):
    """Softmax along ``axis``, stable for any logits; rows that are all ``-inf`` give zeros.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.softmax(nd.Tensor([[1e4, 1e4, -1e4]]))
        Tensor(array([[0.5, 0.5, 0. ]], dtype=float32))
    """
    return Softmax.apply(_t(x), axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax along ``axis``, computed stably (``x - logsumexp(x)``)."""
    return LogSoftmax.apply(_t(x), axis=axis)


# ----- losses on logits --------------------------------------------------------------------------
def sparse_softmax_cross_entropy(logits, labels):
    """Per-sample ``-log softmax(logits)[label]`` for integer class ids ``labels``.

    ``labels`` has shape ``logits.shape[:-1]``; integral float labels are accepted and cast.
    Labels outside ``[0, num_classes)`` raise ``ValueError``.

    Example:
        >>> import numdeep as nd
        >>> logits = nd.Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
        >>> loss = nd.ops.sparse_softmax_cross_entropy(logits, [0, 0])
        >>> loss
        Tensor(array([0.12692805, 2.126928  ], dtype=float32), requires_grad=True)
    """
    labels = _data(labels)
    if labels.dtype.kind == "f":
        as_int = labels.astype("int64")
        if not bool((as_int == labels).all()):
            raise ValueError("sparse_softmax_cross_entropy expects integer class ids; received "
                             "non-integral float labels.")
        labels = as_int
    elif labels.dtype.kind not in "iu":
        raise ValueError(f"sparse_softmax_cross_entropy expects integer class ids; received "
                         f"labels of dtype {labels.dtype}.")
    return SparseSoftmaxCrossEntropy.apply(_t(logits), labels=labels)


def sparse_cross_entropy_from_probs(probs, labels, epsilon=1e-7):
    """Per-sample ``-log(clip(probs[label] / sum(probs), epsilon, 1 - epsilon))``.

    The cross-entropy of a softmax *output* (Keras's ``from_logits=False`` path) as one fused op;
    ``labels`` must already be valid class ids of shape ``probs.shape[:-1]``.

    Example:
        >>> import numdeep as nd
        >>> probs = nd.Tensor([[0.5, 0.5], [0.9, 0.1]], requires_grad=True)
        >>> nd.ops.sparse_cross_entropy_from_probs(probs, [0, 0])
        Tensor(array([0.6931472 , 0.10536055], dtype=float32), requires_grad=True)
    """
    labels = _data(labels)
    return SparseCrossEntropyFromProbs.apply(_t(probs), labels=labels, epsilon=float(epsilon))


def softmax_cross_entropy(logits, targets):
    """Per-sample ``-sum(targets * log_softmax(logits), -1)`` for one-hot or soft targets."""
    return SoftmaxCrossEntropy.apply(_t(logits), _operand(targets))


def sigmoid_binary_cross_entropy(logits, targets):
    """Elementwise binary cross-entropy from logits, stable for any logit magnitude."""
    return SigmoidBinaryCrossEntropy.apply(_t(logits), _operand(targets))


def one_hot(labels, num_classes, dtype=None):
    """One-hot encode integer ``labels`` into a new last axis (a plain array, no gradient).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.one_hot([0, 2], 3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    labels = _data(labels)
    xp = xp_of(labels)
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}); received values from "
                         f"{int(labels.min())} to {int(labels.max())}.")
    classes = xp.arange(num_classes)
    return (labels[..., None] == classes).astype(dtype or floatx())


# Convolution, pooling and batch normalization (their primitives live in autograd/ops/conv.py,
# pool.py and normalization.py; the argument handling in numdeep/ops_conv.py).
from numdeep.ops_conv import (  # noqa: E402
    average_pool,
    batch_norm,
    batch_normalization,
    conv,
    conv_transpose,
    depthwise_conv,
    max_pool,
    separable_conv,
)
