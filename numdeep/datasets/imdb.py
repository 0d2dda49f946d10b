"""IMDB movie reviews (25,000 + 25,000) labelled by sentiment, as word-index sequences.

Keras's ``imdb.npz`` from its origin with its hash; the ragged sequences inside are object arrays,
read through a restricted unpickler that rebuilds NumPy arrays only (``safe_pickle``). Shuffling
and filtering follow Keras's ``load_data`` exactly, so the same arguments give the same arrays.
"""

import json

import numpy as np

from numdeep.datasets.sequences import (
    drop_long,
    load_sequences,
    object_array,
    offset,
    remap,
    shuffled,
)

__all__ = ["load_data", "get_word_index"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """Load the IMDB reviews, Keras style.

    Args:
        path: the file's name in the cache.
        num_words: keep the ``num_words`` most frequent words (others become ``oov_char``).
        skip_top: also turn the ``skip_top`` most frequent words into ``oov_char``.
        maxlen: drop reviews of ``maxlen`` words or more.
        seed: seed of the shuffle (a private generator; global random state is untouched).
        start_char: marks the start of each review (``None``: no mark).
        oov_char: replaces the words cut by ``num_words``/``skip_top`` (``None``: drop them).
        index_from: offset added to every word id.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word ids, and int
        label arrays (1 positive, 0 negative).
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}.")
    f = load_sequences(path, ORIGIN + "imdb.npz", SHA256)
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = shuffled(rng, f["x_test"], f["y_test"])
    x_train, y_train = drop_long(maxlen, offset(x_train, start_char, index_from), y_train)
    x_test, y_test = drop_long(maxlen, offset(x_test, start_char, index_from), y_test)
    if maxlen and (not x_train or not x_test):
        raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                         f"sequence was kept. Increase maxlen.")
    xs = remap(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([np.asarray(y_train, f["y_train"].dtype),
                             np.asarray(y_test, f["y_test"].dtype)])
    n = len(x_train)
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` of the IMDB vocabulary (index 1 is the most frequent word)."""
    from numdeep.utils.downloads import get_file

    path = get_file(fname=path, origin=ORIGIN + "imdb_word_index.json",
                    file_hash=WORD_INDEX_MD5)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
