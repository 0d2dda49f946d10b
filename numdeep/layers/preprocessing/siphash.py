"""SipHash-2-4 with a 128-bit key, in pure Python.

It is the keyed ("strong") string hash behind TensorFlow's ``tf.strings.to_hash_bucket_strong``,
which Keras's ``Hashing`` layer and lookup layers use when given a ``salt``: a token lands in
bucket ``siphash64(token, salt) % num_bins``, the salt being the two 64-bit key words.

Example:
    >>> from numdeep.layers.preprocessing.siphash import siphash64
    >>> siphash64(b"", (0x0706050403020100, 0x0F0E0D0C0B0A0908))  # the reference test vector
    8246050544436514353
"""

import struct

__all__ = ["siphash64"]

_M = (1 << 64) - 1


def _rotl(v, b):
    return ((v << b) | (v >> (64 - b))) & _M


def _round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _M
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _M
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _M
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash64(data, key):
    """SipHash-2-4 of ``data`` (``bytes``, or ``str`` hashed as UTF-8) under ``key``, a pair of
    unsigned 64-bit ints: an int in ``[0, 2**64)``."""
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    k0, k1 = (int(k) & _M for k in key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    n = len(s)
    full = n - n % 8
    tail = s[full:] + bytes(7 - n % 8) + bytes([n & 0xFF])
    for i in range(0, full + 8, 8):
        m = struct.unpack_from("<Q", s, i)[0] if i < full else struct.unpack("<Q", tail)[0]
        v3 ^= m
        v0, v1, v2, v3 = _round(*_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
