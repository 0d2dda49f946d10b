"""The string operations of ``TextVectorization``, with TensorFlow's exact semantics (which Keras
relies on): ASCII-only lowercasing, Keras's punctuation class, splitting on ASCII whitespace or
into characters, and space-joined n-grams.

Example:
    >>> from numdeep.layers.preprocessing import text
    >>> text.strip_punctuation(text.lower("Hello, WORLD! Ça va?"))
    'hello world Ça va'
    >>> text.ngrams(["a", "b", "c"], (1, 2))
    ['a', 'b', 'c', 'a b', 'b c']
"""

import re

import numpy as np

__all__ = ["lower", "strip_punctuation", "split_whitespace", "split_characters", "ngrams",
           "ngram_widths", "as_unicode_array"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Keras's punctuation class (`,-.` is the range `,` `-` `.`).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow splits on ASCII whitespace only (not on, e.g., a non-breaking space).
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def lower(s):
    """Lowercase ASCII letters only, as ``tf.strings.lower`` does (``'É'`` stays)."""
    return s.translate(_ASCII_LOWER)


def strip_punctuation(s):
    """Remove ASCII punctuation."""
    return _PUNCTUATION.sub("", s)


def split_whitespace(s):
    """Tokens separated by runs of ASCII whitespace, no empty tokens."""
    return [t for t in _WHITESPACE.split(s) if t]


def split_characters(s):
    """One token per Unicode code point."""
    return list(s)


def ngram_widths(ngrams):
    """``None``, an int ``n`` (widths ``1..n``) or a tuple of widths -> a tuple of widths or
    ``None``."""
    if ngrams is None:
        return None
    if isinstance(ngrams, int):
        return tuple(range(1, ngrams + 1))
    return tuple(ngrams)


def ngrams(tokens, widths):
    """All n-grams of each width in ``widths`` (in that order), tokens joined by a space; a
    width longer than the sequence gives none."""
    out = []
    for w in widths:
        out += [" ".join(tokens[i:i + w]) for i in range(len(tokens) - w + 1)]
    return out


def as_unicode_array(texts):
    """An array of ``str`` (NumPy ``'U'``) for a user's ``standardize`` callable (so that
    ``np.char`` functions work on it)."""
    return np.array(texts.tolist(), dtype=str).reshape(texts.shape)
