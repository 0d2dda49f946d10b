"""Weight initializers with Keras 3 names, defaults, formulas and configs.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array of dtype
``floatx()`` (float32) by default.

Seeding:
    * ``seed=None`` (the default) draws fresh values on every call from numdeep's global generator
      (``numdeep.backend.random.default_rng()``), so ``numdeep.utils.set_random_seed(s)`` makes a
      whole model's initial weights reproducible.
    * An ``int`` seed makes the instance deterministic: every call with the same shape returns the
      same values (Keras 3 semantics for seeded initializers). Sharing one seeded instance between
      two layers of the same shape therefore gives them identical weights.

The global ``np.random`` state is never read or changed.

Example:
    >>> from numdeep import initializers
    >>> w = initializers.get("glorot_uniform")((64, 32))
    >>> w.shape, w.dtype
    ((64, 32), dtype('float32'))
    >>> initializers.serialize(initializers.HeNormal(seed=1))["class_name"]
    'HeNormal'
"""

import math

import numpy as np

from numdeep import registry
from numdeep.backend import floatx
from numdeep.backend.random import default_rng

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal", "Orthogonal", "Identity", "compute_fans", "get", "serialize", "deserialize",
]

# Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that
# truncated-normal draws keep the intended variance.
_TRUNC_STD = 0.87962566103423978


def compute_fans(shape):
    """Return ``(fan_in, fan_out)`` for a weight shape, the way Keras computes them.

    Args:
        shape: the weight shape. For >2-D (convolution) kernels laid out ``(*spatial, in, out)``
            both fans are multiplied by the receptive-field size ``prod(spatial)``.

    Returns:
        A pair of ints.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
        >>> compute_fans((10, 5))
        (10, 5)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _shape(shape):
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"Initializer shape must have non-negative dims. Received: shape={shape}")
    return shape


def _float_dtype(dtype, who):
    dtype = np.dtype(dtype or floatx())
    if dtype.kind != "f":
        raise ValueError(f"{who} only supports float dtypes. Received: dtype={dtype}")
    return dtype


def _check_seed(seed, who):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ValueError(f"{who} `seed` must be an int or None. Received: seed={seed!r}")
    return None if seed is None else int(seed)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """Fill with zeros.

    Example:
        >>> Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(_shape(shape), dtype=np.dtype(dtype or floatx()))


class Ones(Initializer):
    """Fill with ones.

    Example:
        >>> Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return np.ones(_shape(shape), dtype=np.dtype(dtype or floatx()))


class Constant(Initializer):
    """Fill with a constant value (a scalar, or an array broadcastable to the shape).

    Args:
        value: the fill value.

    Example:
        >>> Constant(0.5)((3,))
        array([0.5, 0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        return np.array(np.broadcast_to(np.asarray(self.value), shape), dtype=dtype or floatx())

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray | np.generic):
            value = value.tolist()
        return {"value": value}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and hands out generators."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed, type(self).__name__)

    def _rng(self):
        # A seeded instance restarts its own stream each call (Keras 3: same values every call).
        return default_rng() if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal draws, redrawing any beyond two standard deviations (as Keras/TF do)."""
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return mean + stddev * z


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
        dtype = _float_dtype(dtype, "RandomNormal")
        out = self._rng().normal(self.mean, self.stddev, _shape(shape))
        return out.astype(dtype)

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
        dtype = _float_dtype(dtype, "RandomUniform")
        out = self._rng().uniform(self.minval, self.maxval, _shape(shape))
        return out.astype(dtype)

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
        dtype = _float_dtype(dtype, "TruncatedNormal")
        return _truncated_normal(self._rng(), _shape(shape), self.mean, self.stddev).astype(dtype)

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
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            out = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNC_STD)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            out = rng.uniform(-limit, limit, shape)
        return out.astype(dtype)

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
        dtype = _float_dtype(dtype, "Orthogonal")
        shape = _shape(shape)
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


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; non-square gets ``eye(rows, cols)``).

    Args:
        gain: multiplicative factor.

    Example:
        >>> Identity(2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape. Received: shape={shape}")
        return (self.gain * np.eye(*shape)).astype(dtype or floatx())

    def get_config(self):
        return {"gain": self.gain}


_KIND = registry.Kind("initializer", "keras.initializers", base=Initializer)
for _cls, *_aliases in (
        (Zeros, "zeros", "zero"), (Ones, "ones", "one"), (Constant, "constant"),
        (RandomNormal, "random_normal", "normal"), (RandomUniform, "random_uniform", "uniform"),
        (TruncatedNormal, "truncated_normal"), (VarianceScaling, "variance_scaling"),
        (GlorotUniform, "glorot_uniform"), (GlorotNormal, "glorot_normal"),
        (HeUniform, "he_uniform"), (HeNormal, "he_normal"), (LecunUniform, "lecun_uniform"),
        (LecunNormal, "lecun_normal"), (Orthogonal, "orthogonal", "OrthogonalInitializer"),
        (Identity, "identity", "IdentityInitializer")):
    _KIND.register(_cls, *_aliases)


def serialize(initializer):
    """Return the Keras 3 config dict of an initializer (``None`` for ``None``).

    Args:
        initializer: an ``Initializer`` instance.

    Returns:
        ``{'module': 'keras.initializers', 'class_name': ..., 'config': ..., 'registered_name':
        None}``.

    Example:
        >>> serialize(Constant(0.1))
        {'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 0.1}, \
'registered_name': None}
    """
    if initializer is not None and not isinstance(initializer, Initializer):
        raise ValueError(f"Cannot serialize {initializer!r}: only numdeep Initializer instances "
                         "have a config.")
    return _KIND.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Build an initializer from a Keras config dict ``{'class_name': ..., 'config': ...}``."""
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Resolve an initializer from a name, a config dict, an instance, a class or a callable.

    Args:
        identifier: ``None`` (returns None), a string (``'glorot_uniform'``, ``'GlorotUniform'``),
            a Keras config dict, an ``Initializer`` instance or class, or any callable
            ``fn(shape, dtype=None)``.
        custom_objects: optional ``{name: class}`` extra names.

    Returns:
        A callable initializer (instances are returned as given, classes instantiated).

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
        >>> get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}})
        RandomUniform(minval=0.0, maxval=1.0, seed=None)
    """
    return _KIND.get(identifier, custom_objects)
