"""Each rank's part of every global batch: one order for all ranks, the same steps on each.

The data a user gives ``fit`` is global. The samples are put in one order per epoch (shuffled
from a seed every rank shares, keyed by the epoch, so a resumed run sees the same order), cut
into global batches of ``batch_size``, and every global batch is split into ``size`` contiguous
parts whose sizes differ by at most one; rank ``r`` trains on part ``r``. So every rank runs the
same number of steps, and the union of the ranks' batches at a step is exactly the batch a
single process would take. A global batch with fewer samples than ranks (only ever the last
one) is dropped: at most ``size - 1`` samples an epoch go unused, a different few each epoch
when shuffling.

Each batch records the share of the global batch it holds (``fraction``): ``MPIStrategy``
weights this rank's gradient by it, so the reduced gradient is the gradient of the mean loss
over the whole global batch even when the parts differ in size.
"""

import numpy as np

from numdeep import tree
from numdeep.models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight
from numdeep.utils import PyDataset

__all__ = ["part_bounds", "ShardedArrays", "ShardedBatches"]


def part_bounds(n, rank, size):
    """``(start, stop)`` of rank ``rank``'s contiguous part of ``n`` samples split ``size``
    ways (sizes differ by at most one).

    Example:
        >>> [part_bounds(5, r, 2) for r in range(2)]
        [(0, 2), (2, 5)]
    """
    return n * rank // size, n * (rank + 1) // size


def epoch_order(n, seed, epoch, shuffle):
    """The sample order of one epoch: ``arange(n)``, or a permutation drawn from
    ``(seed, epoch)``, the same on every rank."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


class _Sharded:
    """What both sources share: the epoch in use and the share of the last batch handed out."""

    def __init__(self, rank, size, on_batch):
        self.rank, self.size = rank, size
        self.epoch = 0
        self.fraction = 1.0 / size
        self._on_batch = on_batch

    def _part(self, batch, n):
        start, stop = part_bounds(n, self.rank, self.size)
        self.fraction = (stop - start) / n
        if self._on_batch is not None:
            self._on_batch(self.fraction)
        x, y, sw = unpack_x_y_sample_weight(batch)

        def cut(a):
            return None if a is None else a[start:stop]

        return pack_x_y_sample_weight(tree.map_structure(cut, x),
                                      None if y is None else tree.map_structure(cut, y),
                                      None if sw is None else sw[start:stop])


class ShardedArrays(_Sharded):
    """This rank's part of the global batches of an ``ArrayDataAdapter`` (an iterable of
    batches for ``fit``; one epoch per iteration).

    Args:
        adapter: the validated arrays (``numdeep.models.data_adapter.ArrayDataAdapter``).
        rank, size: this process and how many there are.
        batch_size: the global batch size.
        shuffle: ``True``, ``'batch'`` (only the order of the batches) or ``False``.
        seed: the seed every rank shares.
        on_batch: called with each batch's ``fraction`` before it is handed out.

    Example:
        >>> import numpy as np
        >>> from numdeep.models.data_adapter import ArrayDataAdapter
        >>> data = ArrayDataAdapter(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> [y.tolist() for _, y in ShardedArrays(data, 1, 2, 4, False, 0)]  # rank 1 of 2
        [[2, 3]]
    """

    def __init__(self, adapter, rank, size, batch_size, shuffle, seed, on_batch=None):
        super().__init__(rank, size, on_batch)
        self.adapter, self.batch_size = adapter, batch_size
        self.shuffle, self.seed = shuffle, seed
        full, tail = divmod(adapter.n, batch_size)
        self._num_batches = full + (1 if tail >= size else 0)

    def __len__(self):
        return self._num_batches

    def _global_batches(self):
        n, size = self.adapter.n, self.batch_size
        starts = list(range(0, n, size))[:self._num_batches]
        if self.shuffle == "batch":
            order = epoch_order(len(starts), self.seed, self.epoch, True)
            return [slice(starts[i], min(starts[i] + size, n)) for i in order]
        if self.shuffle:
            order = epoch_order(n, self.seed, self.epoch, True)
            return [order[s:s + size] for s in starts]
        return [slice(s, min(s + size, n)) for s in starts]

    def __iter__(self):
        for index in self._global_batches():
            n = len(range(*index.indices(self.adapter.n))) if isinstance(index, slice) \
                else len(index)
            start, stop = part_bounds(n, self.rank, self.size)
            self.fraction = (stop - start) / n
            if self._on_batch is not None:
                self._on_batch(self.fraction)
            part = slice(index.start + start, index.start + stop) \
                if isinstance(index, slice) else index[start:stop]
            yield self.adapter.take(part)


class ShardedBatches(_Sharded):
    """This rank's part of every batch of a ``PyDataset``, a generator or an iterable of
    batches, whose batches are the global ones (every rank reads every batch and keeps its
    part). A ``PyDataset`` is read by index, in a shared shuffled order with ``shuffle``."""

    def __init__(self, source, rank, size, shuffle, seed, on_batch=None):
        super().__init__(rank, size, on_batch)
        self.source, self.shuffle, self.seed = source, shuffle, seed
        self._stream = None

    def __len__(self):
        if isinstance(self.source, PyDataset):
            n = self.source.num_batches
        else:
            n = len(self.source)  # a TypeError here means "unknown", as for any iterable
        if n is None:
            raise TypeError("an endless PyDataset has no length")
        return n

    def _batches(self):
        if isinstance(self.source, PyDataset):
            n = self.source.num_batches
            indices = range(n) if n is not None else iter(int, 1)
            if self.shuffle and n is not None:
                indices = epoch_order(n, self.seed, self.epoch, True)
            self.source.on_epoch_begin()
            for i in indices:
                try:
                    yield self.source[int(i)]
                except IndexError:
                    if n is None:
                        break
                    raise
            self.source.on_epoch_end()
        elif hasattr(self.source, "__next__"):
            yield from self.source  # a generator continues across epochs, as in Keras
        else:
            yield from iter(self.source)

    def __iter__(self):
        for batch in self._batches():
            leaves = [a for a in tree.flatten(batch) if a is not None and np.ndim(a) > 0]
            n = len(leaves[0]) if leaves else 0
            if n < self.size:
                continue  # fewer samples than ranks: dropped on every rank alike
            yield self._part(batch, n)
