"""Gradient clipping as Keras computes it: per gradient by norm or value, or by the global norm.

Each function returns new arrays (or the input array itself when nothing changes): gradients
handed to an optimizer are never mutated.

Example:
    >>> import numpy as np
    >>> from numdeep.optimizers._clipping import clip_by_global_norm, clip_by_norm
    >>> clip_by_norm(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    >>> [g.tolist() for g in clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)]
    [[0.6], [0.8]]
"""

import math

from numdeep.backend import xp_of


def _squared_norm(g):
    flat = g.reshape(-1)
    return float(xp_of(g).vdot(flat, flat))


def clip_by_norm(g, clipnorm):
    """``g * clipnorm / max(||g||, clipnorm)``: unchanged when its L2 norm is within bound."""
    norm = math.sqrt(_squared_norm(g))
    if norm <= clipnorm:
        return g
    return g * (clipnorm / norm)


def clip_by_value(g, clipvalue):
    """Every element clipped to ``[-clipvalue, clipvalue]``."""
    return xp_of(g).clip(g, -clipvalue, clipvalue)


def clip_by_global_norm(grads, clipnorm):
    """All gradients scaled together so their joint L2 norm is at most ``clipnorm``.

    As in Keras, a non-finite global norm turns every gradient into NaN (the step is then
    visibly broken instead of silently skipped).
    """
    norm = math.sqrt(sum(_squared_norm(g) for g in grads))
    if math.isfinite(norm) and norm <= clipnorm:
        return list(grads)
    scale = clipnorm / norm if math.isfinite(norm) else math.nan
    return [g * scale for g in grads]
