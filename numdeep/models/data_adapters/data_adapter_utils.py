"""What every data adapter shares: the ``DataAdapter`` base, Keras's batch packing, class weights
and the conversion of foreign tensors (PyTorch, JAX, TensorFlow) to NumPy."""

import numpy as np

from numdeep import tree
from numdeep.backend import floatx

__all__ = ["DataAdapter", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "class_weight_to_sample_weights", "to_numpy", "get_numpy_iterator",
           "get_torch_dataloader", "is_torch_tensor"]


class DataAdapter:
    """Base class of the data adapters: one source of batches, read epoch by epoch.

    A subclass implements ``get_numpy_iterator`` (one epoch of NumPy batches) and the
    ``num_batches``/``batch_size`` properties; ``fit`` accepts an instance as ``x`` as it is.

    Example:
        >>> import numpy as np
        >>> class Twice(DataAdapter):
        ...     num_batches = 2
        ...     def get_numpy_iterator(self):
        ...         for i in range(2):
        ...             yield np.full((3, 1), i, "float32")
        >>> [b.sum() for b in Twice().get_numpy_iterator()]
        [np.float32(0.0), np.float32(3.0)]
    """

    num_batches = None
    batch_size = None
    has_partial_batch = None
    partial_batch_size = None

    def get_numpy_iterator(self):
        """An iterator over one epoch of batches, as NumPy arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_numpy_iterator.")

    def get_torch_dataloader(self):
        """The batches as a ``torch.utils.data.DataLoader`` of torch tensors (needs PyTorch)."""
        return get_torch_dataloader(self.get_numpy_iterator)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch."""


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` of one batch, with ``None`` for the missing parts.

    Example:
        >>> unpack_x_y_sample_weight(("x", "y"))
        ('x', 'y', None)
    """
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
    tuple of inputs is wrapped as ``(x,)`` to stay unambiguous).

    Example:
        >>> pack_x_y_sample_weight("x"), pack_x_y_sample_weight(["a", "b"])
        ('x', (['a', 'b'],))
    """
    if y is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def class_weight_to_sample_weights(class_weight, y):
    """Per-sample weights from ``{class_id: weight}`` (labels as ids, one-hot or ``(n, 1)``).

    Unlike Keras, a class present in ``y`` but missing from ``class_weight`` is an error rather
    than a silent weight of 1.

    Example:
        >>> class_weight_to_sample_weights({0: 0.5, 1: 2.0}, np.array([1, 0, 1]))
        array([2. , 0.5, 2. ], dtype=float32)
    """
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"`class_weight` must be a non-empty dict {{class_id: weight}}. "
                         f"Received: {class_weight!r}")
    keys = list(class_weight)
    if any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0 for k in keys):
        raise ValueError(f"`class_weight` keys must be non-negative integer class ids. "
                         f"Received keys: {keys}")
    if y is None or len(tree.flatten(y)) != 1:
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    y = np.asarray(to_numpy(tree.flatten(y)[0]))
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - {int(k) for k in keys})
    if missing:
        raise ValueError(f"`class_weight` has no weight for classes {missing} present in y.")
    table = np.zeros(max(int(k) for k in keys) + 1, dtype=floatx())
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]


def is_torch_tensor(value):
    """Whether ``value`` is a ``torch.Tensor`` (found by class, without importing torch)."""
    return any(c.__name__ == "Tensor" and c.__module__.split(".")[0] == "torch"
               for c in type(value).__mro__)


def to_numpy(value):
    """A foreign tensor (PyTorch, JAX, TensorFlow: anything with ``__array__``) as a NumPy
    array. NumPy and CuPy arrays, numdeep tensors, Python values and ``None`` stay as they are
    (CuPy refuses an implicit copy to the host; the model takes either)."""
    if value is None or isinstance(value, np.ndarray) or np.isscalar(value):
        return value
    if is_torch_tensor(value):
        return value.detach().cpu().numpy()
    module = type(value).__module__.split(".")[0]
    if module in ("cupy", "numdeep") or not hasattr(value, "__array__"):
        return value
    return np.asarray(value)


def get_numpy_iterator(batches):
    """``batches`` with every leaf converted by ``to_numpy``."""
    for batch in batches:
        yield tree.map_structure(to_numpy, batch)


def get_torch_dataloader(make_iterator):
    """A ``torch.utils.data.DataLoader`` that re-runs ``make_iterator()`` each time it is
    iterated and hands its batches over as torch tensors, un-batched again.

    PyTorch is imported here, on demand: it is never a dependency of numdeep.
    """
    import torch
    from torch.utils import data as torch_data

    def as_tensor(value):
        return value if value is None else torch.as_tensor(value)

    class Batches(torch_data.IterableDataset):
        def __iter__(self):
            for batch in make_iterator():
                yield tree.map_structure(as_tensor, batch)

    return torch_data.DataLoader(Batches(), batch_size=None)
