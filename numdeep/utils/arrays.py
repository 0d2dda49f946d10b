"""Array utilities with Keras's names: label encoding, normalization, sequence padding, seeding.

Example:
    >>> from numdeep.utils import to_categorical
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
"""

import numpy as np

from numdeep.backend import random as _random

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels.

    A trailing axis of size 1 is dropped first (so ``(N, 1)`` labels give ``(N, C)``, as in
    Keras); otherwise the output shape is ``y.shape + (num_classes,)``.

    Args:
        y: array-like of non-negative integer labels (integral floats such as ``2.0`` are accepted).
        num_classes: number of classes; defaults to ``max(y) + 1``.
        dtype: dtype of the result.

    Returns:
        A NumPy array of zeros and ones.

    Raises:
        ValueError: for negative or non-integer labels, or labels ``>= num_classes``.

    Example:
        >>> to_categorical([[1], [0]], num_classes=3)
        array([[0., 1., 0.],
               [1., 0., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iub":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"to_categorical expects integer class labels; received values of "
                             f"dtype {y.dtype} that are not all integers.")
    y = y.astype(np.int64)
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical expects non-negative labels; received min={y.min()}.")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    num_classes = int(num_classes)
    if y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: label {y.max()} is out of range for "
                         f"num_classes={num_classes} (labels must be < num_classes).")
    out = np.zeros((y.size, num_classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero-norm slices are left unchanged).

    NumPy arrays and array-likes give a NumPy array; a numdeep ``Tensor`` gives a differentiable
    ``Tensor``. Unlike Keras's NumPy path, ``axis=0`` really normalizes along axis 0.

    Args:
        x: array-like or Tensor.
        axis: axis along which to normalize.
        order: norm order (2 for Euclidean, 1 for L1, ...).

    Returns:
        The normalized array or Tensor.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    from numdeep.autograd import Tensor

    if isinstance(x, Tensor):
        powered = x * x if order == 2 else abs(x) ** order
        total = powered.sum(axis=axis, keepdims=True)
        # Zero slices divide by 1, as in Keras; adding 1 before the root also keeps their
        # gradient finite (the root's derivative is infinite at 0).
        total = total + (total.data == 0).astype(total.dtype)
        return x / total ** (1.0 / order)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (and truncate) a list of sequences to a common length, Keras style.

    Args:
        sequences: list of sequences (lists or arrays; items may themselves be arrays of a common
            shape).
        maxlen: output length; defaults to the longest sequence.
        dtype: dtype of the output.
        padding: ``'pre'`` or ``'post'``: where to add ``value``.
        truncating: ``'pre'`` or ``'post'``: where to cut sequences longer than ``maxlen``.
        value: the padding value.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen, *item_shape)``.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)
        >>> pad_sequences([[1, 2, 3], [4]], padding="post", truncating="post")
        array([[1, 2, 3],
               [4, 0, 0]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences `padding` must be 'pre' or 'post'. Received: {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences `truncating` must be 'pre' or 'post'. "
                         f"Received: {truncating!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences `sequences` must be a list of sequences.")
    lengths, item_shape = [], None
    for s in sequences:
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences `sequences` must be a list of iterables. "
                             f"Found non-iterable: {s!r}")
        lengths.append(len(s))
        if item_shape is None and len(s):
            item_shape = np.asarray(s).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ValueError(f"pad_sequences `maxlen` must be >= 0. Received: maxlen={maxlen}")
    if isinstance(value, str) and np.dtype(dtype).kind not in "OUS":
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with the string "
                         f"padding value {value!r}; use dtype=object.")
    out = np.full((len(lengths), maxlen) + item_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: sequence {i} has items of shape {trunc.shape[1:]}, "
                             f"expected {item_shape} like the first non-empty sequence.")
        if padding == "post":
            out[i, :len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc):] = trunc
    return out


def set_random_seed(seed):
    """Seed numdeep's own random generator so initialization, dropout and shuffling repeat.

    Only numdeep's generator (``numdeep.backend.random``) is re-seeded. Unlike Keras, the global
    ``np.random`` state and Python's ``random`` module are left alone: numdeep never draws from
    them, and re-seeding global state would silently change the behaviour of the user's other
    libraries and code.

    Args:
        seed: a non-negative int.

    Example:
        >>> from numdeep.initializers import GlorotUniform
        >>> set_random_seed(1); a = GlorotUniform()((2, 2))
        >>> set_random_seed(1); b = GlorotUniform()((2, 2))
        >>> bool((a == b).all())
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative int. Received: seed={seed!r}")
    _random.set_seed(int(seed))
