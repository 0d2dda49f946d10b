"""``PyDataset``: a dataset of batches that ``fit``/``evaluate``/``predict`` read by index.

Subclass it and implement ``__len__`` (the number of batches) and ``__getitem__(index)`` (one
batch: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``), as with Keras's ``keras.utils.PyDataset``.
``workers > 1`` prepares upcoming batches in that many threads while the model trains
(``use_multiprocessing=True``: in processes, for Python-heavy loading; the dataset must then be
picklable); ``max_queue_size`` bounds how many batches wait.

Example:
    >>> import numpy as np
    >>> from numdeep.utils import PyDataset
    >>> class Squares(PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         x = np.full((4, 1), i, "float32")
    ...         return x, x ** 2
    >>> ds = Squares()
    >>> len(ds), ds[2][1][0, 0]
    (3, np.float32(4.0))
"""

import itertools

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class of index-addressable datasets of batches.

    Args:
        workers: how many workers prepare batches ahead (0 or 1: the training thread itself).
        use_multiprocessing: use processes instead of threads for the workers.
        max_queue_size: the most batches prepared ahead (0: one per worker).
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if not isinstance(workers, int) or workers < 0:
            raise ValueError(f"PyDataset `workers` must be a non-negative integer. "
                             f"Received: workers={workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size < 0:
            raise ValueError(f"PyDataset `max_queue_size` must be a non-negative integer. "
                             f"Received: max_queue_size={max_queue_size!r}")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__.")

    def __iter__(self):
        """The batches in order (without end when ``num_batches`` is ``None``)."""
        n = self.num_batches
        for index in range(n) if n is not None else itertools.count():
            yield self[index]

    # No default `__len__` (as in Keras): `list(dataset)` asks for one, and a dataset that
    # defines only `num_batches` must still list.
    @property
    def num_batches(self):
        """The number of batches (``len(self)`` when defined), or ``None`` for an endless
        dataset."""
        return len(self) if hasattr(self, "__len__") else None

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch (e.g. to reshuffle)."""


Sequence = PyDataset  # Keras 2's name
