"""Float32 GELU on cache-sized blocks: about fifteen times faster than the ``erf`` composition.

``x * Phi(x)`` equals ``max(x, 0) - |x| * h`` with ``h = erfc(|x| / sqrt 2) / 2`` for either sign
of ``x`` (no select). ``h`` comes from Abramowitz & Stegun 7.1.26 (absolute error below 2e-7,
the size of float32 rounding), evaluated in place on blocks of ``_BLOCK`` elements so each
intermediate stays in cache. Reference: ``gelu_reference`` in
``numdeep/autograd/primitives/elementwise.py``.
"""

import math

import numpy as np

_BLOCK = 1 << 15
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

    Example:
        >>> import numpy as np
        >>> y, h = gelu_and_tail(np.array([-1.0, 0.0, 1.0], np.float32))
        >>> y.round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
    """
    flat = x.reshape(-1)
    y, h = np.empty_like(flat), np.empty_like(flat)
    n = min(_BLOCK, flat.size)
    a, t, poly = (np.empty(n, np.float32) for _ in range(3))
    with np.errstate(under="ignore"):
        for s in range(0, flat.size, _BLOCK):
            k = min(_BLOCK, flat.size - s)
            _gelu_block(flat[s:s + k], y[s:s + k], h[s:s + k], a[:k], t[:k], poly[:k])
    return y.reshape(x.shape), h.reshape(x.shape)
