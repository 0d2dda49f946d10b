"""``TorchDataLoaderAdapter``: the batches of a PyTorch ``DataLoader``, as NumPy arrays.

numdeep never imports PyTorch: a ``DataLoader`` is recognised by its class, and its tensors are
converted through their own ``numpy()`` method.
"""

from numdeep.models.data_adapters.data_adapter_utils import DataAdapter
from numdeep.models.data_adapters.generator_data_adapter import with_class_weight

__all__ = ["TorchDataLoaderAdapter", "is_torch_dataloader"]


def is_torch_dataloader(x):
    """Whether ``x`` is a ``torch.utils.data.DataLoader`` (or a subclass)."""
    return any(c.__name__ == "DataLoader" and c.__module__.startswith("torch.utils.data")
               for c in type(x).__mro__)


class TorchDataLoaderAdapter(DataAdapter):
    """Batches of a ``torch.utils.data.DataLoader``, iterated afresh every epoch.

    ``num_batches`` is ``len(dataloader)`` when its dataset has a length; ``batch_size`` and
    ``partial_batch_size`` come from the loader's batching (``None`` when it does not batch).

    Args:
        dataloader: the ``DataLoader``.
        class_weight: optional ``{class_id: weight}`` (a numdeep extension; Keras refuses it).
    """

    def __init__(self, dataloader, class_weight=None):
        if not is_torch_dataloader(dataloader):
            raise ValueError(f"Expected argument `dataloader` to be an instance of "
                             f"`torch.utils.data.DataLoader`. Received: {dataloader}")
        self._dataloader = dataloader
        self.class_weight = class_weight
        self._batch_size = dataloader.batch_size
        self._num_batches = None
        self._partial_batch_size = None
        if hasattr(dataloader.dataset, "__len__"):
            self._num_batches = len(dataloader)
            if self._batch_size is not None:
                self._partial_batch_size = len(dataloader.dataset) % self._batch_size

    @property
    def num_batches(self):
        return self._num_batches

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def has_partial_batch(self):
        # As Keras: True when the last batch is short, None when it is not or is unknown.
        return True if self._partial_batch_size else None

    @property
    def partial_batch_size(self):
        return self._partial_batch_size

    def get_numpy_iterator(self):
        for batch in self._dataloader:
            # The default collate turns a `(x, y)` sample into a list; Keras's batches are tuples.
            if isinstance(batch, list):
                batch = tuple(batch)
            yield with_class_weight(batch, self.class_weight)

    def get_torch_dataloader(self):
        return self._dataloader
