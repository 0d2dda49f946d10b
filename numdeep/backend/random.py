"""Random number generators owned by numdeep; the global ``np.random`` state is never touched.

``set_seed(s)`` re-seeds numdeep's own generator, so weight initialisation, dropout masks and
shuffling become reproducible run to run. Objects given their own ``seed=`` get a private generator.
"""

import numpy as np

# Created on first use: numpy.random costs ~12 ms to import, which `import numdeep` need not pay.
_STATE = {"rng": None}


def set_seed(seed):
    """Re-seed numdeep's global generator (used by layers and ``fit`` without their own seed)."""
    _STATE["rng"] = np.random.default_rng(seed)


def default_rng():
    """Return numdeep's global ``numpy.random.Generator``."""
    if _STATE["rng"] is None:
        _STATE["rng"] = np.random.default_rng()
    return _STATE["rng"]


def make_rng(seed=None):
    """Return a private generator for ``seed``, or one drawn from the global generator if None."""
    if seed is None:
        return np.random.default_rng(default_rng().integers(0, 2**63 - 1))
    return np.random.default_rng(seed)


def get_state():
    """The global generator's state (a JSON-serialisable dict), for exact training resume."""
    return default_rng().bit_generator.state


def set_state(state):
    """Restore the global generator from ``get_state()``'s dict."""
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    _STATE["rng"] = rng
