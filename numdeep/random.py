"""Random numbers with Keras's ``keras.random`` names, and ``SeedGenerator``.

Every function takes ``seed``: ``None`` draws from numdeep's global generator (reseeded by
``numdeep.utils.set_random_seed``), an int gives the same values on every call (as Keras's
stateless seeding does), and a ``SeedGenerator`` advances its own state on each call, so a layer
that owns one (Dropout, GaussianNoise, the augmentation layers) draws a new, reproducible mask
every step. The global ``np.random`` state is never touched. Results are Tensors (no gradient).

Example:
    >>> from numdeep import random
    >>> gen = random.SeedGenerator(42)
    >>> a = random.uniform((2,), seed=gen)
    >>> b = random.uniform((2,), seed=gen)
    >>> bool((a.numpy() != b.numpy()).all()), random.normal((3,), seed=7).shape
    (True, (3,))
"""

import numpy as np

from numdeep.autograd import Tensor, Variable, data_of
from numdeep.backend import floatx, standardize_dtype
from numdeep.backend.random import default_rng

__all__ = [
    "SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
    "dropout", "shuffle", "gamma", "binomial", "beta", "seed_generators_of",
]


class SeedGenerator:
    """A stream of seeds: each random call given this generator gets fresh numbers, and the
    stream is the same for the same ``seed``.

    Args:
        seed: an int (reproducible), or ``None`` (drawn from numdeep's global generator).
        name: optional name.

    Its ``state`` is a non-trainable ``Variable`` holding the seed and how many draws have been
    made, so saving and restoring a model restores where its random streams stand.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        if seed is None:
            seed = int(default_rng().integers(0, 2**31 - 1))
        self.name = name or "seed_generator"
        self._initial_seed = int(seed)
        self.state = Variable(np.array([self._initial_seed, 0], dtype="int64"), trainable=False,
                              name="seed_generator_state")

    def next(self):
        """A fresh ``numpy.random.Generator`` for the next draw (advances the state)."""
        seed, count = (int(v) for v in self.state.data)
        self.state.data[1] = count + 1
        return np.random.default_rng([seed, count])

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def generator(seed):
    """A ``numpy.random.Generator`` for ``seed`` (``None``, an int or a ``SeedGenerator``)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return default_rng()
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"`seed` must be None, an int or a SeedGenerator. Received: seed={seed!r}")


def _float(dtype):
    dtype = standardize_dtype(dtype or floatx())
    if not dtype.startswith("float"):
        raise ValueError(f"A float dtype is expected. Received: dtype={dtype}")
    return dtype


def _shape(shape):
    return tuple(int(s) for s in (shape if isinstance(shape, list | tuple) else (shape,)))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from ``N(mean, stddev**2)``."""
    dtype = _float(dtype)
    values = generator(seed).normal(mean, stddev, _shape(shape))
    return Tensor(values.astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from ``[minval, maxval)``."""
    dtype = _float(dtype)
    values = generator(seed).uniform(minval, maxval, _shape(shape))
    return Tensor(values.astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    dtype = _float(dtype)
    rng = generator(seed)
    values = rng.standard_normal(_shape(shape))
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return Tensor((values * stddev + mean).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in ``[minval, maxval)``."""
    values = generator(seed).integers(minval, maxval, _shape(shape))
    return Tensor(values.astype(standardize_dtype(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class ids per row, drawn from ``softmax(logits)``."""
    logits = np.asarray(data_of(logits), dtype="float64")
    if logits.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits={logits.shape}")
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = generator(seed)
    cdf = np.cumsum(p, axis=-1)
    draws = rng.random((logits.shape[0], int(num_samples)))
    ids = (draws[..., None] > cdf[:, None, :]).sum(axis=-1)
    return Tensor(np.minimum(ids, logits.shape[1] - 1).astype(standardize_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with a fraction ``rate`` of entries zeroed, the rest scaled by
    ``1 / (1 - rate)``; ``noise_shape`` (``None`` entries follow ``inputs``) shares the mask."""
    x = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    shape = x.shape if noise_shape is None else tuple(
        d if n is None else n for n, d in zip(noise_shape, x.shape))
    keep = generator(seed).random(shape) >= rate
    return x * (keep / (1.0 - rate)).astype(x.dtype)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` permuted."""
    values = np.array(data_of(x), copy=True)
    generator(seed).shuffle(np.moveaxis(values, axis, 0))
    return Tensor(values)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of a Gamma distribution with concentration ``alpha`` (scale 1)."""
    return Tensor(generator(seed).gamma(alpha, 1.0, _shape(shape)).astype(_float(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial samples (as floats, like Keras)."""
    values = generator(seed).binomial(np.asarray(data_of(counts)),
                                      np.asarray(data_of(probabilities)), _shape(shape))
    return Tensor(values.astype(_float(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of a Beta distribution."""
    values = generator(seed).beta(np.asarray(data_of(alpha)), np.asarray(data_of(beta)),
                                  _shape(shape))
    return Tensor(values.astype(_float(dtype)))


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
