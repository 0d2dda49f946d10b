"""``IndexLookup``: the vocabulary table behind ``StringLookup``, ``IntegerLookup`` and
``TextVectorization`` (Keras's base class, not exported by ``keras.layers`` either).

Index layout, as in Keras: ``[mask token (int mode only)] + [OOV token] * num_oov_indices +
vocabulary``. Tokens outside the vocabulary go to the OOV index, or with several OOV indices to
one chosen by ``floormod`` (integers) or FarmHash/SipHash (strings, or integers with
``oov_method='farmhash'``), bucket for bucket as Keras chooses. The vocabulary is written to
``vocabulary.txt`` among the model's assets unless it is in the config.
"""

import os

import numpy as np

from numdeep.autograd import Tensor
from numdeep.backend import floatx
from numdeep.backend.dtypes import standardize_dtype
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical
from numdeep.layers.preprocessing.hashing import as_hash_strings, hash_to_bins, parse_salt
from numdeep.layers.preprocessing.vocabulary import (
    TokenCounts,
    as_tokens,
    check_lookup_arguments,
    inverse_document_frequency,
    invert_indices,
    read_vocabulary_file,
    repeated,
)
from numdeep.ops.symbolic import KerasTensor

__all__ = ["IndexLookup"]

# A mask token outside `int` mode maps past every bin, so the encodings drop it (as Keras does).
DROPPED = np.iinfo(np.int64).max


class IndexLookup(Layer):
    """Maps tokens (strings or integers) to indices in a vocabulary, or back with ``invert``.

    Args:
        max_tokens: largest vocabulary size, special tokens included (``None``: no cap).
        num_oov_indices: how many indices out-of-vocabulary tokens share (0: they are an
            error).
        mask_token: a token mapped to index 0 in ``int`` mode and dropped by the other modes.
        oov_token: the token ``invert`` returns for OOV indices (and listed in the vocabulary).
        vocabulary_dtype: ``'string'`` or ``'int64'``.
        vocabulary: a list/array of tokens, or the path of a file with one token per line.
        idf_weights: one weight per vocabulary token (``tf_idf`` with a given vocabulary).
        invert: map indices to tokens.
        output_mode: ``'int'``, ``'one_hot'``, ``'multi_hot'``, ``'count'`` or ``'tf_idf'``.
        pad_to_max_tokens: make the encodings ``max_tokens`` wide.
        oov_method: ``'floormod'`` (integer tokens: ``token % num_oov_indices``) or
            ``'farmhash'``; string tokens are always hashed.
        salt: an int or pair of ints: hash OOV tokens with SipHash under this key.

    Example:
        >>> import numdeep as nd
        >>> layer = nd.layers.IndexLookup(max_tokens=None, num_oov_indices=1, mask_token="",
        ...                               oov_token="[OOV]", vocabulary_dtype="string")
        >>> layer.adapt(["one", "one", "two"])
        >>> layer.get_vocabulary()
        ['', '[OOV]', 'one', 'two']
        >>> layer(["two", "three", ""]).data
        array([3, 1, 0])
    """

    # `idf_weights` is stored under its own key (Keras's layout), not as a numbered variable.
    _saves_own_variables = True
    _untracked_attrs = Layer._untracked_attrs | frozenset(
        {"_tokens", "_index", "_counts", "input_vocabulary", "input_idf_weights", "idf_weights",
         "salt"})

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        vocabulary_dtype = standardize_dtype(vocabulary_dtype)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_lookup_arguments(type(self).__name__, max_tokens, num_oov_indices, output_mode,
                               invert, sparse, pad_to_max_tokens, idf_weights, oov_method, salt,
                               vocabulary_dtype != "string")
        salt = parse_salt(salt, "IndexLookup")
        # Both come from configs: the size the layer was called with, and whether its
        # vocabulary was given (then `adapt` is refused).
        frozen_size = vocabulary_size
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert, self.max_tokens, self.num_oov_indices = invert, max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.output_mode, self.sparse, self.pad_to_max_tokens = output_mode, sparse, \
            pad_to_max_tokens
        self.vocabulary_dtype, self.oov_method, self.salt = vocabulary_dtype, oov_method, salt
        self._frozen_vocab_size = frozen_size
        # A file vocabulary is not kept in the config: it travels as an asset.
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens, self._index = (), {}
        self.idf_weights = None
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, "
                             "the `idf_weights` argument must also be provided.")
        if idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, floatx())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self._counts = None if has_input_vocabulary else TokenCounts()

    # ----- the vocabulary ----------------------------------------------------------------------
    @property
    def _integer(self):
        return self.vocabulary_dtype != "string"

    @property
    def compute_dtype(self):
        return self.vocabulary_dtype

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (``include_special_tokens=False``: without the mask and
        OOV tokens)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (a list/array of tokens, with or without the special tokens
        leading, or a file path) and, in ``tf_idf`` mode, its ``idf_weights``."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode} and "
                             f"idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            if os.path.exists(vocabulary) and self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary "
                                 "from file.")
            vocabulary = read_vocabulary_file(vocabulary, self._integer)
        tokens = as_tokens(vocabulary, self._integer, getattr(self, "encoding", "utf-8"))
        if not tokens:
            raise ValueError(f"Cannot set an empty vocabulary. Received: "
                             f"vocabulary={vocabulary}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        self._check_tokens(tokens, special)
        self._set_tokens(tokens)
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            self._set_idf_weights(idf_weights, len(tokens) + (start if found_special else 0),
                                  found_special)

    def _check_tokens(self, tokens, special):
        twice = repeated(tokens)
        if twice:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {twice}")
        for what, token in (("mask_token", self.mask_token),
                            ("oov_token", self.oov_token if self.invert else None)):
            if token is not None and token in tokens:
                kind = "mask" if what == "mask_token" else "OOV"
                raise ValueError(
                    f"Found reserved {kind} token at unexpected location in `vocabulary`. Note "
                    f"that passed `vocabulary` does not need to include the OOV and mask "
                    f"tokens. Either remove all mask and OOV tokens, or include them only at "
                    f"the start of the vocabulary in precisely this order: {special}. "
                    f"Received: {what}={token} at vocabulary index {tokens.index(token)}")
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is {size}; `max_tokens` is "
                             f"{self.max_tokens}.")

    def _set_idf_weights(self, idf_weights, expected, found_special):
        weights = np.asarray(categorical.to_numpy(idf_weights), np.float64)
        if weights.ndim != 1:
            raise ValueError(f"TF-IDF data must be a 1-index array. Received: "
                             f"type(idf_weights)={type(idf_weights)}")
        if len(weights) != expected:
            raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                             f"len(idf_weights) is {len(weights)}; len(vocabulary) is "
                             f"{expected}")
        # Without special tokens in the vocabulary their weights are unknown: the mean stands
        # in for them (Keras's choice).
        front = 0 if found_special else self._token_start_index()
        back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0
        weights = np.pad(weights, (front, back), constant_values=(np.average(weights), 0))
        self.idf_weights = weights.astype(floatx())

    def _set_tokens(self, tokens):
        self._tokens = tuple(tokens)
        start = self._token_start_index()
        self._index = {t: i + start for i, t in enumerate(self._tokens)}

    def _record_vocabulary_size(self):
        new = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is not None and new != self._frozen_vocab_size:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               f"`pad_to_max_tokens=False`, the vocabulary size cannot be "
                               f"changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {new}")
        self._frozen_vocab_size = new

    # ----- adapt --------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn the vocabulary (most frequent tokens first, ties by decreasing token, at most
        ``max_tokens``) from an array or list of tokens, or an iterable of batches (at most
        ``steps`` of them); ``tf_idf`` also learns the IDF weights."""
        self.reset_state()
        if self._is_whole(data):
            keys = self._keys(data)
            self.update_state(keys[:, None] if keys.ndim == 1 else keys)
        else:
            for batch in categorical.iterate_batches(data, steps, lambda d: False):
                self.update_state(batch)
        self.finalize_state()

    @staticmethod
    def _is_whole(data):
        return isinstance(data, list | tuple | np.ndarray | Tensor | str | bytes) or \
            not hasattr(data, "__iter__")

    def update_state(self, data):
        """Count the tokens of one batch (each row is a document)."""
        keys = self._keys(data)
        self._count_documents(keys.reshape(1, -1) if keys.ndim <= 1 else keys.reshape(
            keys.shape[0], -1))

    def _count_documents(self, documents):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             f"vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             f"method.")
        self._counts.add_documents((np.asarray(d).tolist() for d in documents),
                                   per_document=self.output_mode == "tf_idf")

    def finalize_state(self):
        counts = self._counts
        if self._has_input_vocabulary or not counts:
            self._record_vocabulary_size()
            return
        counts.discard(self.mask_token, self.oov_token)
        start = self._token_start_index()
        tokens = counts.most_common(self.max_tokens - start if self.max_tokens else None)
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.asarray(inverse_document_frequency(counts.document_counts(tokens),
                                                        counts.num_documents), floatx())
            back = self.max_tokens - start - len(idf) if self.pad_to_max_tokens else 0
            self.idf_weights = np.pad(idf, (start, back), constant_values=(
                idf.mean() if idf.size else 0, 0)).astype(floatx())
        self.reset_state()
        self._record_vocabulary_size()

    def reset_state(self):
        if not self._has_input_vocabulary:
            self._counts = TokenCounts()

    # ----- lookup ---------------------------------------------------------------------------
    def _keys(self, values):
        """Inputs as a NumPy array of tokens: int64 (integer vocabulary, or ``invert``) or
        Python strings."""
        if self._integer or self.invert:
            arr = categorical.to_numpy(values)
            if arr.dtype.kind not in "iub":
                raise ValueError(f"{type(self).__name__} layer '{self.name}' expects integer "
                                 f"inputs; received dtype {arr.dtype}.")
            return arr.astype(np.int64)
        return categorical.to_text(values, getattr(self, "encoding", "utf-8"))

    def _lookup(self, keys):
        flat = keys.reshape(-1)
        if flat.size == 0:
            return np.zeros(keys.shape, np.int64)
        uniques, inverse = np.unique(flat, return_inverse=True)
        tokens = uniques.tolist()
        found = np.array([self._index.get(t, -1) for t in tokens], np.int64)
        oov = found < 0
        if self.mask_token is not None:
            is_mask = np.array([t == self.mask_token for t in tokens])
            found[is_mask] = 0 if self.output_mode == "int" else DROPPED
            oov &= ~is_mask
        if oov.any():
            found[oov] = self._oov_indices(uniques[oov])
        return found[inverse.reshape(-1)].reshape(keys.shape)

    def _oov_indices(self, tokens):
        n = self.num_oov_indices
        if n == 0:
            raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, "
                             f"found OOV values {tokens.tolist()}, consider setting "
                             f"`num_oov_indices=1`.")
        start = self._oov_start_index()
        if n == 1:
            return start
        if self._integer and self.oov_method != "farmhash":
            return np.mod(tokens.astype(np.int64), n) + start
        return hash_to_bins(as_hash_strings(tokens), n, self.salt) + start

    def _invert_lookup(self, indices):
        tokens = invert_indices(self.get_vocabulary(), indices, self._token_start_index(),
                                self.oov_token, self.mask_token)
        return tokens.astype(np.int64) if self._integer else self._string_output(tokens)

    def _string_output(self, tokens):
        """Inverted string lookups as TensorFlow gives them to Keras: bytes."""
        return np.vectorize(lambda t: t.encode("utf-8"), otypes=[object])(tokens)

    def _ensure_known_vocab_size(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               f"`pad_to_max_tokens=False`, you must set the layer's vocabulary "
                               f"before calling it. Either pass a `vocabulary` argument to the "
                               f"layer, or call `adapt` with some sample data.")

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _encode(self, lookups):
        if self.output_mode == "tf_idf" and self.idf_weights is None:
            raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be "
                             "provided.")
        return categorical.encode(lookups, self.output_mode, self._depth(), floatx(),
                                  idf_weights=self.idf_weights)

    def call(self, inputs):
        self._ensure_known_vocab_size()
        keys = self._keys(inputs)
        if self.invert:
            return Tensor(self._invert_lookup(keys))
        lookups = self._lookup(keys.reshape(1) if keys.ndim == 0 else keys)
        if self.output_mode == "int":
            return Tensor(lookups.reshape(keys.shape))
        return Tensor(self._encode(lookups))

    # ----- shapes, config, saving --------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        input_shape, depth = tuple(input_shape), self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def compute_output_spec(self, inputs):
        if self.invert:
            dtype = self.vocabulary_dtype
        else:
            dtype = "int64" if self.output_mode == "int" else floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        pass

    def get_config(self):
        config = super().get_config()
        config.update(invert=self.invert, max_tokens=self.max_tokens,
                      num_oov_indices=self.num_oov_indices, oov_token=self.oov_token,
                      mask_token=self.mask_token, output_mode=self.output_mode,
                      sparse=self.sparse, pad_to_max_tokens=self.pad_to_max_tokens,
                      vocabulary_dtype=self.vocabulary_dtype,
                      idf_weights=_listify(self.input_idf_weights),
                      vocabulary=_listify(self.input_vocabulary),
                      vocabulary_size=self._frozen_vocab_size, oov_method=self.oov_method,
                      salt=self.salt)
        return config

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"])

    def save_assets(self, dir_path):
        """Write the vocabulary (special tokens included) to ``dir_path/vocabulary.txt``,
        unless it is kept in the config."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Read the vocabulary ``save_assets`` wrote."""
        if self.input_vocabulary is not None:
            return
        tokens = read_vocabulary_file(os.path.join(dir_path, "vocabulary.txt"), self._integer)
        if self.output_mode == "tf_idf":
            self.set_vocabulary(tokens, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(tokens)


def _listify(x):
    if isinstance(x, Tensor):
        x = x.data
    return x.tolist() if isinstance(x, np.ndarray) else (list(x) if isinstance(x, tuple) else x)
