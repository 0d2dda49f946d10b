"""Pieces the attention layers share: boolean masks (padding, causal, sliding window), their
merging and broadcasting, and initializer cloning.

Masks here are NumPy/CuPy boolean arrays, never Tensors: they carry no gradient."""

import numpy as np

from numdeep import initializers
from numdeep.autograd import data_of
from numdeep.autograd.primitives import Reshape
from numdeep.backend import xp_of


def as_bool(mask):
    """``mask`` as a boolean array (``None`` stays ``None``); non-boolean masks keep the
    entries above 0.5, as Keras's ``Softmax`` does."""
    if mask is None:
        return None
    mask = data_of(mask)
    xp = xp_of(mask)
    mask = xp.asarray(mask)
    return mask if mask.dtype == bool else mask > 0.5


def causal_mask(t, s):
    """``(t, s)`` boolean mask letting query ``i`` see keys ``j <= i``."""
    return np.tril(np.ones((t, s), dtype=bool))


def sliding_window_mask(t, s, window):
    """``(t, s)`` boolean band: query ``i`` sees keys ``j`` with ``|i - j| < window``."""
    return np.abs(np.arange(t)[:, None] - np.arange(s)[None, :]) < window


def merge_masks(a, b):
    """Both masks (``None`` means no mask)."""
    return b if a is None else (a if b is None else a & b)


def padding_and_causal_mask(t, s, query_mask=None, value_mask=None, key_mask=None,
                            use_causal_mask=False, sliding_window=None):
    """The ``(batch or 1, t, s)`` mask of the padding masks ``(batch, t)`` / ``(batch, s)``, a
    causal mask and a sliding window, merged with ``&``; ``None`` when there is none."""
    mask = None
    if query_mask is not None:
        mask = as_bool(query_mask)[:, :, None]
    for m in (value_mask, key_mask):
        if m is not None:
            mask = merge_masks(mask, as_bool(m)[:, None, :])
    if use_causal_mask:
        mask = merge_masks(mask, causal_mask(t, s)[None])
    if sliding_window is not None:
        mask = merge_masks(mask, sliding_window_mask(t, s, sliding_window)[None])
    return mask


def expand_mask(mask, rank, n_attention_axes):
    """``mask`` with axes added before its query/key axes (Keras's rule: at
    ``-2 * n_attention_axes - 1``) until it has ``rank`` axes, so a ``(batch, T, S)`` mask
    broadcasts over the heads of ``(batch, heads, T, S)`` scores."""
    if mask is None:
        return None
    at = max(mask.ndim - 2 * n_attention_axes, 0)
    shape = mask.shape
    while len(shape) < rank:
        shape = shape[:at] + (1,) + shape[at:]
    if shape == mask.shape:
        return mask
    # The mask array is reshaped by an op, so that a plan sees where the result comes from
    # (a padding mask is each batch's own) instead of taking it for a constant.
    return Reshape.apply(mask, shape=shape).data


def clone_initializer(init):
    # Separate instances per sublayer, as Keras does, so a seeded initializer is not shared.
    if isinstance(init, initializers.Initializer):
        return type(init).from_config(init.get_config())
    return init
