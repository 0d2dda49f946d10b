"""``keras.ops.rearrange``: einops-style axis rearrangement, as one reshape (splitting grouped
input axes), one transpose and one reshape (merging grouped output axes), so its gradient is
theirs.

Example:
    >>> import numpy as np
    >>> from numdeep import ops
    >>> images = np.zeros((2, 6, 4, 3), "float32")
    >>> ops.rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2).shape
    (2, 3, 2, 12)
"""

import re

from numdeep.ops.core import convert_to_tensor
from numdeep.ops.numpy_shape import reshape, transpose

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(\s*[\w\s]*\)|\w+|\S")


def _groups(side, pattern):
    """``"b (h w) c"`` as ``[["b"], ["h", "w"], ["c"]]``."""
    groups = []
    for token in _TOKEN.findall(side):
        if token.startswith("("):
            groups.append(token[1:-1].split())
        elif re.fullmatch(r"\w+", token):
            groups.append([token])
        else:
            raise ValueError(f"rearrange: unexpected {token!r} in pattern {pattern!r}.")
    return groups


def _parse(pattern):
    if pattern.count("->") != 1:
        raise ValueError(f"rearrange: `pattern` must have one '->'. Received: {pattern!r}")
    left, right = (_groups(side, pattern) for side in pattern.split("->"))
    names_in = [a for g in left for a in g]
    names_out = [a for g in right for a in g]
    if len(set(names_in)) != len(names_in) or sorted(names_in) != sorted(names_out):
        raise ValueError(f"rearrange: each axis name must appear once on each side of the "
                         f"pattern. Received: {pattern!r}")
    return left, right


def _sizes(left, shape, lengths, pattern):
    """Each axis name's size: from the input's shape, or from ``lengths`` (at most one unknown
    name per group is inferred by division)."""
    if len(left) != len(shape):
        raise ValueError(f"rearrange: the pattern {pattern!r} names {len(left)} input axes but "
                         f"the input has shape {shape}.")
    sizes = {}
    for group, dim in zip(left, shape):
        unknown = [a for a in group if a not in lengths]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}; "
                             f"pass all but one of them as keyword arguments.")
        known = 1
        for a in group:
            if a in lengths:
                known *= int(lengths[a])
        if known == 0 or (dim % known if unknown else dim != known):
            raise ValueError(f"rearrange: an axis of size {dim} cannot split into {group} "
                             f"with sizes {lengths} ({pattern!r}).")
        for a in group:
            sizes[a] = int(lengths[a]) if a in lengths else dim // known
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange the axes of ``tensor`` by an einops pattern (``"b h w c -> b (h w) c"``).

    Args:
        tensor: the input.
        pattern: ``"input axes -> output axes"``; a parenthesized group on the left splits an
            axis, on the right merges axes.
        **axes_lengths: sizes of split axes (all but one per group).

    Returns:
        The rearranged Tensor (differentiable: a reshape, a transpose and a reshape).

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> x = np.arange(6).reshape(2, 3)
        >>> ops.rearrange(x, "a b -> b a").shape, ops.rearrange(x, "a b -> (b a)").numpy()
        ((3, 2), array([0, 3, 1, 4, 2, 5]))
    """
    x = convert_to_tensor(tensor)
    left, right = _parse(pattern)
    sizes = _sizes(left, x.shape, axes_lengths, pattern)
    names_in = [a for g in left for a in g]
    split = tuple(sizes[a] for a in names_in)
    if split != x.shape:
        x = reshape(x, split)
    order = [names_in.index(a) for g in right for a in g]
    if order != sorted(order):
        x = transpose(x, order)
    merged = []
    for group in right:
        size = 1
        for a in group:
            size *= sizes[a]
        merged.append(size)
    return reshape(x, tuple(merged)) if tuple(merged) != x.shape else x
