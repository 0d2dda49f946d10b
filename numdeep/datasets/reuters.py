"""Reuters newswires (11,228) labelled over 46 topics, as word-index sequences.

Keras's ``reuters.npz`` from its origin with its hash, read through the restricted unpickler
(``safe_pickle``); shuffling, filtering and the train/test split follow Keras's ``load_data``.
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

__all__ = ["load_data", "get_word_index", "get_label_names"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Load the Reuters newswires, Keras style.

    Args:
        path: the file's name in the cache.
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            ``imdb.load_data``.
        test_split: the fraction of newswires (the last ones after shuffling) held out.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word ids, and int
        topic labels 0-45.
    """
    f = load_sequences(path, ORIGIN + "reuters.npz", SHA256)
    xs, labels = shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs, labels = drop_long(maxlen, offset(xs, start_char, index_from), labels)
    xs = remap(xs, num_words, skip_top, oov_char)
    labels = np.asarray(labels, f["y"].dtype)
    n = int(len(xs) * (1 - test_split))
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` of the Reuters vocabulary (ids in the data are offset by 3)."""
    from numdeep.utils.downloads import get_file

    path = get_file(path, origin=ORIGIN + "reuters_word_index.json", file_hash=WORD_INDEX_MD5)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed like the labels."""
    return LABEL_NAMES
