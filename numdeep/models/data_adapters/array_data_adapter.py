"""``ArrayDataAdapter``: in-memory arrays (NumPy, PyTorch tensors, nested lists of numbers, or
lists/dicts of them), checked once and sliced into batches."""

import math
import numbers

import numpy as np

from numdeep import tree
from numdeep.backend import default_rng, floatx
from numdeep.models.data_adapters.data_adapter_utils import (
    DataAdapter,
    class_weight_to_sample_weights,
    get_torch_dataloader,
    is_torch_tensor,
    pack_x_y_sample_weight,
)

__all__ = ["ArrayDataAdapter", "can_convert_arrays"]


def is_array_like(value):
    """Whether ``value`` is one array: a NumPy array, a tensor (anything with ``__array__`` or
    ``shape`` and ``dtype``), or a non-empty nested list/tuple of numbers."""
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") or (
            hasattr(value, "shape") and hasattr(value, "dtype")):
        return True
    if not isinstance(value, list | tuple) or not value:
        return False
    while isinstance(value, list | tuple) and value:
        value = value[0]
    return isinstance(value, numbers.Number)


def can_convert_arrays(arrays):
    """Whether every leaf of ``arrays`` (a structure; ``None`` leaves allowed) is array-like.

    Example:
        >>> can_convert_arrays((np.zeros((2, 1)), [[1.0], [2.0]], None))
        True
        >>> can_convert_arrays({"x": "text"})
        False
    """
    leaves = []
    tree.map_structure(leaves.append, arrays, is_leaf=is_array_like)
    return all(v is None or is_array_like(v) for v in leaves)


def _to_array(value, what):
    if value is None:
        return None  # an optional input left out (or an output without targets)
    if not (is_array_like(value) or isinstance(value, numbers.Number)):
        raise ValueError(
            f"Expected all elements of `x` to be array-like (arrays, tensors or nested lists of "
            f"numbers, alone or in lists/dicts, for `x`, `y` and `sample_weight`). Received "
            f"invalid types: {what}={value!r:.100} (of type {type(value).__name__})")
    if is_torch_tensor(value):
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except ValueError as e:
        raise ValueError(f"`{what}` could not be converted to an array: {e}") from None
    # Raw strings feed a model whose first layer is TextVectorization/StringLookup/Hashing.
    if arr.ndim and (arr.dtype.kind in "US" or (arr.dtype == object and all(
            isinstance(v, str | bytes) for v in arr.reshape(-1)))):
        return arr
    # Complex numbers and dates would be cast to floats silently (the imaginary part dropped).
    if arr.dtype == object or arr.dtype.kind in "USVcmM":
        raise TypeError(
            f"`{what}` must hold real numbers; received an array of dtype {arr.dtype}"
            + (" (ragged nested lists?)" if arr.dtype == object else "") + ".")
    if arr.ndim == 0:
        raise ValueError(f"`{what}` must be an array of samples; received a scalar {arr!r}.")
    if arr.dtype.kind == "f" and arr.dtype != np.dtype(floatx()):
        arr = arr.astype(floatx())  # as Keras: every float input becomes floatx
    return arr


def _arrays(structure, what):
    return tree.map_structure(lambda v: _to_array(v, what), structure, is_leaf=is_array_like)


def _check_finite(arr, what):
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[:3]
        rows = sorted({int(i[0]) for i in bad})
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(
            f"`{what}` contains {kind} values (first at sample indices {rows}). Clean the data "
            f"or pass check_finite=False to allow non-finite values.")


def _named_leaves(what, structure):
    if structure is None:
        return []
    leaves = tree.flatten(structure)
    if len(leaves) == 1:
        return [(what, leaves[0])] if leaves[0] is not None else []
    return [(f"{what}[{i}]", a) for i, a in enumerate(leaves) if a is not None]


def _shapes(structure):
    return tree.map_structure(lambda a: None if a is None else tuple(np.shape(a)), structure)


def _sample_weights(sample_weight, y):
    """``sample_weight`` as arrays in ``y``'s structure when ``y`` has several outputs: one
    array per output, or one per-sample array shared by all of them (Keras's rules)."""
    if y is None or isinstance(y, np.ndarray):
        return _to_array(sample_weight, "sample_weight")
    if isinstance(sample_weight, list | tuple | dict) and not is_array_like(sample_weight):
        weights = _arrays(sample_weight, "sample_weight")
        try:
            tree.assert_same_structure(y, weights)
        except ValueError:
            raise ValueError(
                f"You should provide one `sample_weight` array per output in `y`. The two "
                f"structures did not match:\n- y: {_shapes(y)}\n"
                f"- sample_weight: {_shapes(weights)}\n") from None
        return weights
    weights = _to_array(sample_weight, "sample_weight")
    if not (weights.ndim == 1 or (weights.ndim == 2 and weights.shape[1] == 1)):
        raise ValueError(
            f"For a model with multiple outputs, when providing a single `sample_weight` array, "
            f"it should only have one scalar score per sample (i.e. shape `(num_samples,)`). If "
            f"you want to use non-scalar sample weights, pass a `sample_weight` argument with "
            f"one array per model output. Received: sample_weight.shape={weights.shape}")
    return tree.map_structure(lambda t: None if t is None else weights, y)


class ArrayDataAdapter(DataAdapter):
    """In-memory ``x``/``y``/``sample_weight`` arrays, validated once, sliced into batches.

    Args:
        x: an array (NumPy, a PyTorch tensor, nested lists of numbers) or a list/dict of them.
        y: targets, in the same forms (``None`` without targets).
        sample_weight: per-sample weights: one array, or one per output of a multi-output
            ``y`` (a single ``(n,)`` array is shared by all outputs).
        batch_size: samples per batch (default: ``ceil(n / steps)`` with ``steps``, else 32).
        steps: batches per epoch, used only to derive a missing ``batch_size``.
        shuffle: ``True`` reshuffles all samples every epoch, ``'batch'`` shuffles the samples
            within each batch (the batches keep their order), ``False`` keeps the order.
        class_weight: optional ``{class_id: weight}`` turned into sample weights.
        caller: the method named in error messages.
        check_finite: reject NaN and inf in float arrays up front (a numdeep extra).

    Example:
        >>> import numpy as np
        >>> adapter = ArrayDataAdapter(np.arange(5.0)[:, None], np.arange(5), batch_size=2)
        >>> adapter.num_batches, adapter.partial_batch_size
        (3, 1)
        >>> [bx[:, 0].tolist() for bx, by in adapter.get_numpy_iterator()]
        [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None,
                 shuffle=False, class_weight=None, caller="fit", check_finite=True):
        if x is None:
            raise ValueError(f"{caller}() needs input data `x`; received x=None.")
        if sample_weight is not None and class_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time: "
                             "pass one of them.")
        self.x = _arrays(x, "x")
        self.y = None if y is None else _arrays(y, "y")
        self.sample_weight = None if sample_weight is None else \
            _sample_weights(sample_weight, self.y)
        named = _named_leaves("x", self.x) + _named_leaves("y", self.y) + \
            _named_leaves("sample_weight", self.sample_weight)
        if not named:
            raise ValueError(f"{caller}() received no data: every array of x is None.")
        sizes = {what: len(a) for what, a in named}
        if len(set(sizes.values())) > 1:
            detail = ", ".join(f"{k}: {v}" for k, v in sizes.items())
            raise ValueError(f"{caller}(): data cardinality is ambiguous. Make sure all arrays "
                             f"contain the same number of samples; received {detail}.")
        self.n = len(named[0][1])
        if self.n == 0:
            raise ValueError(f"{caller}() received empty data: x has 0 samples.")
        if check_finite:
            for what, a in named:
                _check_finite(a, what)
        if class_weight is not None:
            if self.y is not None and not isinstance(self.y, np.ndarray):
                raise ValueError("`class_weight` is only supported for Models with a single "
                                 "output.")
            self.sample_weight = class_weight_to_sample_weights(class_weight, self.y)
        if batch_size is None or batch_size == 0:
            batch_size = math.ceil(self.n / steps) if steps else 32
        self._batch_size = int(batch_size)
        self.shuffle = shuffle

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def num_batches(self):
        return math.ceil(self.n / self._batch_size)

    @property
    def has_partial_batch(self):
        return self.n % self._batch_size != 0

    @property
    def partial_batch_size(self):
        return self.n % self._batch_size or None

    def take(self, index):
        """The batch at ``index`` (a slice or an integer array), packed as Keras packs it."""

        def pick(a):
            return None if a is None else a[index]

        x = tree.map_structure(pick, self.x)
        y = None if self.y is None else tree.map_structure(pick, self.y)
        sw = None if self.sample_weight is None else tree.map_structure(pick, self.sample_weight)
        return pack_x_y_sample_weight(x, y, sw)

    def batch_indices(self, rng=None):
        """One epoch's batch indices: slices in order, or index arrays when shuffled."""
        n, size = self.n, self._batch_size
        rng = rng or default_rng()
        order = rng.permutation(n) if self.shuffle and self.shuffle != "batch" else None
        out = []
        for start in range(0, n, size):
            stop = min(start + size, n)
            if self.shuffle == "batch":
                out.append(start + rng.permutation(stop - start))
            elif order is not None:
                out.append(order[start:stop])
            else:
                out.append(slice(start, stop))
        return out

    def get_numpy_iterator(self):
        """One epoch of batches (reshuffled at each call when ``shuffle`` is set)."""
        for index in self.batch_indices():
            yield self.take(index)

    def get_torch_dataloader(self):
        """One epoch of batches as torch tensors, in a ``DataLoader`` (needs PyTorch)."""
        return get_torch_dataloader(self.get_numpy_iterator)

    def split(self, validation_split):
        """Split off the LAST ``validation_split`` fraction (before shuffling, as Keras does)."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"`validation_split` must be in (0, 1). Received: "
                             f"{validation_split}")
        n_val = int(math.floor(self.n * validation_split))
        n_train = self.n - n_val
        if n_val == 0 or n_train == 0:
            raise ValueError(f"validation_split={validation_split} on {self.n} samples leaves "
                             f"{n_train} for training and {n_val} for validation; both must be "
                             f"> 0.")
        return self._subset(slice(0, n_train)), self._subset(slice(n_train, self.n))

    def _subset(self, index):
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)

        def pick(a):
            return None if a is None else a[index]

        out.x = tree.map_structure(pick, self.x)
        out.y = None if self.y is None else tree.map_structure(pick, self.y)
        out.sample_weight = None if self.sample_weight is None else \
            tree.map_structure(pick, self.sample_weight)
        out.n = index.stop - index.start
        return out
