"""``StringLookup`` and ``IntegerLookup``: vocabulary lookups of string and integer features
(``IndexLookup`` with Keras's defaults and arguments)."""

import numpy as np

from numdeep.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["StringLookup", "IntegerLookup"]


def _refuse_sparse(caller, sparse):
    if sparse:
        raise ValueError(f"`sparse=True` can only be used with the TensorFlow backend "
                         f"({caller}: numdeep arrays are dense).")


class StringLookup(IndexLookup):
    """Maps strings to integer indices in a vocabulary (learnt by ``adapt`` or given), or
    indices back to strings with ``invert=True``.

    Args:
        max_tokens: largest vocabulary size, mask and OOV indices included.
        num_oov_indices: indices shared by out-of-vocabulary strings (hashed with FarmHash, or
            SipHash under ``salt``, when more than one).
        mask_token: a string mapped to 0 (``int`` mode) or dropped (other modes).
        oov_token: the string ``invert`` returns for OOV indices (default ``'[UNK]'``).
        vocabulary: list/array of strings or a file with one string per line.
        idf_weights: IDF weights of the given vocabulary (``tf_idf`` mode).
        invert: map indices to strings.
        output_mode: ``'int'``, ``'one_hot'``, ``'multi_hot'``, ``'count'`` or ``'tf_idf'``.
        pad_to_max_tokens: make the encodings ``max_tokens`` wide.
        sparse: unsupported (numdeep arrays are dense); must be False.
        encoding: the text encoding of ``bytes`` inputs.
        salt: an int or pair of ints keying the OOV hash.

    Inputs are NumPy arrays of ``str``/``bytes``/``object`` or (nested) Python lists.

    Example:
        >>> import numdeep as nd
        >>> layer = nd.layers.StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]]).data
        array([[1, 3],
               [0, 2]])
        >>> nd.layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)([1, 0]).data
        array(['a', '[UNK]'], dtype=object)
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        _refuse_sparse("StringLookup", sparse)
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def adapt(self, data, steps=None):
        """Learn the vocabulary from strings: an array, a list, or an iterable of batches (at
        most ``steps``), most frequent first."""
        super().adapt(data, steps=steps)

    def _string_output(self, tokens):
        return tokens  # Python strings, as Keras's torch backend returns them

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings have one dtype
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices in a vocabulary (learnt by ``adapt`` or given), or
    back with ``invert=True``.

    Args:
        max_tokens: largest vocabulary size, mask and OOV indices included.
        num_oov_indices: indices shared by out-of-vocabulary values (``value % n``, or FarmHash
            of the decimal string with ``oov_method='farmhash'``).
        mask_token: a value mapped to 0 (``int`` mode) or dropped (other modes).
        oov_token: the value ``invert`` returns for OOV indices (default ``-1``).
        vocabulary: list/array of ints or a file with one int per line.
        vocabulary_dtype: only ``'int64'``.
        idf_weights, invert, output_mode, sparse, pad_to_max_tokens, salt: as ``StringLookup``.
        oov_method: ``'floormod'`` (default) or ``'farmhash'``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).data
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater "
                             f"than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"The value of `num_oov_indices` argument for `IntegerLookup` "
                             f"must >= 0. Received: num_oov_indices={num_oov_indices}")
        _refuse_sparse("IntegerLookup", sparse)
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt,
                         name=name, **kwargs)

    def adapt(self, data, steps=None):
        """Learn the vocabulary from integers: an array, a list, or an iterable of batches (at
        most ``steps``), most frequent first."""
        super().adapt(data, steps=steps)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in np.asarray(config["vocabulary"]).tolist()]
        return config
