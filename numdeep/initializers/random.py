"""Random initializers: normal, uniform and truncated normal draws, ``VarianceScaling`` and its
named forms (Glorot, He, LeCun), and ``Orthogonal``."""

import math

import numpy as np

from numdeep.backend.random import default_rng
from numdeep.initializers.base import (
    _TRUNC_STD,
    Initializer,
    check_seed,
    compute_fans,
    float_dtype,
    normalize_shape,
)


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and hands out generators."""

    def __init__(self, seed=None):
        self.seed = check_seed(seed, type(self).__name__)

    def _rng(self):
        # A seeded instance restarts its own stream each call (Keras 3: same values every call).
        return default_rng() if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


# Draws are made in float64 a block at a time and written into the weight's own dtype: the
# values are those of one whole-array draw, without a float64 copy of a large weight.
_BLOCK = 1 << 18


def _drawn(shape, dtype, draw):
    """An array of ``dtype`` filled by ``draw(n)`` (n float64 values) block by block."""
    out = np.empty(shape, dtype)
    flat = out.reshape(-1)
    for start in range(0, flat.size, _BLOCK):
        flat[start:start + _BLOCK] = draw(min(_BLOCK, flat.size - start))
    return out


def _truncated_normal(rng, shape, mean, stddev, dtype):
    """Normal draws, redrawing any beyond two standard deviations (as Keras/TF do), in position
    order until none is left."""
    out = np.empty(shape, dtype)
    flat, redraw = out.reshape(-1), []
    for start in range(0, flat.size, _BLOCK):
        z = rng.standard_normal(min(_BLOCK, flat.size - start))
        flat[start:start + z.size] = mean + stddev * z
        redraw.append(np.flatnonzero(np.abs(z) > 2.0) + start)
    index = np.concatenate(redraw) if redraw else np.zeros(0, np.intp)
    while index.size:
        z = rng.standard_normal(index.size)
        ok = np.abs(z) <= 2.0
        flat[index[ok]] = mean + stddev * z[ok]
        index = index[~ok]
    return out


class RandomNormal(RandomInitializer):
    """Draw from a normal distribution.

    Args:
        mean: mean of the distribution.
        stddev: standard deviation.
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> RandomNormal(stddev=1.0, seed=0)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, "RandomNormal")
        rng = self._rng()
        return _drawn(normalize_shape(shape), dtype,
                      lambda n: rng.normal(self.mean, self.stddev, n))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Draw uniformly from ``[minval, maxval)``.

    Args:
        minval: lower bound.
        maxval: upper bound.
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> w = RandomUniform(-1.0, 1.0, seed=0)((100,))
        >>> bool((w >= -1).all() and (w < 1).all())
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, "RandomUniform")
        rng = self._rng()
        return _drawn(normalize_shape(shape), dtype,
                      lambda n: rng.uniform(self.minval, self.maxval, n))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomInitializer):
    """Draw from a normal distribution, redrawing values beyond two standard deviations.

    Args:
        mean: mean of the distribution.
        stddev: standard deviation of the (untruncated) normal.
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, "TruncatedNormal")
        return _truncated_normal(self._rng(), normalize_shape(shape), self.mean, self.stddev,
                                 dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(RandomInitializer):
    """Scale the variance to the weight's fans (the family behind Glorot, He and LeCun).

    With ``n`` = fan_in, fan_out or their average (``mode``), the target variance is
    ``scale / n``: ``'truncated_normal'`` draws a normal truncated at two standard deviations with
    stddev ``sqrt(scale / n) / 0.8796...`` (so the truncated variance is right),
    ``'untruncated_normal'`` a plain normal, ``'uniform'`` draws from ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: positive scaling factor.
        mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'``.
        distribution: ``'truncated_normal'`` (``'normal'`` is an alias), ``'untruncated_normal'``
            or ``'uniform'``.
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> w = VarianceScaling(2.0, "fan_in", "uniform", seed=0)((1000, 100))
        >>> round(float(w.var()) * 1000, 1)
        2.0
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if not scale > 0.0:
            raise ValueError(f"VarianceScaling `scale` must be positive. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling `mode` must be one of {self._MODES}. "
                             f"Received: mode={mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling `distribution` must be one of "
                             f"{self._DISTRIBUTIONS}. Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, type(self).__name__)
        shape = normalize_shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            return _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNC_STD, dtype)
        if self.distribution == "untruncated_normal":
            return _drawn(shape, dtype, lambda n: rng.normal(0.0, math.sqrt(variance), n))
        limit = math.sqrt(3.0 * variance)
        return _drawn(shape, dtype, lambda n: rng.uniform(-limit, limit, n))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling preset whose only argument is ``seed``."""

    _PRESET = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._PRESET, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot/Xavier uniform: ``limit = sqrt(6 / (fan_in + fan_out))`` (Dense/Conv default).

    Args:
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> w = GlorotUniform(seed=0)((3, 3))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot/Xavier truncated normal: variance ``2 / (fan_in + fan_out)``."""

    _PRESET = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``limit = sqrt(6 / fan_in)`` (suits ReLU networks)."""

    _PRESET = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He truncated normal: variance ``2 / fan_in`` (suits ReLU networks)."""

    _PRESET = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``limit = sqrt(3 / fan_in)``."""

    _PRESET = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun truncated normal: variance ``1 / fan_in`` (the SELU default)."""

    _PRESET = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix from the QR of a normal draw (the LSTM recurrent default).

    Shapes with more than two dims are treated as ``(prod(shape[:-1]), shape[-1])`` and reshaped
    back; non-square matrices get orthonormal rows or columns, whichever there are fewer of.

    Args:
        gain: multiplicative factor.
        seed: int for reproducible values, or None to use numdeep's global generator.

    Example:
        >>> q = Orthogonal(seed=0)((4, 4)).astype("float64")
        >>> bool(np.allclose(q.T @ q, np.eye(4), atol=1e-6))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, "Orthogonal")
        shape = normalize_shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape with at least 2 dims. "
                             f"Received: shape={shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        # The sign fix makes Q uniformly distributed over orthogonal matrices (Mezzadri 2007).
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
