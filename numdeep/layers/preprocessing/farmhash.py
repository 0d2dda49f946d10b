"""FarmHash ``Fingerprint64`` (Geoff Pike's ``farmhashna::Hash64``) in pure Python.

It is the string hash behind TensorFlow's ``tf.strings.to_hash_bucket_fast``, which Keras's
``Hashing`` layer and the OOV buckets of ``StringLookup``/``IntegerLookup`` use: a token lands in
bucket ``fingerprint64(token) % num_bins``. Matching it bit for bit is what lets a model saved by
Keras hash the same tokens to the same bins in numdeep. All arithmetic is on unsigned 64-bit
words (Python ints masked to 64 bits); inputs are ``bytes`` (strings are hashed as UTF-8).

Example:
    >>> from numdeep.layers.preprocessing.farmhash import fingerprint64
    >>> fingerprint64(b"")
    11160318154034397263
    >>> fingerprint64("omar") % 2
    0
"""

import struct

__all__ = ["fingerprint64", "hash_buckets"]

_M = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _fetch64(s, i):
    return struct.unpack_from("<Q", s, i)[0]


def _fetch32(s, i):
    return struct.unpack_from("<I", s, i)[0]


def _rotate(v, shift):
    # A right rotation of a 64-bit word (FarmHash's `Rotate64`).
    return ((v >> shift) | (v << (64 - shift))) & _M if shift else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _hash_len_0_to_16(s):
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M
        b = _fetch64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & _M
        d = ((_rotate(a, 25) + b) * mul) & _M
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(s, 0)
        return _hash_len16((n + (a << 3)) & _M, _fetch32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _hash_len_17_to_32(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M
    d = (_fetch64(s, n - 16) * _K2) & _M
    return _hash_len16((_rotate((a + b) & _M, 43) + _rotate(c, 30) + d) & _M,
                       (a + _rotate((b + _K2) & _M, 18) + c) & _M, mul)


def _hash_len_33_to_64(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M
    d = (_fetch64(s, n - 16) * _K2) & _M
    y = (_rotate((a + b) & _M, 43) + _rotate(c, 30) + d) & _M
    z = _hash_len16(y, (a + _rotate((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_fetch64(s, 16) * mul) & _M
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M
    h = ((z + _fetch64(s, n - 24)) * mul) & _M
    return _hash_len16((_rotate((e + f) & _M, 43) + _rotate(g, 30) + h) & _M,
                       (e + _rotate((f + a) & _M, 18) + g) & _M, mul)


def _weak_hash_len32_with_seeds(s, i, a, b):
    w, x, y, z = struct.unpack_from("<4Q", s, i)
    a = (a + w) & _M
    b = _rotate((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rotate(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def _mix_block(s, i, x, y, z, v, w, mul, last):
    # One 64-byte round; the final round (`last`) weights the carries by 9, as FarmHash does.
    x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w[1] * (9 if last else 1)) & _M
    y = (y + v[0] * (9 if last else 1) + _fetch64(s, i + 40)) & _M
    z = (_rotate((z + w[0]) & _M, 33) * mul) & _M
    v = _weak_hash_len32_with_seeds(s, i, (v[1] * mul) & _M, (x + w[0]) & _M)
    w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & _M,
                                    (y + _fetch64(s, i + 16)) & _M)
    return z, y, x, v, w  # x and z trade places after every round


def fingerprint64(data):
    """FarmHash ``Fingerprint64`` of ``data`` (``bytes``, or ``str`` hashed as UTF-8): an int in
    ``[0, 2**64)``, identical on every platform."""
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    n = len(s)
    if n <= 16:
        return _hash_len_0_to_16(s)
    if n <= 32:
        return _hash_len_17_to_32(s)
    if n <= 64:
        return _hash_len_33_to_64(s)
    seed = 81
    y = (seed * _K1 + 113) & _M
    z = (_shift_mix((y * _K2 + 113) & _M) * _K2) & _M
    v, w = (0, 0), (0, 0)
    x = (seed * _K2 + _fetch64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    for i in range(0, end, 64):
        x, y, z, v, w = _mix_block(s, i, x, y, z, v, w, _K1, last=False)
    mul = _K1 + ((z & 0xFF) << 1)
    last64 = end + ((n - 1) & 63) - 63
    w0 = (w[0] + ((n - 1) & 63)) & _M
    v = ((v[0] + w0) & _M, v[1])
    w = ((w0 + v[0]) & _M, w[1])
    x, y, z, v, w = _mix_block(s, last64, x, y, z, v, w, mul, last=True)
    return _hash_len16(
        (_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _M,
        (_hash_len16(v[1], w[1], mul) + x) & _M, mul)


def hash_buckets(tokens, num_buckets, hash_fn=fingerprint64):
    """``hash_fn(token) % num_buckets`` for each token of a flat sequence of ``bytes``, as int64
    (each distinct token is hashed once)."""
    import numpy as np

    tokens = np.asarray(tokens, dtype=object)
    uniques, inverse = np.unique(tokens, return_inverse=True)
    bins = np.array([hash_fn(t) % num_buckets for t in uniques], dtype=np.int64)
    return bins[inverse.reshape(-1)].reshape(tokens.shape)
