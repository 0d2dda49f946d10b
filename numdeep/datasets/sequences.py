"""The word-index sequence datasets (IMDB, Reuters): Keras's preprocessing of their ``.npz``,
step by step in Keras's order (so the same arguments give the same arrays)."""

import numpy as np

__all__ = ["load_sequences", "shuffled", "offset", "drop_long", "remap", "object_array"]


def load_sequences(fname, origin, file_hash):
    """The arrays of a Keras sequence ``.npz``, downloaded once and read without running its
    pickled object arrays (``safe_pickle.load_npz``)."""
    from numdeep.datasets.safe_pickle import load_npz
    from numdeep.utils.downloads import get_file

    return load_npz(get_file(fname=fname, origin=origin, file_hash=file_hash))


def shuffled(rng, *arrays):
    """The arrays in one random order (``rng``: a seeded ``RandomState``, Keras's shuffle)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def offset(xs, start_char, index_from):
    """Add ``index_from`` to every word id and prepend ``start_char`` (unless ``None``)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep the sequences shorter than ``maxlen`` (all when ``maxlen`` is falsy)."""
    if not maxlen:
        return list(xs), list(labels)
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def remap(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it is
    ``None``); ``num_words=None`` means the largest id (which Keras's bound then excludes)."""
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(sequences):
    """A 1-D object array of lists (what Keras returns), even when all lengths agree."""
    out = np.empty(len(sequences), dtype=object)
    out[:] = sequences
    return out
