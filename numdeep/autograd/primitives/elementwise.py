"""Elementwise primitives: arithmetic, exp/log family, activations' building blocks, ``erf``
and the fused exact ``Gelu``.

Binary ops return gradients in the broadcast shape; the engine sums them back to each input's
shape. Inputs that are not Tensors (Python scalars, raw arrays) get no gradient, so backward only
computes what ``needs_input_grad`` asks for.
"""

import math

import numpy as np

from numdeep.autograd.engine import is_grad_enabled
from numdeep.autograd.function import Function
from numdeep.backend.kernels import activations as activation_kernels
from numdeep.backend.kernels import gelu as gelu_kernel


def quiet(**overrides):
    """Floating-point error scope that lets results round to zero without a warning.

    ``exp`` of a very negative number underflows to 0, which is the right answer; only a user's
    ``np.errstate(all="raise")`` would turn it into an error. CuPy raises no such flags, so the
    NumPy context manager is harmless there.
    """
    return np.errstate(under="ignore", **overrides)


class Add(Function):
    """``a + b``."""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy

    def backward_graph(self, gy, y):
        return gy, gy


class Sub(Function):
    """``a - b``."""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_input_grad[1] else None)

    def backward_graph(self, gy, y):
        return gy, (-gy if self.needs_input_grad[1] else None)


class Mul(Function):
    """``a * b``."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        ga = gy * b if self.needs_input_grad[0] else None
        gb = gy * a if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, gy, y):
        a, b = self.inputs(*self.saved)
        ga = gy * b if self.needs_input_grad[0] else None
        gb = gy * a if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """``a / b``; d/db is written through the output: ``-gy * y / b``."""

    def forward(self, a, b):
        y = a / b
        self.save_for_backward(b, y)
        return y

    def backward(self, gy):
        b, y = self.saved
        ga = gy / b
        gb = -ga * y if self.needs_input_grad[1] else None
        return (ga if self.needs_input_grad[0] else None), gb

    def backward_graph(self, gy, y):
        _, b = self.inputs(None, self.saved[0])
        ga = gy / b
        gb = -ga * y if self.needs_input_grad[1] else None
        return (ga if self.needs_input_grad[0] else None), gb


class Neg(Function):
    """``-x``."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy, y):
        return -gy


class Pow(Function):
    """``x ** p``; both may be tensors.

    Following PyTorch, the gradient wrt ``x`` is 0 where ``p == 0`` (not ``0 * x**-1 = nan`` at
    ``x = 0``) and the gradient wrt ``p`` is 0 where ``x == 0`` (the limit of ``x**p log x``).
    """

    def forward(self, x, p):
        y = x**p
        self.save_for_backward(x, p, y)
        return y

    def backward(self, gy):
        x, p, y = self.saved
        xp = self.xp
        gx = gp = None
        if self.needs_input_grad[0]:
            if isinstance(p, int | float):
                gx = gy * (p * x ** (p - 1)) if p != 0 else gy * 0
            else:
                gx = gy * xp.where(p == 0, 0, p * x ** (p - 1))
        if self.needs_input_grad[1]:
            gp = gy * y * xp.log(xp.where(x == 0, 1, x))
        return gx, gp

    def backward_graph(self, gy, y):
        x, p = self.inputs(*self.saved[:2])
        gx = gp = None
        if self.needs_input_grad[0]:
            if isinstance(p, int | float):
                gx = gy * (p * x ** (p - 1)) if p != 0 else gy * 0
            else:
                gx = gy * Where.apply(p == 0, 0, p * x ** (p - 1))
        if self.needs_input_grad[1]:
            gp = gy * y * Log.apply(Where.apply(x == 0, 1, x))
        return gx, gp


class Exp(Function):
    """``exp(x)``; underflow to 0 raises no floating-point error."""

    def forward(self, x):
        with quiet():
            y = self.xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * y

    def backward_graph(self, gy, y):
        return gy * y


class Log(Function):
    """Natural logarithm (``log(0) = -inf``, negative inputs give NaN, as in NumPy)."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy / x

    def backward_graph(self, gy, y):
        (x,) = self.inputs(*self.saved)
        return gy / x


class Log1p(Function):
    """``log(1 + x)``, accurate for tiny ``x`` (used by the stable softplus)."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log1p(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy / (1 + x)

    def backward_graph(self, gy, y):
        (x,) = self.inputs(*self.saved)
        return gy / (1 + x)


class Sqrt(Function):
    """Square root; the gradient at 0 is ``inf``, as in PyTorch."""

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * 0.5 / y

    def backward_graph(self, gy, y):
        return gy * 0.5 / y


class Abs(Function):
    """``|x|``; the gradient at 0 is 0 (``sign(0)``)."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy * self.xp.sign(x)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # sign(x) is piecewise constant: gy times it is all there is


class Tanh(Function):
    """Hyperbolic tangent; the derivative ``1 - y**2`` reuses the output."""

    def forward(self, x):
        y = self.xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (1 - y * y)

    def backward_graph(self, gy, y):
        return gy * (1 - y * y)


class Sigmoid(Function):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, silent and exact at any magnitude.

    Below about -88 (float32) or -709 (float64) ``exp(-x)`` overflows to ``inf`` and the result
    is 0, where the true value is already below the normal range, so the overflow flag is
    silenced rather than avoided. There is no cancellation, so very negative ``x`` keeps full
    relative precision. (A two-branch ``where`` form is ~5x slower on NumPy, whose ``where``
    is slow on random masks.)
    """

    def forward(self, x):
        with quiet(over="ignore"):
            y = 1 / (1 + self.xp.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (y * (1 - y))

    def backward_graph(self, gy, y):
        return gy * (y * (1 - y))


class Relu(Function):
    """``max(x, 0)``; the gradient at exactly 0 is 0 (NaN inputs stay NaN).

    Backward multiplies by the mask ``y > 0`` (a where would be ~10x slower on NumPy), so an
    infinite upstream gradient at an inactive unit becomes NaN where PyTorch gives 0; write
    ``where(x > 0, x, 0)`` when that matters (e.g. ``sqrt(relu(x))``).
    """

    def forward(self, x):
        y = activation_kernels.relu(self.xp, x)  # maximum(x, 0), on several cores when large
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return activation_kernels.relu_grad(self.xp, gy, y)  # gy * (y > 0)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # the mask is piecewise constant: gy times it is all there is


class Clip(Function):
    """Clamp to ``[lo, hi]`` (either bound may be None); the gradient passes at the bounds."""

    lo = hi = None

    def forward(self, x):
        self.save_for_backward(x)
        if self.lo is None and self.hi is None:
            return x.copy()
        return self.xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        (x,) = self.saved
        lo, hi = self.lo, self.hi
        if lo is None and hi is None:
            return gy
        if hi is None:
            return gy * (x >= lo)
        if lo is None:
            return gy * (x <= hi)
        return gy * ((x >= lo) & (x <= hi))

    def backward_graph(self, gy, y):
        return self.backward(gy)  # the mask is piecewise constant: gy times it is all there is


class Maximum(Function):
    """Elementwise ``max(a, b)``; at ties each input receives half of the gradient."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, self.xp.greater)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # the weights are piecewise constant: gy times them is all


class Minimum(Function):
    """Elementwise ``min(a, b)``; at ties each input receives half of the gradient."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, self.xp.less)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # the weights are piecewise constant: gy times them is all


def _split_by_winner(fn, gy, wins):
    """Route ``gy`` to the winning input, halving it at ties (the two halves sum back to gy)."""
    a, b = fn.saved
    # Arithmetic weights (1, 0.5 or 0) rather than nested where: much faster on NumPy.
    weight = (a == b).astype(gy.dtype)
    weight *= 0.5
    weight += wins(a, b)
    ga = gy * weight
    gb = gy - ga if fn.needs_input_grad[1] else None
    return (ga if fn.needs_input_grad[0] else None), gb


class Where(Function):
    """``a`` where the raw boolean array ``cond`` holds, else ``b``; ``cond`` gets no gradient.

    Backward zeroes the unselected branch with ``where`` rather than a multiply, so an infinite
    gradient there cannot turn into NaN: the safe pattern ``log(where(x > 0, x, 1))`` works.
    """

    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return self.xp.where(cond, a, b)

    def backward(self, gy):
        (cond,) = self.saved
        xp = self.xp
        ga = xp.where(cond, gy, 0) if self.needs_input_grad[1] else None
        gb = xp.where(cond, 0, gy) if self.needs_input_grad[2] else None
        return None, ga, gb

    def backward_graph(self, gy, y):
        (cond,) = self.saved
        ga = Where.apply(cond, gy, 0) if self.needs_input_grad[1] else None
        gb = Where.apply(cond, 0, gy) if self.needs_input_grad[2] else None
        return None, ga, gb


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 1969
# (coefficients of netlib's CALERF). Polynomials are listed highest power first.
_ERF_SMALL_NUM = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
                  3.77485237685302021e02, 3.20937758913846947e03)
_ERF_SMALL_DEN = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                  2.84423683343917062e03)
_ERFC_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
             6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
             1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_ERFC_DEN = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
             1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
             3.43936767414372164e03, 1.23033935480374942e03)
_ERF_SPLIT = 0.46875
_TWO_OVER_SQRT_PI = 1.1283791670955126


def _polyval(coefs, z):
    """Horner evaluation, in place on one fresh array."""
    acc = z * coefs[0]
    for c in coefs[1:-1]:
        acc += c
        acc *= z
    acc += coefs[-1]
    return acc


def erf(xp, x):
    """Vectorized ``erf`` on raw arrays (NumPy has none; SciPy is not a dependency).

    Two of Cody's rational approximations: ``x P(x^2)/Q(x^2)`` for ``|x| < 0.46875`` and
    ``1 - exp(-x^2) P(|x|)/Q(|x|)`` above, which is within 1e-15 of the true value up to
    ``|x| = 6``, where ``erf`` is 1 to double precision. Each branch only ever sees clamped
    arguments, so no element can overflow whichever branch is kept.
    """
    y = xp.abs(x)
    small = xp.minimum(y, _ERF_SPLIT)
    z = small * small
    inner = _polyval(_ERF_SMALL_NUM, z)
    inner /= _polyval(_ERF_SMALL_DEN, z)
    inner *= x
    big = xp.clip(y, _ERF_SPLIT, 6.0)
    outer = _polyval(_ERFC_NUM, big)
    outer /= _polyval(_ERFC_DEN, big)
    big *= big
    outer *= xp.exp(-big)
    outer = 1 - outer
    outer = xp.copysign(outer, x)
    # Select by exact 0/1 products (both branches are finite): NumPy's where is slow on mixed
    # masks, and a blend like outer + m * (inner - outer) would round away tiny erf(x).
    use_inner = y < _ERF_SPLIT
    inner *= use_inner
    outer *= ~use_inner
    inner += outer
    return inner


class Erf(Function):
    """Gauss error function (see ``erf``); derivative ``2/sqrt(pi) exp(-x^2)``."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet():  # x * x of a denormal-sized x
            return erf(self.xp, x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet():
            d = self.xp.exp(-(x * x))
        d *= _TWO_OVER_SQRT_PI
        return gy * d

    def backward_graph(self, gy, y):
        (x,) = self.inputs(*self.saved)
        return gy * (Exp.apply(-(x * x)) * _TWO_OVER_SQRT_PI)


_RSQRT2 = 1.0 / math.sqrt(2.0)
_RSQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu_reference(xp, x):
    """``(x * Phi(x), h)`` with ``h = erfc(|x| / sqrt 2) / 2 = 1/2 - erf(|x| / sqrt 2) / 2``.

    ``x * Phi(x) = max(x, 0) - |x| * h`` for either sign of ``x``, as ``Phi(x)`` is ``1 - h``
    for ``x >= 0`` and ``h`` below. This is the specification the float32 kernel
    (``numdeep.backend.kernels.gelu``) is tested against.
    """
    with quiet():
        a = xp.minimum(xp.abs(x), gelu_kernel.CAP)
        h = 0.5 - 0.5 * erf(xp, a * _RSQRT2)
        return xp.maximum(x, 0) - a * h, h


class Gelu(Function):
    """Exact GELU ``x * Phi(x)`` (``Phi`` the standard normal CDF) as one node.

    Composed from ``Erf`` the activation costs about thirty passes over the (tokens x 4*hidden)
    array and five graph nodes. Float32 NumPy arrays take the blocked kernel (within 2e-7 of
    ``gelu_reference``); float64 keeps the 1e-15 ``erf`` so gradient checks see the exact
    function. The backward is ``gy * (Phi(x) + x * pdf(x))``.
    """

    def forward(self, x):
        if self.xp is np and x.dtype == np.float32:
            if not is_grad_enabled():  # no backward can follow: skip the full-size tail
                return gelu_kernel.gelu(x)
            y, h = gelu_kernel.gelu_and_tail(x)
        else:
            y, h = gelu_reference(self.xp, x)
        self.save_for_backward(x, h)
        return y

    def backward(self, gy):
        x, h = self.saved
        xp = self.xp
        with quiet():
            c = xp.clip(x, -gelu_kernel.CAP, gelu_kernel.CAP)
            d = xp.exp(c * c * -0.5)
            d *= _RSQRT_2PI
            d *= c
            d += xp.where(x >= 0, 1 - h, h)  # Phi(x)
            return gy * d

    def backward_graph(self, gy, y):
        (x,) = self.inputs(self.saved[0])
        phi = 0.5 + 0.5 * Erf.apply(x * _RSQRT2)
        return gy * (phi + x * Exp.apply(x * x * -0.5) * _RSQRT_2PI)
