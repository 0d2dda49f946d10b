"""Pieces the attention layers share: mask helpers and initializer cloning."""

import numpy as np

from numdeep import initializers


def causal_mask(t, s):
    """``(t, s)`` boolean mask letting query ``i`` see keys ``j <= i``."""
    return np.tril(np.ones((t, s), dtype=bool))


def merge_masks(a, b):
    """Both masks (``None`` means no mask)."""
    return b if a is None else (a if b is None else a & b)


def clone_initializer(init):
    # Separate instances per sublayer, as Keras does, so a seeded initializer is not shared.
    if isinstance(init, initializers.Initializer):
        return type(init).from_config(init.get_config())
    return init
