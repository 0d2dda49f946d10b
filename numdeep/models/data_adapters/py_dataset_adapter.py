"""``PyDatasetAdapter``: the batches of a ``numdeep.utils.PyDataset``, read by index and
prepared ahead by the dataset's ``workers`` (threads, or processes with
``use_multiprocessing``)."""

import queue
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from numdeep.backend import default_rng
from numdeep.models.data_adapters.data_adapter_utils import DataAdapter
from numdeep.models.data_adapters.generator_data_adapter import with_class_weight
from numdeep.utils.py_dataset import PyDataset

__all__ = ["PyDataset", "PyDatasetAdapter"]


def _fetch(dataset, index):
    return dataset[index]


class PyDatasetAdapter(DataAdapter):
    """Batches of a ``PyDataset`` by index.

    Args:
        x: the ``PyDataset``; its ``num_batches`` is ``None`` for an endless one.
        class_weight: optional ``{class_id: weight}`` turned into sample weights.
        shuffle: visit the batches of a finite dataset in a new random order every epoch.

    Example:
        >>> import numpy as np
        >>> from numdeep.utils import PyDataset
        >>> class Ramp(PyDataset):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return np.full((2, 1), i, "float32"), np.zeros(2, "float32")
        >>> adapter = PyDatasetAdapter(Ramp())
        >>> [float(bx[0, 0]) for bx, _ in adapter.get_numpy_iterator()]
        [0.0, 1.0, 2.0]
    """

    def __init__(self, x, class_weight=None, shuffle=False):
        self.py_dataset = x
        self.class_weight = class_weight
        self.shuffle = shuffle
        if x.num_batches == 0:
            raise ValueError(f"The PyDataset {type(x).__name__} has length 0: it holds no "
                             f"batch.")

    @property
    def num_batches(self):
        return self.py_dataset.num_batches

    def _indices(self):
        n = self.py_dataset.num_batches
        if n is None:
            i = 0
            while True:
                yield i
                i += 1
        order = np.arange(n)
        if self.shuffle:
            default_rng().shuffle(order)
        yield from (int(i) for i in order)

    def _standardize(self, batch):
        if isinstance(batch, dict | tuple):
            pass
        elif isinstance(batch, list):
            batch = tuple(batch)
        elif hasattr(batch, "shape"):
            batch = (batch,)  # inputs alone
        else:
            raise ValueError(
                f"PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must "
                f"be ordered either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}")
        if isinstance(batch, tuple) and len(batch) not in (1, 2, 3):
            raise ValueError(f"PyDataset.__getitem__() returned a tuple of {len(batch)} "
                             f"elements; expected (input,), (inputs, targets) or (inputs, "
                             f"targets, sample_weights).")
        return with_class_weight(batch, self.class_weight)

    def get_numpy_iterator(self):
        """One epoch of batches (for an endless dataset: batches without end)."""
        workers = self.py_dataset.workers
        parallel = workers > 1 or (workers > 0 and self.py_dataset.use_multiprocessing)
        for batch in self._parallel(workers) if parallel else self._serial():
            yield self._standardize(batch)

    def _serial(self):
        for i in self._indices():
            try:
                yield self.py_dataset[i]
            except IndexError:
                if self.py_dataset.num_batches is None:
                    return  # an endless dataset may still end by running out of indices
                raise

    def _parallel(self, workers):
        pool_cls = ProcessPoolExecutor if self.py_dataset.use_multiprocessing else \
            ThreadPoolExecutor
        pending = queue.Queue()
        # max_queue_size=0 means "no explicit bound" in Keras; one batch ahead per worker is
        # the least that keeps every worker busy without reading an endless dataset forever.
        depth = self.py_dataset.max_queue_size or workers
        indices = self._indices()
        with pool_cls(max_workers=workers) as pool:
            for i in indices:
                pending.put(pool.submit(_fetch, self.py_dataset, i))
                if pending.qsize() >= depth:
                    break
            try:
                while not pending.empty():
                    batch = pending.get().result()
                    nxt = next(indices, None)
                    if nxt is not None:
                        pending.put(pool.submit(_fetch, self.py_dataset, nxt))
                    yield batch
            finally:
                while not pending.empty():
                    pending.get().cancel()

    def on_epoch_begin(self):
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.py_dataset.on_epoch_end()
