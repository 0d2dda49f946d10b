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

from numdeep import registry
from numdeep.initializers.base import Initializer, compute_fans
from numdeep.initializers.constant import Constant, Identity, Ones, Zeros
from numdeep.initializers.random import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from numdeep.initializers.random import (
    RandomInitializer as RandomInitializer,
)

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal", "Orthogonal", "Identity", "compute_fans", "get", "serialize", "deserialize",
]

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
