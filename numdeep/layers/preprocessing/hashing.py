"""``Hashing``: categorical features (strings or integers) to ``num_bins`` bins by FarmHash (or
SipHash with a ``salt``), bin for bin as Keras computes them."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend import floatx
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical
from numdeep.layers.preprocessing.farmhash import fingerprint64
from numdeep.layers.preprocessing.siphash import siphash64

__all__ = ["Hashing", "hash_to_bins", "as_hash_strings", "parse_salt"]

MODES = ("int", "one_hot", "multi_hot", "count")


def parse_salt(salt, caller):
    """``None``, an int (used for both key words) or a pair of ints -> ``None`` or a list."""
    if salt is None:
        return None
    if isinstance(salt, tuple | list) and len(salt) == 2:
        return list(salt)
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    raise ValueError(f"The `salt` argument for `{caller}` can only be a tuple of size 2 "
                     f"integers, or a single integer. Received: salt={salt}.")


def as_hash_strings(values):
    """The strings TensorFlow hashes: strings as they are, integers in decimal, floats
    truncated to integers first (Keras's rule)."""
    arr = categorical.to_numpy(values)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
        out = np.empty(arr.shape, dtype=object)
        out.reshape(-1)[:] = [str(v) for v in arr.reshape(-1).tolist()]
        return out
    return categorical.to_text(arr)


def hash_to_bins(strings, num_bins, salt=None):
    """``fingerprint64(s) % num_bins`` (``siphash64(s, salt)`` with a salt) for each string of
    an object array, as int64; each distinct string is hashed once."""
    flat = strings.reshape(-1)
    if flat.size == 0:
        return np.zeros(strings.shape, np.int64)
    uniques, inverse = np.unique(flat, return_inverse=True)
    if salt is None:
        bins = [fingerprint64(s) % num_bins for s in uniques]
    else:
        bins = [siphash64(s, salt) % num_bins for s in uniques]
    return np.asarray(bins, np.int64)[inverse.reshape(-1)].reshape(strings.shape)


class Hashing(Layer):
    """Hashes each value (string or integer) into one of ``num_bins`` bins.

    The bins are Keras's: FarmHash ``Fingerprint64`` of the value's string form (integers in
    decimal) modulo ``num_bins``, or SipHash-2-4 keyed by ``salt``, so a model saved by Keras
    hashes alike here.

    Args:
        num_bins: number of bins, the mask bin included when ``mask_value`` is set.
        mask_value: a value hashed to bin 0 (the others then go to bins ``1..num_bins-1``).
        salt: an int or a pair of ints: use the keyed SipHash instead of FarmHash.
        output_mode: ``'int'`` (the bin indices), ``'one_hot'``, ``'multi_hot'`` or ``'count'``
            (over the last axis).
        sparse: unsupported (numdeep arrays are dense); must be False.
        dtype: output dtype; ``'int64'`` for ``'int'`` mode, ``floatx()`` otherwise.

    Example:
        >>> import numdeep as nd
        >>> nd.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).data.ravel()
        array([1, 0, 1, 1, 2])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f'When `output_mode="int"`, `dtype` should be an integer type, '
                             f"'int32' or 'in64'. Received: dtype={kwargs['dtype']}")
        if output_mode not in MODES:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{MODES}. Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError(f'`sparse` may only be true if `output_mode` is `"one_hot"`, '
                             f'`"multi_hot"`, or `"count"`. Received: sparse={sparse} and '
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError("Hashing: `sparse=True` is not supported, numdeep arrays are "
                             "dense.")
        self.num_bins, self.mask_value = num_bins, mask_value
        self.salt = parse_salt(salt, "Hashing")
        self.strong_hash = self.salt is not None
        self.output_mode, self.sparse = output_mode, sparse
        self._allow_non_tensor_positional_args = True

    def _hash_values_to_bins(self, values):
        bins = self.num_bins
        strings = as_hash_strings(values)
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = strings == as_hash_strings(np.asarray([self.mask_value]))[0]
        out = hash_to_bins(strings, bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs):
        values = categorical.to_numpy(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values.reshape(values.shape[:-1])
        indices = self._hash_values_to_bins(values)
        return Tensor(categorical.encode(indices, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config
