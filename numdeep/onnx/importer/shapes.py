"""Shape arithmetic with free sizes: what ``Shape`` -> ``Gather`` -> ``Mul`` -> ``Concat`` ->
``Reshape`` chains compute in exported graphs with a free batch axis.

Constant parts fold to integers at import; a free size is a ``Dim`` (axis ``axis`` of a
symbolic tensor), and arithmetic on it builds an expression. A shape that still holds
expressions becomes a *spec* (nested tuples: ints, ``("dim", i, axis)`` for axis ``axis`` of
reference tensor ``i``, ``(op, a, b)``) that the run-time functions resolve against the actual
tensors.

Example:
    >>> import numpy as np
    >>> from numdeep.onnx.importer.shapes import Dim, resolve, to_spec
    >>> shape = np.array([Dim("x", 0) * 4, 3], dtype=object)
    >>> spec, refs = to_spec(shape)
    >>> spec, refs
    ((('mul', ('dim', 0, 0), 4), 3), ['x'])
    >>> resolve(spec, [np.zeros((5, 2))])
    [20, 3]
"""

import numpy as np

_OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a // b, "mod": lambda a, b: a % b}


class Expr:
    """A size known only when the model runs."""

    def _bin(self, op, other, swap=False):
        if isinstance(other, np.generic):
            other = other.item()
        return Bin(op, other, self) if swap else Bin(op, self, other)

    def __add__(self, o): return self._bin("add", o)  # noqa: E704
    def __radd__(self, o): return self._bin("add", o, True)  # noqa: E704
    def __sub__(self, o): return self._bin("sub", o)  # noqa: E704
    def __rsub__(self, o): return self._bin("sub", o, True)  # noqa: E704
    def __mul__(self, o): return self._bin("mul", o)  # noqa: E704
    def __rmul__(self, o): return self._bin("mul", o, True)  # noqa: E704
    def __floordiv__(self, o): return self._bin("div", o)  # noqa: E704
    def __rfloordiv__(self, o): return self._bin("div", o, True)  # noqa: E704
    def __truediv__(self, o): return self._bin("div", o)  # noqa: E704
    def __mod__(self, o): return self._bin("mod", o)  # noqa: E704
    def __rmod__(self, o): return self._bin("mod", o, True)  # noqa: E704

    def __int__(self):
        raise TypeError("a free size has no value until the model runs")


class Dim(Expr):
    """Axis ``axis`` of ``tensor`` (a symbolic tensor), whose size is free."""

    def __init__(self, tensor, axis):
        self.tensor, self.axis = tensor, axis

    def __repr__(self):
        return f"Dim({getattr(self.tensor, 'name', self.tensor)}, {self.axis})"


class Bin(Expr):
    def __init__(self, op, a, b):
        self.op, self.a, self.b = op, a, b

    def __repr__(self):
        return f"({self.a!r} {self.op} {self.b!r})"


def is_partial(value):
    """Whether ``value`` (an array) holds free sizes."""
    return isinstance(value, np.ndarray) and value.dtype == object and any(
        isinstance(e, Expr) for e in value.flat)


def settle(value):
    """An object array without free sizes as int64; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.dtype == object and not is_partial(value):
        return value.astype(np.int64)
    return value


def to_spec(value):
    """``(spec, refs)`` of a 1-D (or scalar) shape value."""
    refs = []

    def convert(e):
        if isinstance(e, Dim):
            for i, r in enumerate(refs):
                if r is e.tensor:
                    return ("dim", i, e.axis)
            refs.append(e.tensor)
            return ("dim", len(refs) - 1, e.axis)
        if isinstance(e, Bin):
            return (e.op, convert(e.a), convert(e.b))
        return int(e)

    arr = np.asarray(value, dtype=object)
    if arr.ndim == 0:
        return convert(arr.item()), refs
    return tuple(convert(e) for e in arr.reshape(-1)), refs


def resolve(spec, refs):
    """The integers of ``spec`` given the actual reference tensors."""
    def value(e):
        if isinstance(e, tuple):
            if e[0] == "dim":
                return int(np.shape(getattr(refs[e[1]], "data", refs[e[1]]))[e[2]])
            return int(_OPS[e[0]](value(e[1]), value(e[2])))
        return int(e)

    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        return value(spec)
    return [value(e) for e in spec]
