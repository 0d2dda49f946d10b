"""Pieces the attention layers share: mask helpers and the symbolic ``return_attention_scores``
flag."""

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



class ScoresFlag:
    """Whether the symbolic call being traced asked for ``return_attention_scores``."""

    _symbolic_scores = False

    def _call_symbolic(self, inputs, training=None, **kwargs):
        self._symbolic_scores = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._call_symbolic(inputs, training=training, **kwargs)
        finally:
            self._symbolic_scores = False
