"""What ``fit``/``evaluate``/``predict`` accept as data, turned into batches (Keras's data
adapters).

- ``ArrayDataAdapter``: arrays (or lists/dicts of them) with ``batch_size``, checked once,
  shuffled per epoch, ``validation_split`` taken from the end;
- ``PyDatasetAdapter``: a ``numdeep.utils.PyDataset`` read by index, with its workers;
- ``GeneratorDataAdapter``: a Python generator or iterator, read as it comes (one pass in all);
- ``IterableDataAdapter``: any other iterable of batches, re-iterated each epoch (a PyTorch
  ``DataLoader``; its tensors become NumPy arrays).

Batches follow Keras's packing: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``; ``x`` alone when
there are no targets (``fit(x)`` hands ``train_step`` the bare batch).
"""

import math
import queue
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from numdeep import tree
from numdeep.backend import default_rng, floatx
from numdeep.utils.py_dataset import PyDataset

__all__ = ["ArrayDataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
           "IterableDataAdapter", "get_data_adapter", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight", "class_weight_to_sample_weights"]


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` of one batch (missing parts ``None``); a list counts as a
    tuple, as in Keras."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch Keras hands ``train_step``: ``x`` alone when there is no target (a list or
    tuple of inputs is wrapped as ``(x,)`` to stay unambiguous)."""
    if y is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


# ----- arrays ------------------------------------------------------------------------------------
def _to_array(value, what):
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    elif hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
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


def _is_array_like(v):
    return isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype")) or (
        isinstance(v, list | tuple) and len(v) > 0 and not isinstance(v[0], np.ndarray)
        and not hasattr(v[0], "shape")
    )


def _named_leaves(what, structure):
    if structure is None:
        return []
    leaves = tree.flatten(structure)
    if len(leaves) == 1:
        return [(what, leaves[0])]
    return [(f"{what}[{i}]", a) for i, a in enumerate(leaves)]


def class_weight_to_sample_weights(class_weight, y, sample_weight=None):
    """Per-sample weights from ``{class_id: weight}`` (labels as ids, one-hot or ``(n, 1)``)."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"`class_weight` must be a non-empty dict {{class_id: weight}}. "
                         f"Received: {class_weight!r}")
    keys = list(class_weight)
    if any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0 for k in keys):
        raise ValueError(f"`class_weight` keys must be non-negative integer class ids. "
                         f"Received keys: {keys}")
    if y is None or len(tree.flatten(y)) != 1:
        raise ValueError("`class_weight` is only supported for models with a single output.")
    y = np.asarray(tree.flatten(y)[0])
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - {int(k) for k in keys})
    if missing:
        raise ValueError(f"`class_weight` has no weight for classes {missing} present in y.")
    table = np.zeros(max(int(k) for k in keys) + 1, dtype="float32")
    for k, v in class_weight.items():
        table[int(k)] = v
    weights = table[labels]
    return weights if sample_weight is None else weights * np.asarray(sample_weight)


class ArrayDataAdapter:
    """In-memory ``x``/``y``/``sample_weight`` arrays, validated once, sliced into batches.

    Args:
        x, y, sample_weight: arrays or lists/dicts of arrays with one row per sample.
        batch_size: samples per batch (default 32).
        steps: accepted for Keras compatibility (the epoch iterator counts steps).
        shuffle: ``True`` reshuffles the samples every epoch, ``'batch'`` only the order of the
            batches, ``False`` keeps the order.
        class_weight: optional ``{class_id: weight}`` turned into sample weights.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None, caller="fit", check_finite=True):
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
            raise ValueError(f"{caller}(): all arrays must have the same number of samples; "
                             f"received {detail}.")
        self.n = len(named[0][1])
        if self.n == 0:
            raise ValueError(f"{caller}() received empty data: x has 0 samples.")
        if check_finite:
            for what, a in named:
                _check_finite(a, what)
        if class_weight is not None:
            self.sample_weight = class_weight_to_sample_weights(class_weight, self.y,
                                                                self.sample_weight)
        self.batch_size = 32 if batch_size is None else int(batch_size)
        self.shuffle = shuffle

    @property
    def num_batches(self):
        return math.ceil(self.n / self.batch_size)

    @property
    def has_partial_batch(self):
        return self.n % self.batch_size != 0

    @property
    def partial_batch_size(self):
        return self.n % self.batch_size or None

    def take(self, index):
        """The batch at ``index`` (a slice or an integer array), packed as Keras packs it."""

        def pick(a):
            return a[index]

        x = tree.map_structure(pick, self.x)
        y = None if self.y is None else tree.map_structure(pick, self.y)
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return pack_x_y_sample_weight(x, y, sw)

    def batch_indices(self, rng=None):
        """One epoch's batch indices: slices in order, or index arrays when shuffled."""
        n, size = self.n, self.batch_size
        if self.shuffle == "batch":
            starts = list(range(0, n, size))
            (rng or default_rng()).shuffle(starts)
            return [slice(s, min(s + size, n)) for s in starts]
        if self.shuffle:
            order = (rng or default_rng()).permutation(n)
            return [order[s:s + size] for s in range(0, n, size)]
        return [slice(s, min(s + size, n)) for s in range(0, n, size)]

    def get_numpy_iterator(self):
        """One epoch of batches."""
        for index in self.batch_indices():
            yield self.take(index)

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
        out.x, out.y, out.sample_weight = unpack_x_y_sample_weight(
            ArrayDataAdapter.take(self, index) if self.y is not None or
            self.sample_weight is not None else (tree.map_structure(lambda a: a[index],
                                                                    self.x),))
        out.n = index.stop - index.start
        return out

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


# ----- Python data sources -----------------------------------------------------------------------
def _as_numpy(value):
    """Torch tensors (and anything with ``.numpy()``/``__array__``) become NumPy arrays; numdeep
    Tensors and Python scalars stay as they are."""
    if isinstance(value, np.ndarray) or value is None or np.isscalar(value):
        return value
    if type(value).__module__.startswith("torch"):
        return value.detach().cpu().numpy()
    return value


def _with_class_weight(batch, class_weight):
    if class_weight is None:
        return batch
    x, y, sw = unpack_x_y_sample_weight(batch)
    return pack_x_y_sample_weight(x, y, class_weight_to_sample_weights(class_weight, y, sw))


class GeneratorDataAdapter:
    """Batches from a Python generator or iterator, consumed as they come: epochs continue where
    the previous one stopped (give ``steps_per_epoch`` for an endless generator)."""

    def __init__(self, generator, class_weight=None):
        self.generator = generator
        self.class_weight = class_weight
        self.batch_size = None
        self.num_batches = None
        self._peeked = []
        try:
            self._peeked.append(next(generator))
        except StopIteration:
            raise ValueError("The generator given as data yielded no batch: it is empty. Pass "
                             "a generator that yields `x`, `(x, y)` or `(x, y, "
                             "sample_weight)` batches.") from None

    def get_numpy_iterator(self):
        while True:
            if self._peeked:
                batch = self._peeked.pop()
            else:
                try:
                    batch = next(self.generator)
                except StopIteration:
                    return
            yield _with_class_weight(tree.map_structure(_as_numpy, batch), self.class_weight)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


class IterableDataAdapter:
    """Batches from a re-iterable (a PyTorch ``DataLoader``, a list of batches): iterated afresh
    every epoch; its length, when it has one, is the number of batches."""

    def __init__(self, iterable, class_weight=None):
        self.iterable = iterable
        self.class_weight = class_weight
        self.batch_size = getattr(iterable, "batch_size", None)
        try:
            self.num_batches = len(iterable)
        except TypeError:
            self.num_batches = None

    def get_numpy_iterator(self):
        for batch in self.iterable:
            yield _with_class_weight(tree.map_structure(_as_numpy, batch), self.class_weight)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


def _fetch(dataset, index):
    return dataset[index]


class PyDatasetAdapter:
    """Batches of a ``PyDataset`` by index, prepared ahead by its ``workers``
    (threads, or processes with ``use_multiprocessing``)."""

    def __init__(self, dataset, class_weight=None, shuffle=False):
        self.dataset = dataset
        self.class_weight = class_weight
        self.shuffle = shuffle
        self.num_batches = dataset.num_batches
        self.batch_size = None
        if self.num_batches == 0:
            raise ValueError(f"The PyDataset {type(dataset).__name__} has length 0: it holds "
                             f"no batch.")

    def _indices(self):
        if self.num_batches is None:
            i = 0
            while True:
                yield i
                i += 1
        order = np.arange(self.num_batches)
        if self.shuffle:
            default_rng().shuffle(order)
        yield from (int(i) for i in order)

    def get_numpy_iterator(self):
        workers = getattr(self.dataset, "workers", 1)
        batches = self._serial() if workers <= 1 else self._parallel(workers)
        for batch in batches:
            yield _with_class_weight(tree.map_structure(_as_numpy, batch), self.class_weight)

    def _serial(self):
        for i in self._indices():
            try:
                yield self.dataset[i]
            except IndexError:
                if self.num_batches is None:
                    return
                raise

    def _parallel(self, workers):
        pool_cls = ProcessPoolExecutor if self.dataset.use_multiprocessing else \
            ThreadPoolExecutor
        pending = queue.Queue()
        depth = max(1, int(getattr(self.dataset, "max_queue_size", 10)))
        indices = self._indices()
        stop = threading.Event()
        with pool_cls(max_workers=workers) as pool:
            for i in indices:
                pending.put(pool.submit(_fetch, self.dataset, i))
                if pending.qsize() >= depth:
                    break
            try:
                while not pending.empty():
                    batch = pending.get().result()
                    nxt = next(indices, None)
                    if nxt is not None and not stop.is_set():
                        pending.put(pool.submit(_fetch, self.dataset, nxt))
                    yield batch
            finally:
                stop.set()
                while not pending.empty():
                    pending.get().cancel()

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def _is_generator(x):
    return hasattr(x, "__next__") and hasattr(x, "__iter__")


def _is_iterable_source(x):
    return (hasattr(x, "__iter__") and not isinstance(x, list | tuple | dict | np.ndarray | str)
            and not hasattr(x, "shape") and not hasattr(x, "dtype"))


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None, caller="fit", check_finite=True):
    """The adapter for ``x`` (see the module notes); ``y``/``sample_weight`` are only for
    arrays (a dataset or generator yields its own)."""
    if isinstance(x, PyDataset) or _is_generator(x) or _is_iterable_source(x):
        kind = type(x).__name__
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(f"When providing `x` as a {kind}, `{name}` should not be "
                                 f"passed. Instead, the {name} should be included as part of "
                                 f"the {kind}.")
        if batch_size is not None and caller != "predict":
            warnings.warn(f"`batch_size` is ignored when `x` is a {kind}: its batches are used "
                          f"as they come.", stacklevel=3)
        if isinstance(x, PyDataset):
            return PyDatasetAdapter(x, class_weight=class_weight, shuffle=shuffle)
        if _is_generator(x):
            return GeneratorDataAdapter(x, class_weight=class_weight)
        return IterableDataAdapter(x, class_weight=class_weight)
    return ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                            class_weight=class_weight, caller=caller, check_finite=check_finite)
