"""Elementwise transcendental primitives: trigonometric and hyperbolic functions and their
inverses, ``expm1``, ``cbrt``, ``arctan2`` and ``erfinv``.

Each derivative is written through what forward already computed where that is cheaper (``tan``'s
through ``1 + y**2``, ``sinh``'s through ``cosh``...). Like NumPy, values outside a function's
domain give NaN (``arcsin(2)``) and poles give infinities, silently.
"""

import math

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.elementwise import erf, quiet


class Sin(Function):
    """``sin(x)``."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy * self.xp.cos(x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy * Cos.apply(x)


class Cos(Function):
    """``cos(x)``."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, gy):
        (x,) = self.saved
        return -gy * self.xp.sin(x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return -gy * Sin.apply(x)


class Tan(Function):
    """``tan(x)``; the derivative ``1 + tan(x)**2`` reuses the output."""

    def forward(self, x):
        y = self.xp.tan(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (1 + y * y)

    def backward_graph(self, gy, y):
        return gy * (1 + y * y)


class Arcsin(Function):
    """``arcsin(x)`` on ``[-1, 1]``; the derivative ``1 / sqrt(1 - x**2)`` is infinite at ±1."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(invalid="ignore"):
            return self.xp.arcsin(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(divide="ignore", invalid="ignore"):
            return gy / self.xp.sqrt(1 - x * x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy / (1 - x * x).sqrt()


class Arccos(Function):
    """``arccos(x)`` on ``[-1, 1]``; the derivative is ``-1 / sqrt(1 - x**2)``."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(invalid="ignore"):
            return self.xp.arccos(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(divide="ignore", invalid="ignore"):
            return -gy / self.xp.sqrt(1 - x * x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return -gy / (1 - x * x).sqrt()


class Arctan(Function):
    """``arctan(x)``; the derivative is ``1 / (1 + x**2)``."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arctan(x)

    def backward(self, gy):
        (x,) = self.saved
        return gy / (1 + x * x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy / (1 + x * x)


class Arctan2(Function):
    """``arctan2(y, x)``, the angle of the point ``(x, y)``; the gradient is
    ``(x, -y) / (x**2 + y**2)`` (NaN at the origin, where the angle has no derivative)."""

    def forward(self, y, x):
        self.save_for_backward(y, x)
        return self.xp.arctan2(y, x)

    def backward(self, gy):
        y, x = self.saved
        with quiet(divide="ignore", invalid="ignore"):
            g = gy / (x * x + y * y)
        gyy = g * x if self.needs_input_grad[0] else None
        gxx = -g * y if self.needs_input_grad[1] else None
        return gyy, gxx


class Sinh(Function):
    """``sinh(x)``."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(over="ignore"):
            return self.xp.sinh(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(over="ignore"):
            return gy * self.xp.cosh(x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy * Cosh.apply(x)


class Cosh(Function):
    """``cosh(x)``."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(over="ignore"):
            return self.xp.cosh(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(over="ignore"):
            return gy * self.xp.sinh(x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy * Sinh.apply(x)


class Arcsinh(Function):
    """``arcsinh(x)``; the derivative is ``1 / sqrt(x**2 + 1)``."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arcsinh(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(over="ignore"):
            return gy / self.xp.sqrt(x * x + 1)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy / (x * x + 1).sqrt()


class Arccosh(Function):
    """``arccosh(x)`` for ``x >= 1``; the derivative ``1 / sqrt(x**2 - 1)`` is infinite at 1."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(invalid="ignore"):
            return self.xp.arccosh(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(divide="ignore", invalid="ignore", over="ignore"):
            return gy / self.xp.sqrt(x * x - 1)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy / (x * x - 1).sqrt()


class Arctanh(Function):
    """``arctanh(x)`` on ``(-1, 1)``; the derivative is ``1 / (1 - x**2)``."""

    def forward(self, x):
        self.save_for_backward(x)
        with quiet(divide="ignore", invalid="ignore"):
            return self.xp.arctanh(x)

    def backward(self, gy):
        (x,) = self.saved
        with quiet(divide="ignore"):
            return gy / (1 - x * x)

    def backward_graph(self, gy, y):
        (x,) = self.parents
        return gy / (1 - x * x)


class Expm1(Function):
    """``exp(x) - 1``, accurate for tiny ``x``; the derivative ``exp(x)`` is ``y + 1``."""

    def forward(self, x):
        with quiet(over="ignore"):
            y = self.xp.expm1(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return gy * (y + 1)

    def backward_graph(self, gy, y):
        return gy * (y + 1)


class Cbrt(Function):
    """Real cube root; the derivative ``1 / (3 y**2)`` is infinite at 0."""

    def forward(self, x):
        y = self.xp.cbrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        with quiet(divide="ignore"):
            return gy / (3 * y * y)

    def backward_graph(self, gy, y):
        return gy / (3 * y * y)


_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2


class Erfinv(Function):
    """Inverse error function on ``(-1, 1)`` (``±inf`` at ``±1``, NaN outside).

    Giles' single-precision approximation ("Approximating the erfinv function", 2010) starts
    two Newton steps on ``erf(y) - x``, which bring it to float64 accuracy. The derivative is
    ``sqrt(pi) / 2 * exp(y**2)``.
    """

    def forward(self, x):
        xp = self.xp
        with quiet(divide="ignore", invalid="ignore", over="ignore"):
            w = -xp.log((1.0 - x) * (1.0 + x))
            central = _horner(w - 2.5, _GILES_CENTRAL)
            tail = _horner(xp.sqrt(xp.maximum(w, 5.0)) - 3.0, _GILES_TAIL)
            y = xp.where(w < 5.0, central, tail) * x
            inner = xp.abs(x) < 1
            y = xp.where(inner, y, xp.where(xp.abs(x) == 1, xp.copysign(xp.inf, x), xp.nan))
            safe = xp.where(inner, y, 0.0)
            for _ in range(2):
                safe = safe - (erf(xp, safe) - xp.where(inner, x, 0.0)) / (
                    xp.exp(-safe * safe) / _SQRT_PI_OVER_2)
            y = xp.where(inner, safe, y).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        with quiet(over="ignore"):
            return gy * (_SQRT_PI_OVER_2 * self.xp.exp(y * y))

    def backward_graph(self, gy, y):
        return gy * (_SQRT_PI_OVER_2 * (y * y).exp())


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(z, coefs):
    acc = coefs[0] + 0 * z
    for c in coefs[1:]:
        acc = acc * z + c
    return acc
