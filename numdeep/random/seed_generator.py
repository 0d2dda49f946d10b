"""``SeedGenerator`` and the seeds random functions draw (Keras's ``keras.random`` seeding).

A seed is a pair ``[seed, counter]`` of ``random_seed_dtype()`` integers that fully decides the
numbers a random function returns. An int ``seed=`` gives ``[seed, 0]`` every time (stateless:
the same values on every call); a ``SeedGenerator`` hands out ``[seed, 0]``, ``[seed, 1]``, ...
(a new draw each call, the same stream for the same seed); ``seed=None`` draws from the global
generator, which ``numdeep.utils.set_random_seed`` resets.
"""

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor, Variable, data_of
from numdeep.backend import name_scope, unique_name
from numdeep.backend import random as backend_random

__all__ = ["SeedGenerator", "global_seed_generator", "make_default_seed", "draw_seed",
           "random_seed_dtype", "numpy_generator"]

_UINT64 = (1 << 64) - 1
_GLOBAL = {"generator": None, "rng": None}


def random_seed_dtype():
    """The dtype of seeds and of ``SeedGenerator.state``: ``'int64'``."""
    return "int64"


def _as_int64(value):
    # Any Python int maps onto int64 (wrapping), so seeds past 2**63 stay usable.
    value = int(value) & _UINT64
    return value - (1 << 64) if value >= 1 << 63 else value


class SeedGenerator:
    """A stream of seeds: each random call given this generator gets fresh numbers, and the
    stream is the same for the same ``seed``.

    Args:
        seed: an int (a reproducible stream) or ``None`` (a seed drawn from numdeep's global
            generator, so ``set_random_seed`` makes it reproducible too).
        name: the generator's name (default ``seed_generator``, made unique).

    Its ``state`` is a non-trainable ``int64`` ``Variable`` ``[seed, counter]``; ``next()``
    returns it and advances the counter.

    Example:
        >>> from numdeep import random
        >>> gen = random.SeedGenerator(seed=42)
        >>> gen.next().numpy().tolist(), gen.next().numpy().tolist()
        ([42, 0], [42, 1])
        >>> a = random.uniform((2,), seed=random.SeedGenerator(7))
        >>> b = random.uniform((2,), seed=random.SeedGenerator(7))
        >>> bool((a.numpy() == b.numpy()).all())
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)  # Keras lets a data layer pick another backend's ops
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        with name_scope(self.name, caller=self):
            self.state = Variable(np.array([_as_int64(seed), 0], dtype=random_seed_dtype()),
                                  trainable=False, name="seed_generator_state")

    def next(self, ordered=True):
        """Return the current seed pair and advance the state: the counter goes up by one
        (``ordered``), or the pair is scrambled (the global generator's unordered stream)."""
        current = np.array(data_of(self.state), copy=True)
        advanced = current + np.array([0, 1]) if ordered else (current + 1) * 5387 % 933199
        # A new array rather than an update in place: values read from the state before (its
        # `.value`, a returned seed) keep what they were, as in Keras.
        self.state.data = advanced.astype(current.dtype)
        return Tensor(current)

    def get_config(self):
        """``{'seed', 'name'}``: the constructor arguments."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuild a generator from ``get_config()``."""
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name}, state={data_of(self.state).tolist()}>"


def make_default_seed():
    """A fresh seed in ``[1, 1e9]`` from numdeep's global generator."""
    return int(backend_random.default_rng().integers(1, int(1e9), endpoint=True))


def global_seed_generator():
    """The generator behind ``seed=None``; created again after ``set_random_seed`` (which
    replaces numdeep's global generator), so unseeded draws repeat after re-seeding.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.random import global_seed_generator
        >>> nd.utils.set_random_seed(3)
        >>> first = global_seed_generator().state.numpy().tolist()
        >>> nd.utils.set_random_seed(3)
        >>> global_seed_generator().state.numpy().tolist() == first
        True
    """
    rng = backend_random.default_rng()
    if _GLOBAL["generator"] is None or _GLOBAL["rng"] is not rng:
        _GLOBAL["generator"] = SeedGenerator(name="global_seed_generator")
        _GLOBAL["rng"] = rng
    return _GLOBAL["generator"]


def draw_seed(seed):
    """The seed pair (an ``int64`` Tensor of shape ``(2,)``) a random call uses for ``seed``:
    an int gives ``[seed, 0]``, a ``SeedGenerator`` its next pair, ``None`` the global
    generator's next pair.

    Example:
        >>> from numdeep.random import SeedGenerator, draw_seed
        >>> draw_seed(9).numpy().tolist(), draw_seed(SeedGenerator(4)).numpy().tolist()
        ([9, 0], [4, 0])
    """
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return Tensor(np.array([_as_int64(seed), 0], dtype=random_seed_dtype()))
    if seed is None:
        return global_seed_generator().next(ordered=False)
    raise ValueError(f"Argument `seed` must be either an integer or an instance of "
                     f"`SeedGenerator`. Received: seed={seed} (of type {type(seed)})")


def numpy_generator(seed):
    """The ``numpy.random.Generator`` that ``seed`` (as ``draw_seed`` takes it) decides."""
    pair = np.asarray(data_of(draw_seed(seed)), dtype=np.int64).astype(np.uint64)
    return np.random.default_rng([int(v) for v in pair])


SEED_GENERATORS = registry.Kind("seed_generator", "keras.random", base=SeedGenerator,
                                label="seed generator")
SEED_GENERATORS.register(SeedGenerator)
