"""Float32 GELU on cache-sized blocks: about fifteen times faster than the ``erf`` composition.

``x * Phi(x)`` equals ``max(x, 0) - |x| * h`` with ``h = erfc(|x| / sqrt 2) / 2`` for either sign
of ``x`` (no select). ``h`` comes from Abramowitz & Stegun 7.1.26 (absolute error below 2e-7,
the size of float32 rounding), evaluated in place on blocks of ``_BLOCK`` elements so each
intermediate stays in cache. Reference: ``gelu_reference`` in
``numdeep/autograd/primitives/elementwise.py``.
"""

import math

import numpy as np

from numdeep.backend.kernels.blockwise import for_each_block

_BLOCK = 1 << 17  # 512 KB per array: measured 31 -> 29 ms on (4096, 1536) vs 1 << 15; larger
# blocks also hold the GIL-free loops long enough for two threads to overlap
_P = 0.3275911
_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
_RSQRT2 = 1.0 / math.sqrt(2.0)
CAP = 1e4  # beyond |x| ~ 14, h is exactly 0; the cap keeps |x| * h at 0 (not inf * 0) at +-inf


def _half_erfc_block(a, out, t, poly):
    """``erfc(a / sqrt 2) / 2`` for a float32 block ``a >= 0`` into ``out`` (``t``, ``poly``:
    scratch)."""
    f = a.dtype.type
    np.multiply(a, a, out=out)
    out *= f(-0.5)
    np.exp(out, out=out)  # exp(-a^2 / 2)
    np.multiply(a, f(_P * _RSQRT2), out=t)
    t += f(1)
    np.reciprocal(t, out=t)  # the t of A&S 7.1.26
    np.multiply(t, f(0.5 * _A[0]), out=poly)  # the coefficients carry the 1/2
    for c in _A[1:]:
        poly += f(0.5 * c)
        poly *= t
    out *= poly
    return out


def _gelu_block(x, y, h, a, t, poly):
    np.abs(x, out=a)
    np.minimum(a, a.dtype.type(CAP), out=a)
    _half_erfc_block(a, h, t, poly)
    a *= h
    np.maximum(x, x.dtype.type(0), out=y)
    y -= a


def gelu_and_tail(x):
    """``(gelu(x), h)`` of a float32 NumPy array, ``h = erfc(|x| / sqrt 2) / 2``.

    The blocks are independent; with several threads they are handed out over the pool
    (``blockwise``), each thread with its own scratch (NumPy's ufuncs release the GIL).

    Example:
        >>> import numpy as np
        >>> y, h = gelu_and_tail(np.array([-1.0, 0.0, 1.0], np.float32))
        >>> y.round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
    """
    return _run(x, tail=True)


def gelu(x):
    """``gelu(x)`` of a float32 NumPy array, without keeping the tail ``h`` (inference).

    ``h`` then lives in a block-sized scratch instead of a full-size array the backward would
    need: measured on BERT's ``(4096, 1536)`` intermediate activations, 44 -> 35 ms at one
    thread (a 25 MB array less to fault in and write).

    Example:
        >>> import numpy as np
        >>> gelu(np.array([-1.0, 0.0, 1.0], np.float32)).round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
    """
    return _run(x, tail=False)[0]


def _run(x, tail):
    flat = x.reshape(-1)
    y = np.empty_like(flat)
    h = np.empty_like(flat) if tail else None
    n = min(_BLOCK, flat.size)

    def scratch():  # one thread's working arrays
        return [np.empty(n, np.float32) for _ in range(3 if tail else 4)]

    def block(i, work):
        s = i * _BLOCK
        k = min(_BLOCK, flat.size - s)
        a, t, poly = (w[:k] for w in work[:3])
        hb = h[s:s + k] if tail else work[3][:k]
        with np.errstate(under="ignore"):  # pool threads start from NumPy's default state
            _gelu_block(flat[s:s + k], y[s:s + k], hb, a, t, poly)

    for_each_block(-(-flat.size // _BLOCK), block, flat.size, scratch)
    return y.reshape(x.shape), None if h is None else h.reshape(x.shape)
