"""Losses of ``keras.ops.nn``: the fused cross-entropies numdeep's losses are built on, Keras's
``binary_crossentropy``/``categorical_crossentropy``/``sparse_categorical_crossentropy``, CTC
(loss and decoding) and PSNR.

Example:
    >>> import numdeep as nd
    >>> nd.ops.binary_crossentropy([1.0, 0.0], [0.9, 0.2]).numpy().round(4)
    array([0.1054, 0.2231], dtype=float32)
"""

import numpy as np

from numdeep.autograd.primitives import (
    Add,
    Clip,
    Div,
    GetItem,
    Log,
    LogSoftmax,
    LogSumExp,
    Mul,
    Neg,
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    SparseCrossEntropyFromProbs,
    SparseSoftmaxCrossEntropy,
    Stack,
    Sub,
    Sum,
    Where,
)
from numdeep.backend import config, standardize_dtype, to_numpy
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, _operand, _t, as_float, convert_to_tensor, plain, to_dtype
from numdeep.ops.operation import Operation
from numdeep.ops.symbolic import KerasTensor

__all__ = [
    "sparse_softmax_cross_entropy", "sparse_cross_entropy_from_probs", "softmax_cross_entropy",
    "sigmoid_binary_cross_entropy", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "ctc_loss", "ctc_decode", "psnr",
]


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


def _same_shape(target, output):
    if target.shape != output.shape:
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={target.shape}, output.shape={output.shape}")


def _clipped_log(p):
    eps = config.epsilon()
    return Log.apply(Clip.apply(p, lo=eps, hi=1.0 - eps))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``, ``p`` clipped to
    ``[epsilon, 1 - epsilon]`` (or computed stably from logits with ``from_logits``)."""
    output = as_float(output)
    target = to_dtype(target, output.dtype)
    _same_shape(target, output)
    if from_logits:
        return SigmoidBinaryCrossEntropy.apply(output, target)
    eps = config.epsilon()
    p = Clip.apply(output, lo=eps, hi=1.0 - eps)
    return Neg.apply(Add.apply(Mul.apply(target, Log.apply(p)),
                               Mul.apply(Sub.apply(1.0, target), Log.apply(Sub.apply(1.0, p)))))


def _log_probs(output, from_logits, axis):
    if from_logits:
        return LogSoftmax.apply(output, axis=axis)
    return _clipped_log(Div.apply(output, Sum.apply(output, axis=axis, keepdims=True)))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log p, axis)`` with ``p`` the normalized, clipped ``output`` (or its
    softmax with ``from_logits``)."""
    output = as_float(output)
    target = to_dtype(target, output.dtype)
    _same_shape(target, output)
    if target.ndim < 1:
        raise ValueError(f"Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={target.shape}, output.shape={output.shape}")
    return Neg.apply(Sum.apply(Mul.apply(target, _log_probs(output, from_logits, axis)),
                               axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``categorical_crossentropy`` with integer class ids ``target`` (shape ``output.shape``
    without ``axis``)."""
    output = as_float(output)
    labels = to_numpy(_data(target)).astype(np.int64)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if output.ndim < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={output.shape}")
    if not -output.ndim <= axis < output.ndim:
        raise ValueError(f"Argument `axis` ({axis}) is out of range for `output` of shape "
                         f"{output.shape}.")
    without_classes = list(output.shape)
    del without_classes[axis]
    if labels.shape != tuple(without_classes):
        raise ValueError(f"Arguments `target` and `output` must have the same shape without "
                         f"the class axis ({axis}): target.shape={labels.shape}, "
                         f"output.shape={output.shape}")
    hot = np.moveaxis(np.eye(output.shape[axis], dtype=output.dtype)[labels], -1, axis)
    return Neg.apply(Sum.apply(Mul.apply(_log_probs(output, from_logits, axis), hot),
                               axis=axis))


_LOG_EPSILON = -1e5  # log of "impossible" (finite, so gradients stay finite)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per sequence (Graves et al., 2006).

    Args:
        target: ``(batch, max_label_length)`` integer labels (padding past ``target_length``).
        output: ``(batch, max_time, num_classes)`` logits.
        target_length, output_length: ``(batch,)`` true lengths.
        mask_index: the blank class.

    Returns:
        ``(batch,)`` negative log-likelihoods of the labels, differentiable in ``output``.
    """
    output = to_dtype(output, result_type(standardize_dtype(convert_to_tensor(output).dtype),
                                          "float32"))
    labels = to_numpy(_data(target)).astype(np.int64)
    t_len = to_numpy(_data(target_length)).astype(np.int64).reshape(-1)
    o_len = to_numpy(_data(output_length)).astype(np.int64).reshape(-1)
    _ctc_check_shapes(labels.shape, output.shape, t_len.shape, o_len.shape)
    if output.ndim != 3 or labels.ndim != 2:
        raise ValueError(f"ctc_loss expects `target` (batch, max_label_length) and `output` "
                         f"(batch, max_time, num_classes). Received: target.shape="
                         f"{labels.shape}, output.shape={output.shape}")
    batch, steps, _ = output.shape
    n = labels.shape[1]
    # The extended label sequence: blank, l1, blank, l2, ..., blank (2n + 1 states).
    ext = np.full((batch, 2 * n + 1), mask_index, dtype=np.int64)
    ext[:, 1::2] = labels
    states = np.arange(2 * n + 1)
    valid = states[None, :] < (2 * t_len + 1)[:, None]
    skip = np.zeros((batch, 2 * n + 1), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != mask_index) & (ext[:, 2:] != ext[:, :-2])
    logp = LogSoftmax.apply(output, axis=-1)
    rows = np.arange(batch)[:, None]
    dtype = output.dtype
    start = np.full((batch, 2 * n + 1), _LOG_EPSILON, dtype=dtype)
    start[:, :2] = 0.0
    alpha = None
    for t in range(steps):
        emit = GetItem.apply(logp, index=(rows, t, ext))
        if alpha is None:
            alpha = Add.apply(Where.apply(valid, start, _LOG_EPSILON), emit)
            continue
        stay = alpha
        step = _shift(alpha, 1, dtype)
        jump = Where.apply(skip, _shift(alpha, 2, dtype), _LOG_EPSILON)
        merged = LogSumExp.apply(Stack.apply(stay, step, jump, axis=-1), axis=-1)
        new = Where.apply(valid, Add.apply(merged, emit), _LOG_EPSILON)
        alpha = Where.apply((t < o_len)[:, None], new, alpha)
    ends = np.stack([2 * t_len, np.maximum(2 * t_len - 1, 0)], axis=-1)
    last = GetItem.apply(alpha, index=(rows, ends))
    # A zero-length label has a single end state: count it once.
    last = Where.apply(np.stack([np.ones(batch, bool), t_len > 0], -1), last, _LOG_EPSILON * 10)
    return Neg.apply(LogSumExp.apply(last, axis=-1))


def _check_shape_first_dim(name1, shape1, name2, shape2):
    if None not in (shape1[0], shape2[0]) and shape1[0] != shape2[0]:
        raise ValueError(f"Arguments `{name1}` and `{name2}` must have the same first "
                         f"dimension. Received shapes: `{tuple(shape1)}` and `{tuple(shape2)}`.")


def _ctc_check_shapes(target, output, target_length, output_length):
    _check_shape_first_dim("target", target, "output", output)
    _check_shape_first_dim("target_length", target_length, "target", target)
    _check_shape_first_dim("output_length", output_length, "output", output)


def _ctc_loss_spec(target, output, target_length, output_length, mask_index=0):
    # As Keras's CTCLoss.compute_output_spec: only the batch sizes are checked symbolically.
    shapes = [tuple(a.shape) if hasattr(a, "shape") else np.shape(a)
              for a in (target, output, target_length, output_length)]
    _ctc_check_shapes(*shapes)
    dtype = result_type(standardize_dtype(getattr(output, "dtype", "float32")), "float32")
    return KerasTensor((shapes[0][0],), dtype=dtype)


ctc_loss.symbolic_spec = _ctc_loss_spec


class CTCLoss(Operation):
    """``ctc_loss`` as an op object (Keras's ``ops.nn.CTCLoss``; see ``Operation``).

    Example:
        >>> import numpy as np
        >>> op = CTCLoss(mask_index=0)
        >>> logits = np.zeros((1, 2, 3), "float32")
        >>> float(op(np.array([[1]]), logits, np.array([1]), np.array([2])).numpy()[0]) > 0
        True
    """

    fn = staticmethod(ctc_loss)
    tensor_args = ("target", "output", "target_length", "output_length")
    _check_shape_first_dim = staticmethod(_check_shape_first_dim)


def _shift(alpha, k, dtype):
    """``alpha`` moved ``k`` states right along the last axis, filled with log-epsilon."""
    from numdeep.ops.numpy_shape import pad

    head = GetItem.apply(alpha, index=(Ellipsis, slice(0, alpha.shape[-1] - k)))
    return pad(head, [(0, 0), (k, 0)], constant_values=dtype.type(_LOG_EPSILON))


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC outputs ``(batch, time, classes)``: ``'greedy'`` takes the best class per step
    (merging repeats, dropping blanks), ``'beam_search'`` keeps ``beam_width`` label prefixes.

    Returns:
        ``(paths, scores)``: int32 ``(top_paths, batch, time)`` labels padded with -1, and
        ``(batch, top_paths)`` scores (negative sum of best logits for greedy, log-probabilities
        for beam search).
    """
    from numdeep.ops.ctc import beam_search_decode, greedy_decode

    x = convert_to_tensor(inputs)
    data = to_numpy(x.data).astype(result_type(standardize_dtype(x.dtype), "float32"))
    lengths = to_numpy(_data(sequence_lengths)).astype(np.int64)
    if strategy == "greedy":
        paths, scores = greedy_decode(data, lengths, merge_repeated, mask_index)
    elif strategy == "beam_search":
        paths, scores = beam_search_decode(data, lengths, beam_width, top_paths, mask_index)
    else:
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and "
                         f"'beam_search'.")
    return plain(paths, "int32"), plain(scores, data.dtype)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse(x1, x2))``."""
    a, b = as_float(x1), as_float(x2)
    if a.shape != b.shape:
        raise ValueError(f"Input shapes {a.shape} and {b.shape} must match for PSNR "
                         f"calculation. ")
    diff = Sub.apply(a, b)
    mse = Mul.apply(Sum.apply(Mul.apply(diff, diff)), 1.0 / max(diff.size, 1))
    peak = 20 * np.log10(float(to_numpy(_data(max_val))))
    return Sub.apply(b.dtype.type(peak), Mul.apply(Log.apply(mse), 10 / np.log(10)))


def _psnr_spec(x1, x2, max_val):
    # Keras's PSNR.compute_output_spec checks only the ranks (sizes may be unknown).
    if len(np.shape(x1)) != len(np.shape(x2)):
        raise ValueError(f"Inputs must have the same rank. Received shapes "
                         f"{tuple(np.shape(x1))} and {tuple(np.shape(x2))}.")
    dtype = standardize_dtype(getattr(x1, "dtype", "float32"))
    return KerasTensor((), dtype=result_type(dtype, "float32"))


psnr.symbolic_spec = _psnr_spec
