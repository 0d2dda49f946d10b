"""``TextVectorization``: raw strings to token indices or bag-of-words vectors (standardize,
split, n-grams, vocabulary lookup), the first layer of Keras's text-classification tutorials."""

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.backend import floatx
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical, text
from numdeep.layers.preprocessing.index_lookup import DROPPED
from numdeep.layers.preprocessing.lookups import StringLookup
from numdeep.ops.symbolic import KerasTensor

__all__ = ["TextVectorization"]

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


def _check_arguments(caller, standardize, split, output_mode, ngrams, output_sequence_length,
                     sparse, ragged):
    if sparse:
        raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
    if ragged:
        raise ValueError("`ragged=True` can only be used with the TensorFlow backend.")
    categorical.check_choice(standardize, STANDARDIZE, caller, "standardize", allow_none=True,
                             allow_callables=True)
    categorical.check_choice(split, SPLIT, caller, "split", allow_none=True,
                             allow_callables=True)
    categorical.check_choice(output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"),
                             caller, "output_mode")
    if not (ngrams is None or isinstance(ngrams, int) or (
            isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
        raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. "
                         f"Received: ngrams={ngrams}")
    if output_mode == "int" and not (output_sequence_length is None or
                                     isinstance(output_sequence_length, int)):
        raise ValueError(f"`output_sequence_length` must be either None or an integer when "
                         f"`output_mode` is 'int'. Received: "
                         f"output_sequence_length={output_sequence_length}")
    if output_mode != "int" and output_sequence_length is not None:
        raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not "
                         f"'int'. Received output_sequence_length={output_sequence_length}.")


def _callable_from_config(value, what):
    """A ``standardize``/``split`` entry of a config: a name, or a serialized registered
    function (looked up, never imported)."""
    if value is None or isinstance(value, str) or callable(value):
        return value
    if isinstance(value, dict):
        for key in (value.get("registered_name"), value.get("config")):
            fn = registry.get_registered_object(key)
            if callable(fn):
                return fn
    raise ValueError(f"TextVectorization: cannot rebuild `{what}` from {value!r}; register the "
                     f"function with `register_keras_serializable` or pass it in "
                     f"`custom_objects`.")


class TextVectorization(Layer):
    """Turns a batch of strings into token indices or bag-of-words vectors.

    Each string is standardized, split into tokens, extended with n-grams and looked up in a
    vocabulary (``adapt`` learns it, most frequent tokens first, or pass ``vocabulary``). Index 0
    is padding (``''``), index 1 the OOV token ``'[UNK]'``.

    Args:
        max_tokens: largest vocabulary size, padding and OOV included.
        standardize: ``'lower_and_strip_punctuation'`` (default), ``'lower'``,
            ``'strip_punctuation'``, ``None`` or a callable taking and returning a NumPy array
            of ``str``. Lowercasing touches ASCII letters only, as TensorFlow's does.
        split: ``'whitespace'`` (default), ``'character'``, ``None`` (inputs are tokens) or a
            callable mapping the array of standardized strings to token lists.
        ngrams: ``None``, an int ``n`` (all 1..n-grams) or a tuple of widths.
        output_mode: ``'int'`` (index sequences), ``'multi_hot'``, ``'count'``, ``'tf_idf'``
            (one ``vocabulary_size``-long vector per string) or ``'one_hot'``.
        output_sequence_length: ``int`` mode: pad or cut the sequences to this length (else
            pad to the longest of the batch).
        pad_to_max_tokens: make the vectors ``max_tokens`` wide.
        vocabulary: list of tokens or a file path; idf_weights: their IDF weights (``tf_idf``).
        sparse, ragged: unsupported (numdeep arrays are dense); must be False.
        encoding: the text encoding of ``bytes`` inputs.

    Inputs: a NumPy array (``str``, ``bytes`` or ``object``) or list of strings, shaped
    ``(batch,)`` or ``(batch, 1)``.

    Example:
        >>> import numdeep as nd
        >>> layer = nd.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog ran!"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'ran', 'dog', 'cat']
        >>> layer(["the cat ran", "a bird"]).data
        array([[2, 6, 4, 0],
               [1, 1, 0, 0]])
    """

    _saves_own_variables = True  # the lookup's `idf_weights`, as Keras writes them

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        _check_arguments(type(self).__name__, standardize, split, output_mode, ngrams,
                         output_sequence_length, sparse, ragged)
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        super().__init__(name=name, **kwargs)
        self._max_tokens, self._standardize, self._split = max_tokens, standardize, split
        self._ngrams_arg, self._ngrams = ngrams, text.ngram_widths(ngrams)
        self._ragged, self._output_mode = ragged, output_mode
        self._output_sequence_length, self._encoding = output_sequence_length, encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)

    @property
    def compute_dtype(self):
        return "string"

    # ----- the vocabulary ----------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and IDF weights in ``tf_idf`` mode) from strings: an array or
        list, or an iterable of batches (a generator, a PyDataset), at most ``steps`` batches.
        Tokens are ranked by count, ties by decreasing token, and cut to ``max_tokens``."""
        self.reset_state()
        if isinstance(data, list | tuple | np.ndarray | Tensor | str | bytes):
            texts = categorical.to_text(data, self._encoding)
            self.update_state(texts[:, None] if texts.ndim == 1 else texts)
        else:
            for batch in categorical.iterate_batches(data, steps, lambda d: False):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        tokens = self._preprocess(data)
        if isinstance(tokens, list):
            self._lookup_layer._count_documents(tokens)
        else:
            self._lookup_layer.update_state(tokens)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (with ``''`` and ``'[UNK]'`` first unless
        ``include_special_tokens=False``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size, padding and OOV tokens included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (list/array of tokens or a file path) and, for ``tf_idf``, its
        IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ----- the pipeline ------------------------------------------------------------------------
    def _standardized(self, texts):
        if callable(self._standardize):
            result = self._standardize(text.as_unicode_array(texts))
            return categorical.to_text(result, self._encoding)
        if self._standardize is None:
            return texts
        lower = self._standardize in ("lower", "lower_and_strip_punctuation")
        strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        flat = texts.reshape(-1).tolist()
        if lower:
            flat = [text.lower(s) for s in flat]
        if strip:
            flat = [text.strip_punctuation(s) for s in flat]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(texts.shape)

    def _split_texts(self, texts):
        """Standardized strings -> one token list per string (the batch is ragged)."""
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(f"When using `TextVectorization` to tokenize strings, the "
                                 f"input rank must be 1 or the last shape dimension must be 1. "
                                 f"Received: inputs.shape={texts.shape} with rank={texts.ndim}")
            texts = texts.reshape(texts.shape[:-1])
        if callable(self._split):
            return [list(categorical.to_text(row, self._encoding).reshape(-1))
                    for row in self._split(text.as_unicode_array(texts))]
        split = text.split_whitespace if self._split == "whitespace" else text.split_characters
        return [split(s) for s in texts.reshape(-1).tolist()]

    def _preprocess(self, inputs):
        """Strings -> a list of token lists (when splitting or making n-grams) or an array of
        tokens shaped like the input (``split=None``)."""
        texts = self._standardized(categorical.to_text(inputs, self._encoding))
        if self._split is None:
            if self._ngrams is None:
                return texts
            rows = [list(r) for r in texts.reshape(texts.shape[0] if texts.ndim else 1, -1)]
        else:
            rows = self._split_texts(texts)
        if self._ngrams is not None:
            rows = [text.ngrams(r, self._ngrams) for r in rows]
        return rows

    def call(self, inputs):
        lookup = self._lookup_layer
        lookup._ensure_known_vocab_size()
        scalar = np.ndim(categorical.to_numpy(inputs)) == 0
        tokens = self._preprocess(inputs)
        if not isinstance(tokens, list):  # split=None: the inputs are the tokens
            if self._output_mode != "int":
                return Tensor(lookup._encode(lookup._lookup(
                    tokens[:, None] if tokens.ndim == 1 else tokens)))
            return Tensor(self._fit_length(lookup._lookup(tokens)))
        length = max((len(r) for r in tokens), default=0)
        if self._output_mode == "int" and self._output_sequence_length is not None:
            length = self._output_sequence_length
        pad = 0 if self._output_mode == "int" else DROPPED
        ids = np.full((len(tokens), length), pad, dtype=np.int64)
        flat = np.empty(sum(len(r) for r in tokens), dtype=object)
        flat[:] = [t for r in tokens for t in r]
        looked_up = lookup._lookup(flat)
        start = 0
        for i, row in enumerate(tokens):
            n = min(len(row), length)
            ids[i, :n] = looked_up[start:start + n]
            start += len(row)
        out = ids if self._output_mode == "int" else lookup._encode(ids)
        return Tensor(out[0] if scalar else out)

    def _fit_length(self, ids):
        n = self._output_sequence_length
        if n is None or ids.ndim == 0:
            return ids
        ids = ids[..., :n]
        width = [(0, 0)] * (ids.ndim - 1) + [(0, n - ids.shape[-1])]
        return np.pad(ids, width)

    # ----- shapes, config, saving --------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            input_shape = tuple(input_shape) + ((1,) if len(input_shape) <= 1 else ())
        else:
            input_shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        dtype = "int64" if self._output_mode == "int" else floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_config(self):
        lookup = self._lookup_layer
        config = super().get_config()
        config.update(max_tokens=lookup.max_tokens, standardize=self._standardize,
                      split=self._split, ngrams=self._ngrams_arg, output_mode=self._output_mode,
                      output_sequence_length=self._output_sequence_length,
                      pad_to_max_tokens=lookup.pad_to_max_tokens, sparse=lookup.sparse,
                      ragged=self._ragged, vocabulary=lookup.get_config()["vocabulary"],
                      idf_weights=lookup.get_config()["idf_weights"], encoding=self._encoding,
                      vocabulary_size=self.vocabulary_size())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["standardize"] = _callable_from_config(config.get("standardize"), "standardize")
        config["split"] = _callable_from_config(config.get("split"), "split")
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        """Write the vocabulary (``vocabulary.txt``) unless it is in the config."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        """Read the vocabulary ``save_assets`` wrote."""
        self._lookup_layer.load_assets(dir_path)
