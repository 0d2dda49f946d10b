"""Neural-network functions: activations, softmax, cross-entropies, one-hot, normalization.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    >>> y = nd.ops.sum(nd.ops.relu(x) * 2.0)
    >>> y.backward()
    >>> x.grad
    array([[2., 0., 2.]], dtype=float32)
"""

import math

from numdeep.autograd.primitives import (
    Abs,
    Add,
    BatchNorm,
    Div,
    Exp,
    Gelu,
    LayerNorm,
    Log1p,
    LogSoftmax,
    MaskedSoftmax,
    Maximum,
    Mul,
    Neg,
    Relu,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    Softmax,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
    Sub,
    Tanh,
)
from numdeep.autograd.tensor import data_of
from numdeep.backend import floatx, xp_of
from numdeep.ops.core import _data, _mask, _operand, _t

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softplus", "softsign", "silu", "hard_swish", "mish", "log_sigmoid", "softmax",
    "log_softmax", "sparse_softmax_cross_entropy", "sparse_cross_entropy_from_probs",
    "softmax_cross_entropy", "sigmoid_binary_cross_entropy", "one_hot", "batch_norm",
    "batch_normalization", "swish", "layer_normalization", "masked_softmax",
]

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


def batch_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3, moving_mean=None,
               moving_variance=None, momentum=0.99):
    """Normalize with the batch's statistics over all axes but ``axis`` (fused primitive).

    ``moving_mean``/``moving_variance`` (Tensors or arrays), when given, are updated in place:
    ``moving = moving * momentum + batch_stat * (1 - momentum)``.

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> mean = np.zeros(1, dtype="float32")
        >>> x = np.array([[1.0], [3.0]], dtype="float32")
        >>> ops.batch_norm(x, moving_mean=mean, momentum=0.5).data.round(3)
        array([[-1.],
               [ 1.]], dtype=float32)
        >>> mean
        array([1.], dtype=float32)
    """
    return BatchNorm.apply(_t(x), gamma, beta, axis=axis, epsilon=epsilon, momentum=momentum,
                           moving_mean=data_of(moving_mean),
                           moving_variance=data_of(moving_variance))


def batch_normalization(x, mean, variance, axis=-1, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with given statistics
    (``keras.ops.batch_normalization``); composed from primitives, so all inputs get gradients.
    """
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    inv = (_t(variance) + epsilon) ** -0.5
    if scale is not None:
        inv = inv * scale
    shift = -_t(mean) * inv
    if offset is not None:
        shift = shift + offset
    return x * inv.reshape(shape) + shift.reshape(shape)

def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization of ``x`` over ``axis`` as one fused primitive (``LayerNorm``).

    Args:
        x: input Tensor.
        gamma: scale Tensor of shape ``tuple(x.shape[a] for a in axis)``, or None.
        beta: offset Tensor of the same shape, or None.
        axis: the normalized axis or axes.
        epsilon: added to the variance.

    Returns:
        A Tensor of ``x``'s shape.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.layer_normalization(nd.Tensor([[1.0, 2.0, 3.0]]), epsilon=0.0).numpy().round(4)
        array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    """
    x = _t(x)
    args = [x, gamma, beta]
    while args and args[-1] is None:
        args.pop()
    return LayerNorm.apply(*args, axis=axis, epsilon=float(epsilon))


def masked_softmax(x, mask=None, axis=-1):
    """Softmax of Tensor ``x`` along ``axis`` restricted to where ``mask`` is True.

    Args:
        x: logits Tensor.
        mask: boolean (or 0/1) array broadcastable to ``x``; ``None`` keeps every entry.
        axis: the normalized axis.

    Returns:
        A Tensor of ``x``'s shape; masked entries and fully masked rows are 0.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = nd.Tensor([[1.0, 1.0, 5.0], [2.0, 3.0, 4.0]])
        >>> nd.ops.masked_softmax(x, np.array([[True, True, False], [False, False, False]]))
        Tensor(array([[0.5, 0.5, 0. ],
               [0. , 0. , 0. ]], dtype=float32))
    """
    x = _t(x)
    if mask is not None:
        mask = xp_of(x.data).asarray(_data(mask))
        if mask.dtype != bool:
            mask = mask.astype(bool)
    return MaskedSoftmax.apply(x, mask=mask, axis=axis)
