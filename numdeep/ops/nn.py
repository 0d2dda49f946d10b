"""Neural-network functions (``keras.ops.nn``): activations and softmax here; cross-entropies,
CTC and PSNR in ``nn_losses``; normalization in ``nn_norm``; attention in ``nn_attention``;
one-hot encodings and layout changes in ``nn_layout``. All are re-exported here.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    >>> y = nd.ops.sum(nd.ops.relu(x) * 2.0)
    >>> y.backward()
    >>> x.grad
    array([[2., 0., 2.]], dtype=float32)
"""

import math
import warnings

import numpy as np

from numdeep.autograd.primitives import (
    Abs,
    Add,
    Div,
    Exp,
    Expm1,
    Gelu,
    GetItem,
    Log1p,
    LogSoftmax,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Relu,
    Sigmoid,
    Softmax,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from numdeep.ops import nn_attention, nn_layout, nn_losses, nn_norm
from numdeep.ops.core import _mask, _t, as_float
from numdeep.ops.nn_attention import *  # noqa: F403
from numdeep.ops.nn_layout import *  # noqa: F403
from numdeep.ops.nn_losses import *  # noqa: F403
from numdeep.ops.nn_norm import *  # noqa: F403

_ACTIVATIONS = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softplus", "softsign", "silu", "swish", "hard_swish", "mish", "log_sigmoid", "softmax",
    "log_softmax", "celu", "glu", "hard_silu", "hard_tanh", "hard_shrink", "soft_shrink",
    "tanh_shrink", "threshold", "sparse_plus", "sparse_sigmoid", "squareplus", "sparsemax",
]
__all__ = [*_ACTIVATIONS, *nn_losses.__all__, *nn_norm.__all__, *nn_attention.__all__,
           *nn_layout.__all__]


def _f(x):
    """``x`` as a float Tensor (integers become ``floatx()``); float Tensors pass straight."""
    return x if type(x).__name__ in ("Tensor", "Variable") and x.data.dtype.kind == "f" \
        else as_float(x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


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
    x = _f(x)
    pos = _mask(x, x.data > 0)
    # NOTE: x * [x > 0] + alpha * (exp(x * [x <= 0]) - 1) with constant masks: exp only sees
    # min(x, 0), so a large x cannot overflow into an inf * 0 = NaN gradient; the slope at 0 is
    # alpha, as in TensorFlow and PyTorch.
    neg = Mul.apply(Sub.apply(Exp.apply(Mul.apply(x, 1 - pos)), 1.0), alpha)
    return Add.apply(Mul.apply(x, pos), neg)


def selu(x):
    """Scaled ELU with the self-normalizing constants (Klambauer et al., 2017)."""
    return Mul.apply(elu(x, alpha=_SELU_ALPHA), _SELU_SCALE)


def gelu(x, approximate=True):
    """Gaussian error linear unit: ``x * Phi(x)`` exactly via ``erf``, or the tanh approximation.

    ``approximate`` defaults to True, as in ``keras.ops.gelu`` (``keras.activations.gelu``
    defaults to the exact form).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.gelu(nd.Tensor([-1.0, 0.0, 1.0]), approximate=False).numpy().round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
        >>> nd.ops.gelu(nd.Tensor([-1.0, 0.0, 1.0])).numpy().round(4)
        array([-0.1588,  0.    ,  0.8412], dtype=float32)
    """
    x = _f(x)
    if approximate:
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        inner = Mul.apply(x, Add.apply(Mul.apply(Mul.apply(x, x), 0.044715), 1.0))
        phi = Tanh.apply(Mul.apply(inner, _SQRT_2_OVER_PI))
        return Mul.apply(x, Add.apply(Mul.apply(phi, 0.5), 0.5))
    # One fused node instead of the erf composition (~15x faster on float32 activations).
    return Gelu.apply(x)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-free for any input."""
    return Sigmoid.apply(_f(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3's ``relu6(x + 3) / 6``."""
    return Mul.apply(relu6(Add.apply(_f(x), 3.0)), 1.0 / 6.0)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh.apply(_f(x))


def softplus(x):
    """``log(1 + exp(x))`` computed stably as ``max(x, 0) + log1p(exp(-|x|))``.

    Example:
        >>> import numdeep as nd
        >>> y = nd.ops.softplus(nd.Tensor([-1000.0, 0.0, 1000.0]))
        >>> [round(v, 4) for v in y.numpy().tolist()]
        [0.0, 0.6931, 1000.0]
    """
    x = _f(x)
    # NOTE: maximum(x, 0), not relu: maximum's tie split gives the exact slope 0.5 at x == 0
    # (|x| contributes 0 there), whereas relu would give 0.
    return Add.apply(Maximum.apply(x, 0.0), Log1p.apply(Exp.apply(Neg.apply(Abs.apply(x)))))


def softsign(x):
    """``x / (1 + |x|)``."""
    x = _f(x)
    return Div.apply(x, Add.apply(Abs.apply(x), 1.0))


def silu(x):
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (also called swish)."""
    x = _f(x)
    return Mul.apply(x, Sigmoid.apply(x))


swish = silu


def hard_swish(x):
    """``x * hard_sigmoid(x)`` (MobileNetV3's hard swish)."""
    x = _f(x)
    return Mul.apply(x, hard_sigmoid(x))


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _f(x)
    return Mul.apply(x, Tanh.apply(softplus(x)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any input (-1000 at ``x = -1000``)."""
    return Neg.apply(softplus(Neg.apply(_f(x))))


def softmax(x, axis=-1):
    """Softmax along ``axis``, stable for any logits; rows that are all ``-inf`` give zeros.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.softmax(nd.Tensor([[1e4, 1e4, -1e4]]))
        Tensor(array([[0.5, 0.5, 0. ]], dtype=float32))
    """
    x = _f(x)
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape {x.shape}. "
                      f"This axis has size 1. The softmax operation will always return the value "
                      f"1, which is likely not what you intended. Did you mean to use a sigmoid "
                      f"instead?", stacklevel=2)
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax along ``axis``, computed stably (``x - logsumexp(x)``)."""
    return LogSoftmax.apply(_f(x), axis=axis)


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)`` (continuously differentiable ELU)."""
    x = _f(x)
    return Add.apply(Maximum.apply(x, 0.0),
                     Mul.apply(Expm1.apply(Mul.apply(Minimum.apply(x, 0.0), 1.0 / alpha)), alpha))


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along ``axis``.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.glu(nd.Tensor([2.0, 0.0])).numpy()
        array([1.], dtype=float32)
    """
    x = _f(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={x.shape} with "
                         f"axis={axis}")
    lead = (slice(None),) * (axis % x.ndim)
    a = GetItem.apply(x, index=lead + (slice(0, n // 2),))
    b = GetItem.apply(x, index=lead + (slice(n // 2, None),))
    return Mul.apply(a, Sigmoid.apply(b))


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    x = _f(x)
    return Mul.apply(x, hard_sigmoid(x))


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    x = _f(x)
    return Where.apply((x.data > -1) & (x.data < 1), x, x.dtype.type(1) * (x.data >= 1)
                       - x.dtype.type(1) * (x.data <= -1))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _f(x)
    return Where.apply(abs(x.data) > threshold, x, x.dtype.type(0))


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``threshold`` of it."""
    x = _f(x)
    shift = x.dtype.type(threshold) * ((x.data > threshold).astype(x.dtype)
                                      - (x.data < -threshold).astype(x.dtype))
    return Where.apply(abs(x.data) > threshold, Sub.apply(x, shift), x.dtype.type(0))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _f(x)
    return Sub.apply(x, Tanh.apply(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _f(x)
    return Where.apply(x.data > threshold, x, x.dtype.type(default_value))


def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` on ``[-1, 1]``, ``x`` above (a smooth ReLU)."""
    x = _f(x)
    inner = Mul.apply(Mul.apply(Add.apply(x, 1.0), Add.apply(x, 1.0)), 0.25)
    return Where.apply(x.data <= -1, x.dtype.type(0), Where.apply(x.data < 1, inner, x))


def sparse_sigmoid(x):
    """0 below -1, ``(x + 1) / 2`` on ``[-1, 1]``, 1 above."""
    x = _f(x)
    inner = Mul.apply(Add.apply(x, 1.0), 0.5)
    return Where.apply(x.data <= -1, x.dtype.type(0),
                       Where.apply(x.data >= 1, x.dtype.type(1), inner))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2`` (a smooth ReLU)."""
    x = _f(x)
    return Mul.apply(Add.apply(x, Sqrt.apply(Add.apply(Mul.apply(x, x), x.dtype.type(b)))), 0.5)


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``: the Euclidean projection of ``x`` onto the probability simplex,
    which (unlike softmax) gives exact zeros (Martins & Astudillo, 2016).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.sparsemax(nd.Tensor([2.0, 0.0, -1.0])).numpy()
        array([1., 0., 0.], dtype=float32)
    """
    from numdeep.ops.numpy_reduce import sum as _sum

    x = _f(x)
    z = -np.sort(-x.data, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = z.shape[axis]
    k = np.arange(1, z.shape[axis] + 1, dtype=z.dtype).reshape(shape)
    k_max = (1 + k * z > np.cumsum(z, axis=axis)).sum(axis=axis, keepdims=True)
    kth = np.take_along_axis(z, k_max - 1, axis=axis)
    # tau = (sum of x over the support - 1) / support size, built from x so gradients flow.
    support = (x.data >= kth).astype(x.dtype)
    tau = Div.apply(Sub.apply(_sum(Mul.apply(x, support), axis=axis, keepdims=True), 1.0),
                    k_max.astype(x.dtype))
    return Relu.apply(Sub.apply(x, tau))
