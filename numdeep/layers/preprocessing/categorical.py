"""What the categorical preprocessing layers share: Keras's encoding of integer indices
(``int``/``one_hot``/``multi_hot``/``count``/``tf_idf``), their output shapes, argument checks,
and the conversion of user inputs (arrays, lists, Tensors, iterables of batches) to NumPy.

These layers compute on NumPy arrays (strings and integer lookups have no gradient), so nothing
here builds a graph.
"""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend import floatx

__all__ = ["encode", "encoded_shape", "check_choice", "to_numpy", "to_text", "iterate_batches"]


def check_choice(value, allowed, caller, arg_name, allow_none=False, allow_callables=False):
    """Keras's ``validate_string_arg``: ``value`` must be one of ``allowed`` (or None/callable
    when allowed), else a ValueError naming the layer and the argument."""
    if value is None and allow_none:
        return
    if callable(value) and allow_callables:
        return
    if isinstance(value, str) and value in allowed:
        return
    extra = (", None" if allow_none else "") + (", or a callable" if allow_callables else "")
    raise ValueError(f"The `{arg_name}` argument of layer {caller} received an invalid value "
                     f"`{value}`. Allowed values are: {', '.join(allowed)}{extra}.")


def to_numpy(x):
    """A NumPy array of ``x``: a Tensor's data, an array, a list, or anything with
    ``__array__``."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, list | tuple) and x:
        # Layer.__call__ hands a Python list over as a list of Tensors (one per leaf).
        return np.asarray([to_numpy(v) for v in x])
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


def to_text(x, encoding="utf-8"):
    """An object array of Python ``str`` with the shape of ``x`` (bytes are decoded)."""
    arr = to_numpy(x)
    if arr.dtype.kind == "U":
        return arr.astype(object)
    if arr.dtype.kind == "S":
        return np.char.decode(arr, encoding).astype(object)
    flat = [v.decode(encoding) if isinstance(v, bytes) else str(v) for v in arr.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(arr.shape)


def iterate_batches(data, steps, whole):
    """The batches ``adapt`` reads: ``data`` itself when it is one array (``whole(data)``),
    else each item of an iterable (a generator, a list of batches, a PyDataset), at most
    ``steps`` of them."""
    if whole(data):
        yield data
        return
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(data,
                                                                             "num_batches"):
        source = data
        count = source.num_batches if source.num_batches is not None else len(source)
        data = (source[i] for i in range(count))  # a PyDataset: index its batches
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple) and len(batch) in (1, 2, 3):
            batch = batch[0]  # (x,), (x, y) or (x, y, sample_weight): adapt reads x
        yield batch


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode`` for an input of ``input_shape``."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    # multi_hot / count / tf_idf reduce the sample axis (axis 1, or 0 for one sample).
    return input_shape[:1] + input_shape[2:] + (depth,) if len(input_shape) > 1 else (depth,)


def encode(indices, output_mode, depth, dtype=None, count_weights=None, idf_weights=None):
    """Keras's ``encode_categorical_inputs`` on a NumPy array of integer indices.

    ``one_hot`` adds a ``depth`` axis (replacing a trailing axis of size 1); ``multi_hot``,
    ``count`` and ``tf_idf`` reduce the sample axis (axis 1 of a batch, axis 0 of one sample)
    to a ``depth``-long histogram, with ``count_weights`` weighting each count and
    ``idf_weights`` (one per index) scaling the counts for ``tf_idf``. Indices outside
    ``[0, depth)`` are dropped, as Keras drops the mask token's index.
    """
    dtype = dtype or floatx()
    indices = np.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.reshape(indices.shape[:-1])
    if output_mode == "one_hot":
        valid = (indices >= 0) & (indices < depth)
        return ((indices[..., None] == np.arange(depth)) & valid[..., None]).astype(dtype)
    if count_weights is not None:
        count_weights = np.asarray(count_weights)
        if count_weights.dtype.kind == "f":
            dtype = count_weights.dtype
    counts = _histograms(indices, depth, count_weights)
    if output_mode == "multi_hot":
        counts = counts > 0
    elif output_mode == "tf_idf":
        counts = counts * np.asarray(idf_weights, np.float64)
    return counts.astype(dtype)


def _histograms(indices, depth, weights=None):
    """Per-sample bin counts of ``indices`` over the sample axis (1, or 0 for one sample),
    without materializing a one-hot array (a vocabulary may be large)."""
    if indices.ndim == 1:
        rows = indices[None]
        weights = None if weights is None else np.asarray(weights)[None]
    else:
        rows = np.moveaxis(indices, 1, -1)
        weights = None if weights is None else np.moveaxis(np.asarray(weights), 1, -1)
    lead = rows.shape[:-1]
    rows = rows.reshape(-1, rows.shape[-1]).astype(np.int64)
    valid = (rows >= 0) & (rows < depth)
    flat = (np.arange(rows.shape[0])[:, None] * depth + rows)[valid]
    w = None if weights is None else weights.reshape(rows.shape)[valid].astype(np.float64)
    counts = np.bincount(flat, weights=w, minlength=rows.shape[0] * depth)
    counts = counts.reshape(lead + (depth,))
    return counts[0] if indices.ndim == 1 else counts
