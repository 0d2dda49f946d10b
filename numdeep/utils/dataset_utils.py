"""Datasets built from files or arrays (numdeep has no ``tf.data``): ``BatchedDataset``, the
``PyDataset`` that ``image_dataset_from_directory`` and its siblings return, ``split_dataset``,
and the directory indexing and argument checks they share (Keras's ``dataset_utils``).

``format="tf"`` and ``format="grain"`` are accepted for Keras compatibility and both give a
``BatchedDataset``; they differ as Keras's do in one respect: with ``shuffle=True``, ``"tf"``
draws a new order for every pass (``tf.data``'s ``reshuffle_each_iteration``) while ``"grain"``
repeats one seeded order.

Example:
    >>> import numpy as np
    >>> from numdeep.utils import split_dataset
    >>> left, right = split_dataset((np.arange(10), np.arange(10) * 2), left_size=0.8)
    >>> len(left), len(right), [int(v) for v in right[0]]
    (8, 2, [8, 16])
"""

import math
import os

import numpy as np

from numdeep.utils import io_utils
from numdeep.utils.py_dataset import PyDataset

__all__ = ["BatchedDataset", "SampleDataset", "split_dataset", "index_directory",
           "check_validation_split_arg", "get_training_or_validation_split", "encode_labels"]

FORMATS = ("tf", "grain")


def _fresh_seed():
    # An unseeded private generator: global NumPy random state is never touched.
    return int(np.random.default_rng().integers(1_000_000))


class BatchedDataset(PyDataset):
    """Batches of ``num_samples`` samples read by ``load(indices)`` (a callable returning one
    batch for a list of sample indices), in file order or shuffled.

    Iterating gives the batches (single samples when ``batch_size`` is ``None``); ``fit`` reads
    it by index like any ``PyDataset``. ``class_names`` and ``file_paths`` are set by the
    directory builders.

    Args:
        num_samples: how many samples.
        load: ``load(indices) -> batch``.
        batch_size: samples per batch, or ``None`` for unbatched samples.
        shuffle: shuffle the samples.
        seed: seed of the shuffle.
        reshuffle_each_iteration: draw a new order for every pass (and after every epoch).
    """

    def __init__(self, num_samples, load, batch_size=32, shuffle=False, seed=None,
                 reshuffle_each_iteration=True, **kwargs):
        super().__init__(**kwargs)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"`batch_size` must be a positive integer or None. Received: "
                             f"batch_size={batch_size}")
        self.num_samples, self._load, self.batch_size = int(num_samples), load, batch_size
        self.shuffle, self.reshuffle_each_iteration = bool(shuffle), reshuffle_each_iteration
        self._rng = np.random.default_rng(_fresh_seed() if seed is None else seed)
        self._passes = 0
        self.class_names, self.file_paths = None, None
        self._order = self._new_order()

    def _new_order(self):
        if self.shuffle:
            return self._rng.permutation(self.num_samples)
        return np.arange(self.num_samples)

    def __len__(self):
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            batch = self._load([int(self._order[index])])
            return _first(batch)
        picked = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return self._load([int(i) for i in picked])

    def __iter__(self):
        if self._passes and self.shuffle and self.reshuffle_each_iteration:
            self._order = self._new_order()
        self._passes += 1
        for i in range(len(self)):
            yield self[i]

    def take(self, count):
        """The first ``count`` batches of a new pass (a list)."""
        out = []
        for batch in self:
            if len(out) == count:
                break
            out.append(batch)
        return out

    def on_epoch_end(self):
        if self.shuffle and self.reshuffle_each_iteration:
            self._order = self._new_order()


def _first(batch):
    if isinstance(batch, tuple):
        return tuple(_first(b) for b in batch)
    return batch[0]


class SampleDataset:
    """A list-like view of single samples (``len``, indexing, iteration): ``split_dataset``'s
    result, as Keras's torch backend returns ``Subset`` datasets."""

    def __init__(self, get, indices):
        self._get, self.indices = get, np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self._get(int(self.indices[i]))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def _sample_getter(dataset):
    """``(get(i), length)`` for arrays, a list/tuple/dict of arrays, or an indexable dataset."""
    if isinstance(dataset, np.ndarray):
        return dataset.__getitem__, len(dataset)
    if isinstance(dataset, list | tuple):
        if not dataset:
            raise ValueError("Received an empty list dataset. Please provide a non-empty "
                             "list of arrays.")
        arrays = [np.asarray(a) for a in dataset]
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"Received a {type(dataset).__name__} of NumPy arrays with "
                             f"different lengths: {[len(a) for a in arrays]}.")
        return (lambda i: tuple(a[i] for a in arrays)), lengths.pop()
    if isinstance(dataset, dict):
        arrays = {k: np.asarray(v) for k, v in dataset.items()}
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise ValueError("All arrays of a dict dataset must have the same length.")
        return (lambda i: type(dataset)((k, a[i]) for k, a in arrays.items())), lengths.pop()
    if hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):
        return dataset.__getitem__, len(dataset)
    if hasattr(dataset, "__iter__"):
        samples = list(dataset)
        return samples.__getitem__, len(samples)
    raise TypeError(f"The `dataset` argument must be a list/tuple/dict of arrays, an array, or "
                    f"an indexable dataset. Received: dataset={dataset} of type "
                    f"{type(dataset)}")


def _check_size(value, name, total):
    if value is None:
        return
    if type(value) not in (int, float):
        raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                        f"type({name})={type(value)}.")
    if (isinstance(value, int) and not 0 < value < total) or (
            isinstance(value, float) and not 0 < value < 1):
        raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, "
                         f"or a float within the range `[0, 1]`. Received: {name}={value}")


def _split_sizes(left_size, right_size, total):
    """Keras's rescaling of ``left_size``/``right_size`` (fractions or counts) to counts."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    _check_size(left_size, "left_size", total)
    _check_size(right_size, "right_size", total)
    if isinstance(left_size, float) and isinstance(right_size, float) and (
            left_size + right_size > 1):
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must "
                         "be less than or equal to 1.")
    left = round(left_size * total) if isinstance(left_size, float) else left_size
    right = round(right_size * total) if isinstance(right_size, float) else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total}. Received: left_size + right_size = {left + right}")
    if left == 0 or right == 0:
        raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and "
                         f"`right_size`={right}. Resulting split would be empty. Adjust any of "
                         f"the aforementioned parameters")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split a dataset into a left and a right part (e.g. train / test).

    Args:
        dataset: an array, a list/tuple/dict of arrays of one length, or an indexable dataset
            (a ``torch.utils.data.Dataset``, a ``SampleDataset``...).
        left_size: a fraction in ``(0, 1)`` or a number of samples (default: the complement of
            ``right_size``).
        right_size: likewise for the right part.
        shuffle: shuffle the samples before splitting.
        seed: seed of that shuffle (a private generator).
        preferred_backend: accepted for Keras compatibility; numdeep always returns
            ``SampleDataset`` views.

    Returns:
        ``(left, right)`` ``SampleDataset`` views whose items are single samples.
    """
    get, total = _sample_getter(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        order = np.random.default_rng(_fresh_seed() if seed is None else seed).permutation(total)
    return SampleDataset(get, order[:left]), SampleDataset(get, order[total - right:])


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` of the files with an allowed extension under
    ``directory`` (Keras's rules: one sub-folder per class when ``labels="inferred"``)."""
    directory = os.fspath(directory)
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: {subdirs} "
                                 f"(or a subset of it), but received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be "
                             "specified." if labels is None else
                             "When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted list of "
                             "labels).")
    paths, found = [], []
    for index, subdir in enumerate(subdirs):
        root = os.path.join(directory, subdir) if subdir else directory
        walk = sorted(os.walk(root, followlinks=follow_links), key=lambda w: w[0])
        for dirpath, _, files in walk:
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(dirpath, name))
                    found.append(index)
    if labels == "inferred":
        labels, names = np.asarray(found, dtype="int32"), subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in "
                             f"the target directory. len(labels) is {len(labels)} while we "
                             f"found {len(paths)} files in directory {directory}.")
        names = [str(v) for v in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        io_utils.print_msg(f"Found {len(paths)} files." if labels is None else
                           f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:
        order = np.random.RandomState(_fresh_seed() if seed is None else seed).permutation(
            len(paths))
        paths = [paths[i] for i in order]
        labels = None if labels is None else labels[order]
    return paths, labels, names


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks of ``validation_split``/``subset``/``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training (first) or validation (last ``validation_split``) part of the samples."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        io_utils.print_msg(f"Using {len(samples) - n_val} files for training.")
        cut = slice(0, len(samples) - n_val)
    elif subset == "validation":
        io_utils.print_msg(f"Using {n_val} files for validation.")
        cut = slice(len(samples) - n_val, len(samples))
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples[cut], None if labels is None else labels[cut]


def encode_labels(labels, label_mode, num_classes):
    """``"int"``: int32 ``(n,)``; ``"binary"``: float32 ``(n, 1)``; ``"categorical"``: float32
    one-hot ``(n, num_classes)``."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype(np.int64)]
    return labels.astype("int32")


def split_for_subset(paths, labels, validation_split, subset):
    """``[(paths, labels), ...]``: one part, or the training and validation parts for
    ``subset="both"``."""
    if subset == "both":
        return [get_training_or_validation_split(paths, labels, validation_split, part)
                for part in ("training", "validation")]
    return [get_training_or_validation_split(paths, labels, validation_split, subset)]
