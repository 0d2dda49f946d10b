"""``keras.preprocessing.sequence``: padding variable-length sequences to one length.

Example:
    >>> from numdeep.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post").tolist()
    [[2, 3], [4, 0]]
"""

from numdeep.utils.arrays import pad_sequences

__all__ = ["pad_sequences"]
