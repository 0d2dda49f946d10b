"""Batches from Python code read lazily, never gathered into one array:
``GeneratorDataAdapter`` (a generator or iterator, one pass in all) and ``IterableDataAdapter``
(any re-iterable of batches, read afresh every epoch: numdeep's extension)."""

from numdeep import tree
from numdeep.models.data_adapters.data_adapter_utils import (
    DataAdapter,
    class_weight_to_sample_weights,
    to_numpy,
    unpack_x_y_sample_weight,
)

__all__ = ["GeneratorDataAdapter", "IterableDataAdapter", "with_class_weight"]


def with_class_weight(batch, class_weight):
    """``batch`` with NumPy leaves and, given ``class_weight``, the sample weights it makes."""
    batch = tree.map_structure(to_numpy, batch)
    if class_weight is None:
        return batch
    x, y, sw = unpack_x_y_sample_weight(batch)
    if sw is not None:
        raise ValueError("You cannot specify `class_weight` and `sample_weight` at the same "
                         "time: the batches already hold sample weights.")
    if y is None:
        raise ValueError("`class_weight` needs targets, but the batches hold no `y`.")
    return (x, y, class_weight_to_sample_weights(class_weight, y))


class GeneratorDataAdapter(DataAdapter):
    """Batches from a Python generator or iterator, consumed as they come: an epoch continues
    where the previous one stopped (give ``steps_per_epoch`` for an endless generator).

    Args:
        generator: yields ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` batches.
        class_weight: optional ``{class_id: weight}`` (a numdeep extension; Keras refuses it).

    Example:
        >>> import numpy as np
        >>> batches = ((np.full((2, 1), i), np.zeros(2)) for i in range(3))
        >>> [bx[0, 0] for bx, _ in GeneratorDataAdapter(batches).get_numpy_iterator()]
        [np.int64(0), np.int64(1), np.int64(2)]
    """

    def __init__(self, generator, class_weight=None):
        self.generator = generator
        self.class_weight = class_weight
        try:
            self._peeked = [next(generator)]  # fails early, before any training starts
        except StopIteration:
            raise ValueError("When passing a Python generator to a model, the generator must "
                             "yield at least one batch. Received an empty generator.") from None

    def get_numpy_iterator(self):
        while True:
            if self._peeked:
                batch = self._peeked.pop()
            else:
                try:
                    batch = next(self.generator)
                except StopIteration:
                    return
            yield with_class_weight(batch, self.class_weight)


class IterableDataAdapter(DataAdapter):
    """Batches from a re-iterable (a list of batches, a custom loader class): iterated afresh
    every epoch; its length, when it has one, is the number of batches.

    Example:
        >>> import numpy as np
        >>> adapter = IterableDataAdapter([(np.ones((2, 1)), np.ones(2))] * 3)
        >>> adapter.num_batches, len(list(adapter.get_numpy_iterator()))
        (3, 3)
    """

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
            yield with_class_weight(batch, self.class_weight)
