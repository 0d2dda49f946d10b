"""The data adapters under one flat name (``numdeep.models.data_adapter``), for the training
loops and for code written against it; they live in ``numdeep.models.data_adapters``, one
module per kind of source."""

from numdeep.models.data_adapters import (
    ArrayDataAdapter,
    DataAdapter,
    GeneratorDataAdapter,
    IterableDataAdapter,
    PyDataset,
    PyDatasetAdapter,
    TorchDataLoaderAdapter,
    class_weight_to_sample_weights,
    get_data_adapter,
    pack_x_y_sample_weight,
    raise_unsupported_arg,
    unpack_x_y_sample_weight,
)

__all__ = ["DataAdapter", "ArrayDataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
           "TorchDataLoaderAdapter", "IterableDataAdapter", "PyDataset", "get_data_adapter",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "class_weight_to_sample_weights", "raise_unsupported_arg"]
