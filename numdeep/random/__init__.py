"""Random numbers with Keras's ``keras.random`` names, and ``SeedGenerator``.

Every function takes ``seed``: an int gives the same values on every call (Keras's stateless
seeding), a ``SeedGenerator`` advances its own state on each call, so a layer that owns one
draws a new, reproducible mask every step, and ``None`` draws from the global generator, which
``numdeep.utils.set_random_seed`` resets. The global ``np.random`` state is never touched.

Example:
    >>> from numdeep import random
    >>> gen = random.SeedGenerator(42)
    >>> a = random.uniform((2,), seed=gen)
    >>> b = random.uniform((2,), seed=gen)
    >>> bool((a.numpy() != b.numpy()).all()), random.normal((3,), seed=7).shape
    (True, (3,))
"""

from numdeep.random.random import (
    beta,
    binomial,
    categorical,
    dropout,
    gamma,
    normal,
    randint,
    seed_generators_of,
    shuffle,
    truncated_normal,
    uniform,
)
from numdeep.random.seed_generator import (
    SeedGenerator,
    draw_seed,
    global_seed_generator,
    make_default_seed,
    numpy_generator,
    random_seed_dtype,
)

__all__ = [
    "SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
    "dropout", "shuffle", "gamma", "binomial", "beta", "seed_generators_of", "draw_seed",
    "global_seed_generator", "make_default_seed", "random_seed_dtype", "numpy_generator",
]
