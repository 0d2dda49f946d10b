"""What ``fit``/``evaluate``/``predict`` accept as data, turned into batches (Keras's data
adapters, one module per kind of source as in Keras).

- ``ArrayDataAdapter``: arrays (or lists/dicts of them) with ``batch_size``, checked once,
  shuffled per epoch, ``validation_split`` taken from the end;
- ``PyDatasetAdapter``: a ``numdeep.utils.PyDataset`` read by index, with its workers;
- ``TorchDataLoaderAdapter``: a PyTorch ``DataLoader``, re-iterated every epoch;
- ``GeneratorDataAdapter``: a Python generator or iterator, read as it comes (one pass in all);
- ``IterableDataAdapter``: any other iterable of batches, re-iterated each epoch (numdeep's
  extension).

Sources of batches are read lazily, never gathered into one array. Every adapter yields NumPy
batches packed as Keras packs them: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
"""

import warnings

import numpy as np

from numdeep.models.data_adapters.array_data_adapter import ArrayDataAdapter, can_convert_arrays
from numdeep.models.data_adapters.data_adapter_utils import (
    DataAdapter,
    class_weight_to_sample_weights,
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from numdeep.models.data_adapters.generator_data_adapter import (
    GeneratorDataAdapter,
    IterableDataAdapter,
)
from numdeep.models.data_adapters.py_dataset_adapter import PyDataset, PyDatasetAdapter
from numdeep.models.data_adapters.torch_data_loader_adapter import (
    TorchDataLoaderAdapter,
    is_torch_dataloader,
)

__all__ = ["DataAdapter", "ArrayDataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
           "TorchDataLoaderAdapter", "IterableDataAdapter", "PyDataset", "get_data_adapter",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "class_weight_to_sample_weights", "raise_unsupported_arg"]


def raise_unsupported_arg(arg_name, arg_description, input_type):
    """The error for ``y``/``sample_weight`` passed beside a source that yields its own."""
    raise ValueError(f"When providing `x` as a {input_type}, `{arg_name}` should not be passed. "
                     f"Instead, {arg_description} should be included as part of the "
                     f"{input_type}.")


def _is_generator(x):
    return hasattr(x, "__next__") and hasattr(x, "__iter__")


def _is_iterable_source(x):
    return (hasattr(x, "__iter__") and not isinstance(x, list | tuple | dict | np.ndarray)
            and not isinstance(x, str | bytes)
            and not hasattr(x, "shape") and not hasattr(x, "dtype"))


def _source_kind(x):
    if isinstance(x, PyDataset):
        return "PyDataset"
    if is_torch_dataloader(x):
        return "torch DataLoader"
    if _is_generator(x):
        return "generator"
    if _is_iterable_source(x):
        return "Python iterable"
    return None


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None, caller="fit", check_finite=True):
    """The adapter for ``x`` (see the module notes); ``y``/``sample_weight`` are only for
    arrays (a dataset or generator yields its own). A ``DataAdapter`` is used as it is.

    Example:
        >>> import numpy as np
        >>> type(get_data_adapter(np.zeros((4, 2)), np.zeros(4))).__name__
        'ArrayDataAdapter'
        >>> type(get_data_adapter(b for b in [np.zeros((4, 2))])).__name__
        'GeneratorDataAdapter'
    """
    if isinstance(x, DataAdapter):
        return x
    kind = _source_kind(x)
    if kind is None:
        if x is None or isinstance(x, list | tuple | dict) or can_convert_arrays(x):
            # A structure names its bad element itself (ArrayDataAdapter's checks).
            return ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size,
                                    steps=steps_per_epoch, shuffle=shuffle,
                                    class_weight=class_weight, caller=caller,
                                    check_finite=check_finite)
        raise ValueError(f"Unrecognized data type: x={x!r:.100} (of type {type(x)})")
    if y is not None:
        raise_unsupported_arg("y", "the targets", kind)
    if sample_weight is not None:
        raise_unsupported_arg("sample_weights", "the sample weights", kind)
    if batch_size is not None and caller != "predict":
        warnings.warn(f"`batch_size` is ignored when `x` is a {kind}: its batches are used "
                      f"as they come.", stacklevel=3)
    if kind == "PyDataset":
        return PyDatasetAdapter(x, class_weight=class_weight, shuffle=shuffle)
    if kind == "torch DataLoader":
        return TorchDataLoaderAdapter(x, class_weight=class_weight)
    if kind == "generator":
        return GeneratorDataAdapter(x, class_weight=class_weight)
    return IterableDataAdapter(x, class_weight=class_weight)
