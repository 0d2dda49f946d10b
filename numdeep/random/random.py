"""The random functions of ``keras.random``: every one takes ``seed`` (see ``seed_generator``)
and returns a Tensor without gradient history, except ``dropout``, which differentiates through
its input."""

import numpy as np

from numdeep.autograd import Tensor, data_of
from numdeep.autograd.function import NoGradient
from numdeep.backend import floatx, is_float_dtype, is_int_dtype, standardize_dtype
from numdeep.ops.symbolic import KerasTensor, Node, SymbolicOp, any_symbolic
from numdeep.random.seed_generator import numpy_generator

__all__ = ["normal", "uniform", "truncated_normal", "randint", "categorical", "dropout",
           "shuffle", "gamma", "binomial", "beta", "seed_generators_of"]


def _float_dtype(dtype, fn):
    dtype = standardize_dtype(dtype or floatx())
    if not is_float_dtype(dtype):
        raise ValueError(f"`keras.random.{fn}` requires a floating point `dtype`. "
                         f"Received: dtype={dtype} ")
    return dtype


def _shape(shape):
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _array(x):
    return np.asarray(data_of(x))


def _record(fn, args, kwargs, spec):
    """Record a random op on symbolic inputs as a graph node (it draws when the model runs)."""
    Node(SymbolicOp(fn), args, kwargs, spec)
    return spec


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of the normal distribution ``N(mean, stddev**2)``.

    Args:
        shape: the output shape.
        mean, stddev: the distribution's mean and standard deviation.
        dtype: a float dtype (default ``floatx()``).
        seed: an int (the same values every call), a ``SeedGenerator`` (new values each call)
            or ``None`` (the global generator).

    Example:
        >>> from numdeep import random
        >>> x = random.normal((2, 3), seed=1)
        >>> x.shape, bool((x.numpy() == random.normal((2, 3), seed=1).numpy()).all())
        ((2, 3), True)
    """
    dtype = _float_dtype(dtype, "normal")
    values = numpy_generator(seed).normal(_array(mean), _array(stddev), _shape(shape))
    return Tensor(values.astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of the uniform distribution on ``[minval, maxval)`` (``dtype`` must be a float
    dtype; ``randint`` draws integers).

    Example:
        >>> from numdeep import random
        >>> x = random.uniform((1000,), minval=-1.0, maxval=1.0, seed=0).numpy()
        >>> bool(x.min() >= -1.0 and x.max() < 1.0)
        True
    """
    dtype = _float_dtype(dtype, "uniform")
    values = numpy_generator(seed).uniform(_array(minval), _array(maxval), _shape(shape))
    return Tensor(values.astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean.

    Example:
        >>> from numdeep import random
        >>> x = random.truncated_normal((1000,), stddev=0.5, seed=0).numpy()
        >>> bool(abs(x).max() <= 1.0)
        True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    rng = numpy_generator(seed)
    values = rng.standard_normal(_shape(shape))
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return Tensor((values * _array(stddev) + _array(mean)).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``.

    Example:
        >>> from numdeep import random
        >>> x = random.randint((100,), 0, 3, seed=0)
        >>> sorted(set(x.numpy().tolist())), x.dtype
        ([0, 1, 2], dtype('int32'))
    """
    if dtype and not is_int_dtype(dtype):
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. "
                         f"Received: dtype={dtype} ")
    values = numpy_generator(seed).integers(_array(minval), _array(maxval), _shape(shape))
    return Tensor(values.astype(standardize_dtype(dtype or "int32")))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class ids per row of ``logits`` (``(batch, classes)``, unnormalized
    log-probabilities), drawn from ``softmax(logits)``.

    Returns:
        A ``(batch, num_samples)`` integer Tensor.

    Example:
        >>> import numpy as np
        >>> from numdeep import random
        >>> logits = np.array([[-1e9, 0.0], [0.0, -1e9]])
        >>> random.categorical(logits, 3, seed=0).numpy().tolist()
        [[1, 1, 1], [0, 0, 0]]
    """
    shape = tuple(getattr(logits, "shape", np.shape(logits)))
    if len(shape) != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits={logits}")
    dtype = standardize_dtype(dtype)
    if isinstance(logits, KerasTensor):
        return _record(categorical, (logits, num_samples), {"dtype": dtype, "seed": seed},
                       KerasTensor((shape[0], int(num_samples)), dtype=dtype))
    values = np.asarray(_array(logits), dtype="float64")
    # Gumbel-max: argmax(logits + Gumbel noise) samples softmax(logits) exactly, with no
    # exponentials to overflow (logits of 1e6 are fine) and -inf logits never drawn.
    noise = numpy_generator(seed).gumbel(size=(shape[0], int(num_samples), shape[1]))
    ids = np.argmax(values[:, None, :] + noise, axis=-1)
    return Tensor(ids.astype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the others scaled by
    ``1 / (1 - rate)``; ``noise_shape`` (``None`` entries follow ``inputs``) shares one mask
    along the axes where it is 1. Gradients flow through the kept entries.

    Example:
        >>> import numpy as np
        >>> from numdeep import random
        >>> y = random.dropout(np.ones((2, 4), "float32"), rate=0.5, seed=0).numpy()
        >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
    """
    if isinstance(inputs, KerasTensor):
        return _record(dropout, (inputs, rate), {"noise_shape": noise_shape, "seed": seed},
                       KerasTensor(inputs.shape, dtype=inputs.dtype))
    x = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    shape = x.shape if noise_shape is None else tuple(
        d if n is None else int(n) for n, d in zip(noise_shape, x.shape))
    return x * dropout_mask(x, rate, seed, shape)


def dropout_mask(like, rate, seed=None, shape=None):
    """The scaled keep mask ``dropout`` multiplies by: ``1 / (1 - rate)`` where kept, 0 where
    dropped, of ``shape`` (default ``like``'s) and ``like``'s dtype, drawn as ``dropout`` draws
    it. A recurrent cell's per-sequence masks come from here: drawn inside an op, they are
    drawn again at each step a training plan replays.

    Example:
        >>> import numpy as np
        >>> from numdeep.random.random import dropout_mask
        >>> m = dropout_mask(np.zeros((2, 3), "float32"), 0.5, seed=1).numpy()
        >>> m.shape, m.dtype, set(m.ravel().tolist()) <= {0.0, 2.0}
        ((2, 3), dtype('float32'), True)
    """
    data = like.data if isinstance(like, Tensor) else np.asarray(like)
    keep_prob = 1.0 - float(rate)
    scale = 0.0 if keep_prob <= 0.0 else 1.0 / keep_prob
    # No input: the mask depends on no array (a cell's zero state or a slice of its inputs
    # would be batch-sized arrays made outside the ops), only on the shape, dtype and seed.
    return DropoutMask.apply(shape=data.shape if shape is None else tuple(shape),
                             dtype=data.dtype, keep_prob=keep_prob, scale=scale, seed=seed)


class DropoutMask(NoGradient):
    """The scaled keep mask of ``dropout``, drawn inside an op so that a training plan
    (``numdeep.models.plan.training``) draws a new one at every replayed step, from the same
    generator and in the same order as the eager step (``random_draw``). It has no input:
    ``shape``, ``dtype``, ``keep_prob``, ``scale`` and ``seed`` are its parameters."""

    random_draw = True

    def forward(self):
        keep = numpy_generator(self.seed).random(self.shape) < self.keep_prob
        return (keep * self.scale).astype(self.dtype)


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order.

    Example:
        >>> import numpy as np
        >>> from numdeep import random
        >>> sorted(random.shuffle(np.arange(5), seed=0).numpy().tolist())
        [0, 1, 2, 3, 4]
    """
    if any_symbolic(x):
        return _record(shuffle, (x,), {"axis": axis, "seed": seed},
                       KerasTensor(x.shape, dtype=x.dtype))
    values = _array(x)
    order = numpy_generator(seed).permutation(values.shape[axis])
    return Tensor(np.take(values, order, axis=axis))


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of the Gamma distribution with concentration ``alpha`` and scale 1.

    Example:
        >>> from numdeep import random
        >>> bool((random.gamma((100,), alpha=2.0, seed=0).numpy() > 0).all())
        True
    """
    dtype = _float_dtype(dtype, "gamma")
    values = numpy_generator(seed).gamma(_array(alpha), 1.0, _shape(shape))
    return Tensor(values.astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Counts of successes in ``counts`` trials of probability ``probabilities`` (both
    broadcast to ``shape``), as floats like Keras.

    Example:
        >>> from numdeep import random
        >>> x = random.binomial((3,), counts=10, probabilities=1.0, seed=0)
        >>> x.numpy().tolist(), x.dtype
        ([10.0, 10.0, 10.0], dtype('float32'))
    """
    dtype = _float_dtype(dtype, "binomial")
    counts = np.asarray(_array(counts)).astype(np.int64)
    values = numpy_generator(seed).binomial(counts, _array(probabilities), _shape(shape))
    return Tensor(values.astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of the Beta distribution with parameters ``alpha`` and ``beta`` (broadcast to
    ``shape``).

    Example:
        >>> from numdeep import random
        >>> x = random.beta((1000,), alpha=2.0, beta=2.0, seed=0).numpy()
        >>> bool(0 <= x.min() and x.max() <= 1), round(float(x.mean()), 1)
        (True, 0.5)
    """
    dtype = _float_dtype(dtype, "beta")
    values = numpy_generator(seed).beta(_array(alpha), _array(beta), _shape(shape))
    return Tensor(values.astype(dtype))


def seed_generators_of(layer):
    """The ``SeedGenerator``s a layer and its sub-layers own (each once)."""
    seen, out, stack = set(), [], [layer]
    while stack:
        current = stack.pop(0)
        for sg in getattr(current, "_seed_generators", ()):
            if id(sg) not in seen:
                seen.add(id(sg))
                out.append(sg)
        stack.extend(getattr(current, "_layers", ()))
    return out
