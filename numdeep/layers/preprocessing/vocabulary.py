"""The vocabulary bookkeeping of the lookup layers: token counts gathered by ``adapt``, Keras's
deterministic vocabulary order, inverse document frequencies, and vocabulary files.

A vocabulary here is a list of Python tokens (``str`` or ``int``) without the special (mask and
OOV) tokens, in index order.
"""

import collections
import math
import os

import numpy as np

from numdeep.layers.preprocessing import categorical
from numdeep.layers.preprocessing.categorical import to_numpy

__all__ = ["TokenCounts", "read_vocabulary_file", "repeated", "inverse_document_frequency",
           "as_tokens", "check_lookup_arguments", "invert_indices", "MODES"]

MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class TokenCounts:
    """Token and document frequencies accumulated over the batches ``adapt`` reads.

    Example:
        >>> counts = TokenCounts()
        >>> counts.add_documents([["a", "b", "a"], ["b", "c"]])
        >>> counts.most_common(max_tokens=None)
        ['b', 'a', 'c']
        >>> counts.document_counts(["a", "b", "c"]), counts.num_documents
        ([1, 2, 1], 2)
    """

    def __init__(self):
        self.tokens = collections.Counter()
        self.documents = collections.Counter()
        self.num_documents = 0

    def __len__(self):
        return len(self.tokens)

    def add_documents(self, documents, per_document=True):
        """Count the tokens of each document (a 1-D sequence); ``per_document`` also counts in
        how many documents each token occurs (what ``tf_idf`` needs)."""
        for doc in documents:
            doc = list(doc)
            self.tokens.update(doc)
            if per_document:
                self.documents.update(set(doc))
                self.num_documents += 1

    def discard(self, *tokens):
        for token in tokens:
            if token is not None:
                self.tokens.pop(token, None)

    def most_common(self, max_tokens):
        """The tokens by decreasing count, ties by decreasing token (Keras's order), at most
        ``max_tokens`` of them."""
        ordered = sorted(self.tokens.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if max_tokens is not None:
            ordered = ordered[:max(max_tokens, 0)]
        return [token for token, _ in ordered]

    def document_counts(self, tokens):
        return [self.documents[t] for t in tokens]


def inverse_document_frequency(document_counts, num_documents):
    """Keras's IDF: ``log(1 + num_documents / (1 + document_count))``."""
    return [math.log(1 + num_documents / (1 + c)) for c in document_counts]


def repeated(tokens):
    """The tokens that occur more than once in ``tokens``."""
    return [t for t, n in collections.Counter(tokens).items() if n > 1]


def read_vocabulary_file(path, integer):
    """The tokens of a vocabulary file, one per line (trailing blank lines ignored); ints when
    ``integer``."""
    if not os.path.exists(path):
        raise ValueError(f"Vocabulary file {path} does not exist.")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    return [int(line) for line in lines] if integer else lines


def as_tokens(values, integer, encoding="utf-8"):
    """A flat list of Python tokens (``int`` or ``str``) from an array, list or Tensor."""
    arr = to_numpy(values)
    if integer:
        return [int(v) for v in arr.reshape(-1).tolist()]
    return [v.decode(encoding) if isinstance(v, bytes) else str(v)
            for v in arr.reshape(-1).tolist()]


def invert_indices(vocabulary, indices, token_start, oov_token, mask_token):
    """The tokens at ``indices`` (an int array) of ``vocabulary`` (special tokens included):
    ``oov_token`` outside ``[token_start, len(vocabulary))``, ``mask_token`` at 0 when set."""
    out = np.empty(indices.shape, dtype=object)
    flat = out.reshape(-1)
    for i, k in enumerate(indices.reshape(-1).tolist()):
        flat[i] = vocabulary[k] if token_start <= k < len(vocabulary) else oov_token
        if k == 0 and mask_token is not None:
            flat[i] = mask_token
    return out


def check_lookup_arguments(caller, max_tokens, num_oov_indices, output_mode, invert, sparse,
                     pad_to_max_tokens, idf_weights, oov_method, salt, integer):
    """Keras's argument checks of the lookup layers (its error messages, which its tests
    match)."""
    if max_tokens is not None and max_tokens <= 1:
        raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: "
                         f"max_tokens={max_tokens}")
    if pad_to_max_tokens and max_tokens is None:
        raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                         f"max_tokens={max_tokens}")
    if num_oov_indices < 0:
        raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                         f"num_oov_indices={num_oov_indices}")
    categorical.check_choice(oov_method, ("floormod", "farmhash"), caller, "oov_method")
    if salt is not None and integer and oov_method != "farmhash":
        raise ValueError(f"`salt` can only be used when `oov_method='farmhash'`. Received: "
                         f"oov_method={oov_method}")
    categorical.check_choice(output_mode, MODES, caller, "output_mode")
    if invert and output_mode != "int":
        raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                         f"output_mode={output_mode}")
    if sparse and output_mode == "int":
        raise ValueError(f"`sparse` may only be true if `output_mode` is `'one_hot'`, "
                         f"`'multi_hot'`, `'count'` or `'tf_idf'`. Received: sparse={sparse} "
                         f"and output_mode={output_mode}")
    if idf_weights is not None and output_mode != "tf_idf":
        raise ValueError(f"`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                         f"Received: idf_weights={idf_weights} and output_mode={output_mode}")
    if sparse:
        raise ValueError(f"{caller}: `sparse=True` is not supported, numdeep arrays are dense.")
