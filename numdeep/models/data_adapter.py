"""Checks and batches the arrays given to ``fit``/``evaluate``/``predict``."""

import math

import numpy as np

from numdeep import tree
from numdeep.backend import floatx


def _to_array(value, what):
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except ValueError as e:
        raise ValueError(f"`{what}` could not be converted to an array: {e}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(
            f"`{what}` must hold numbers; received an array of dtype {arr.dtype}"
            + (" (ragged nested lists?)" if arr.dtype == object else "") + "."
        )
    if arr.dtype == np.float64:
        arr = arr.astype(floatx())
    if arr.ndim == 0:
        raise ValueError(f"`{what}` must be an array of samples; received a scalar {arr!r}.")
    return arr


def _check_finite(arr, what):
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[:3]
        rows = sorted({int(i[0]) for i in bad})
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(
            f"`{what}` contains {kind} values (first at sample indices {rows}). Clean the data "
            f"or pass check_finite=False to allow non-finite values."
        )


class ArrayData:
    """In-memory ``x``/``y``/``sample_weight`` arrays, validated once, sliced into batches.

    ``x`` and ``y`` may be arrays or lists/dicts of arrays (multi-input/multi-output models).
    """

    def __init__(self, x, y=None, sample_weight=None, caller="fit", check_finite=True):
        if x is None:
            raise ValueError(f"{caller}() needs input data `x`; received x=None.")
        self.x = tree.map_structure(lambda v: _to_array(v, "x"), x, is_leaf=_is_array_like)
        self.y = None if y is None else tree.map_structure(lambda v: _to_array(v, "y"), y,
                                                       is_leaf=_is_array_like)
        self.sample_weight = None if sample_weight is None else _to_array(sample_weight,
                                                                          "sample_weight")
        named = _named_leaves("x", self.x) + _named_leaves("y", self.y)
        if self.sample_weight is not None:
            named.append(("sample_weight", self.sample_weight))
        sizes = {what: len(a) for what, a in named}
        if len(set(sizes.values())) > 1:
            detail = ", ".join(f"{k}: {v}" for k, v in sizes.items())
            raise ValueError(
                f"{caller}(): all arrays must have the same number of samples; received "
                f"{detail}."
            )
        self.n = len(named[0][1])
        if self.n == 0:
            raise ValueError(f"{caller}() received empty data: x has 0 samples.")
        if check_finite:
            for what, a in named:
                _check_finite(a, what)

    def take(self, index):
        """The batch at ``index`` (a slice or an integer array) as ``(x, y, sample_weight)``."""

        def pick(a):
            return a[index]

        x = tree.map_structure(pick, self.x)
        if self.y is None:
            return (x,)  # packed as Keras does: train_step(data) receives (x,), (x, y), (x, y, w)
        y = tree.map_structure(pick, self.y)
        if self.sample_weight is None:
            return x, y
        return x, y, self.sample_weight[index]

    def split(self, validation_split):
        """Split off the LAST ``validation_split`` fraction (before shuffling, as Keras does)."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"`validation_split` must be in [0, 1). Received: {validation_split}")
        n_val = int(math.floor(self.n * validation_split))
        n_train = self.n - n_val
        if n_val == 0 or n_train == 0:
            raise ValueError(
                f"validation_split={validation_split} on {self.n} samples leaves "
                f"{n_train} for training and {n_val} for validation; both must be > 0."
            )
        train, val = _Subset(self, slice(0, n_train)), _Subset(self, slice(n_train, self.n))
        return train, val


class _Subset(ArrayData):
    def __init__(self, parent, index):  # noqa: D107 - slices of already-validated arrays
        self.x, self.y, self.sample_weight = (*parent.take(index), None, None)[:3]
        self.n = index.stop - index.start


def _named_leaves(what, structure):
    if structure is None:
        return []
    leaves = tree.flatten(structure)
    if len(leaves) == 1:
        return [(what, leaves[0])]
    return [(f"{what}[{i}]", a) for i, a in enumerate(leaves)]


def batch_slices(n, batch_size, shuffle=False, rng=None):
    """Yield batch indices over ``n`` samples: slices in order, or index arrays when shuffled."""
    if shuffle:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]
    else:
        for start in range(0, n, batch_size):
            yield slice(start, min(start + batch_size, n))


def _is_array_like(v):
    return isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype")) or (
        isinstance(v, list | tuple) and len(v) > 0 and not isinstance(v[0], np.ndarray)
        and not hasattr(v[0], "shape")
    )
