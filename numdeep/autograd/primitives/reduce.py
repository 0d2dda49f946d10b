"""Reductions: sum, max/min, and the numerically stable log-sum-exp / softmax / log-softmax.

The stable ops subtract the row maximum before ``exp``, so logits of any magnitude (±1e4 in
float32) give finite results with no floating-point warning. Rows where every entry is ``-inf``
(everything masked) are defined rather than NaN: ``softmax`` gives all zeros, ``log_softmax``
gives all ``-inf`` and ``logsumexp`` gives ``-inf``. The gradients of ``softmax`` and
``logsumexp`` are 0 there; ``log_softmax`` passes ``gy`` through unchanged at ``-inf`` entries,
as PyTorch does. A ``-inf`` entry in an otherwise finite row gets probability 0. Empty reduction
axes behave like all ``-inf`` rows (``max``/``min`` still raise, as in NumPy).
"""

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.elementwise import Exp, Where, quiet
from numdeep.autograd.primitives.movement import BroadcastTo


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _expand(xp, gy, axis, keepdims):
    """Give a reduced gradient back the reduced axes as size-1 dims, so it broadcasts."""
    if keepdims or axis is None:
        return gy
    return xp.expand_dims(gy, axis)


def _kept_shape(shape, axis):
    """``shape`` with the reduced axes kept as size 1 (the shape of a keepdims reduction)."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """Sum over ``axis`` (None: all axes); the gradient broadcasts back as a read-only view."""

    axis, keepdims = None, False

    def forward(self, x):
        self.axis = _axis(self.axis)
        self.shape = x.shape
        # NumPy accumulates small integers in int64; keep the input's dtype (booleans count).
        if x.dtype.kind in "iu":
            return x.sum(axis=self.axis, keepdims=self.keepdims, dtype=x.dtype)
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        xp = self.xp
        return xp.broadcast_to(_expand(xp, gy, self.axis, self.keepdims), self.shape)

    def backward_graph(self, gy, y):
        return BroadcastTo.apply(gy.reshape(_kept_shape(self.shape, self.axis)), shape=self.shape)


class _Extremum(Function):
    """Shared backward of Max and Min: ties split the gradient evenly among the extremal entries."""

    reducer = None
    axis, keepdims = None, False

    def forward(self, x):
        self.axis = _axis(self.axis)
        y = getattr(x, self.reducer)(axis=self.axis, keepdims=True)
        self.save_for_backward(x, y)
        return y if self.keepdims else y.reshape(_reduced_shape(x.shape, self.axis))

    def backward(self, gy):
        x, y = self.saved
        xp = self.xp
        mask = x == y
        count = mask.sum(axis=self.axis, keepdims=True, dtype=gy.dtype)
        return mask * (_expand(xp, gy, self.axis, self.keepdims) / count)

    def backward_graph(self, gy, y):
        x, y = self.saved
        mask = x == y
        share = mask / mask.sum(axis=self.axis, keepdims=True, dtype=gy.dtype)
        return gy.reshape(_kept_shape(x.shape, self.axis)) * share


def _reduced_shape(shape, axis):
    if axis is None:
        return ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class Max(_Extremum):
    """Maximum over ``axis``; ties split the gradient evenly (``[2, 2]`` gives ``[.5, .5]``)."""

    reducer = "max"


class Min(_Extremum):
    """Minimum over ``axis``; ties split the gradient evenly (``[2, 2]`` gives ``[.5, .5]``)."""

    reducer = "min"


def _safe_max(xp, x, axis):
    """Row maxima with non-finite ones replaced by 0, so ``x - m`` never forms ``inf - inf``."""
    if x.size == 0:  # max has no identity; any shift works for rows with nothing in them
        return xp.zeros_like(x.sum(axis=axis, keepdims=True))
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


def _shifted_exp(xp, x, axis):
    """``exp(x - max)`` and its row sums (0 only for rows that are entirely ``-inf``)."""
    with quiet(over="ignore"):
        e = x - _safe_max(xp, x, axis)
        xp.exp(e, out=e)
    return e, e.sum(axis=axis, keepdims=True)


def log_softmax(xp, x, axis):
    """Stable log-softmax of a raw array (a fresh array); shared with the fused losses.

    Only an exactly zero row sum (an all ``-inf`` row) is patched, so NaN still propagates.
    """
    with quiet(over="ignore"):
        z = x - _safe_max(xp, x, axis)
        s = xp.exp(z).sum(axis=axis, keepdims=True)
    z -= xp.log(xp.where(s == 0, 1, s))
    return z


class LogSumExp(Function):
    """``log(sum(exp(x), axis))`` without overflow; ``-inf`` for an all ``-inf`` row."""

    axis, keepdims = None, False

    def forward(self, x):
        xp = self.xp
        self.axis = _axis(self.axis)
        m = _safe_max(xp, x, self.axis)
        with quiet(over="ignore", divide="ignore"):
            s = xp.exp(x - m).sum(axis=self.axis, keepdims=True)
            y = xp.log(s)
        y += m
        self.save_for_backward(x, y)
        return y if self.keepdims else y.reshape(_reduced_shape(x.shape, self.axis))

    def backward(self, gy):
        x, y = self.saved
        xp = self.xp
        # d lse / dx = softmax(x); an all -inf row has y = -inf and gets gradient 0, not NaN.
        y = xp.where(y == -xp.inf, 0, y)
        with quiet():
            p = xp.exp(x - y)
        p *= _expand(xp, gy, self.axis, self.keepdims)
        return p

    def backward_graph(self, gy, y):
        (x,) = self.inputs(self.saved[0])
        kept = _kept_shape(self.saved[0].shape, self.axis)
        y = y.reshape(kept)
        y = Where.apply(y.data == -self.xp.inf, 0, y)
        return Exp.apply(x - y) * gy.reshape(kept)


class Softmax(Function):
    """``exp(x) / sum(exp(x))`` along ``axis``; all ``-inf`` rows give zeros."""

    axis = -1

    def forward(self, x):
        xp = self.xp
        e, s = _shifted_exp(xp, x, self.axis)
        e /= xp.where(s == 0, 1, s)
        self.save_for_backward(e)
        return e

    def backward(self, gy):
        (y,) = self.saved
        gx = gy * y
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx

    def backward_graph(self, gy, y):
        gx = gy * y
        return gx - y * gx.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """``x - logsumexp(x)`` along ``axis``; all ``-inf`` rows give ``-inf`` (probability 0)."""

    axis = -1

    def forward(self, x):
        y = log_softmax(self.xp, x, self.axis)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved
        xp = self.xp
        with quiet():
            p = xp.exp(y)
        p *= gy.sum(axis=self.axis, keepdims=True)
        return gy - p

    def backward_graph(self, gy, y):
        return gy - y.exp() * gy.sum(axis=self.axis, keepdims=True)


def _to_last(xp, x, axes):
    """``x`` with ``axes`` moved to the end and merged into one, plus the inverse recipe."""
    axes = tuple(sorted(a % x.ndim for a in axes))
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = x.transpose(rest + axes)
    return moved.reshape(moved.shape[:len(rest)] + (-1,)), (rest + axes, moved.shape)


def _from_last(xp, g, recipe):
    order, shape = recipe
    inverse = [0] * len(order)
    for i, a in enumerate(order):
        inverse[a] = i
    return g.reshape(shape).transpose(inverse)


def _exclusive_products(xp, x):
    """``prod(x[..., :i]) * prod(x[..., i+1:])`` for every ``i`` along the last axis, without a
    division, so zeros in ``x`` are exact."""
    ones = xp.ones_like(x[..., :1])
    left = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


class Prod(Function):
    """Product over ``axis``; the gradient of each entry is the product of the others (computed
    with prefix and suffix products, so zeros need no division)."""

    axis, keepdims = None, False

    def forward(self, x):
        self.axis = _axis(self.axis)
        self.save_for_backward(x)
        return x.prod(axis=self.axis, keepdims=self.keepdims,
                      dtype=None if x.dtype.kind == "b" else x.dtype)

    def backward(self, gy):
        (x,) = self.saved
        xp = self.xp
        axes = range(x.ndim) if self.axis is None else (
            self.axis if isinstance(self.axis, tuple) else (self.axis,))
        flat, recipe = _to_last(xp, x, axes)
        others = _from_last(xp, _exclusive_products(xp, flat), recipe)
        return others * _expand(xp, gy, self.axis, self.keepdims)


class Cumsum(Function):
    """Running sum along ``axis`` (of the flattened input when None); backward is the running
    sum of ``gy`` from the end."""

    axis = None

    def forward(self, x):
        self.shape = x.shape
        return self.xp.cumsum(x, axis=self.axis, dtype=None if x.dtype.kind == "b" else x.dtype)

    def backward(self, gy):
        axis = -1 if self.axis is None else self.axis
        g = self.xp.flip(self.xp.cumsum(self.xp.flip(gy, axis), axis=axis), axis)
        return g.reshape(self.shape)


class Cumprod(Function):
    """Running product along ``axis`` (of the flattened input when None).

    ``d y_k / d x_i = y_k / x_i`` for ``k >= i``, so backward is a reversed running sum of
    ``gy * y`` divided by ``x``; rows that contain a zero take the exact quadratic route
    (the running product of each row with one entry set to 1).
    """

    axis = None

    def forward(self, x):
        self.shape = x.shape
        y = self.xp.cumprod(x, axis=self.axis, dtype=None if x.dtype.kind == "b" else x.dtype)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        xp = self.xp
        axis = -1 if self.axis is None else self.axis
        x = xp.moveaxis(x.reshape(-1) if self.axis is None else x, axis, -1)
        y, gy = xp.moveaxis(y, axis, -1), xp.moveaxis(gy, axis, -1)
        with quiet(divide="ignore", invalid="ignore"):
            g = xp.flip(xp.cumsum(xp.flip(gy * y, -1), axis=-1), -1) / x
        zero_rows = (x == 0).any(axis=-1)
        if zero_rows.any():
            n = x.shape[-1]
            xs = xp.broadcast_to(x[zero_rows][:, None, :], (int(zero_rows.sum()), n, n)).copy()
            idx = xp.arange(n)
            xs[:, idx, idx] = 1
            partial = xp.cumprod(xs, axis=-1) * (idx[None, :] >= idx[:, None])
            g[zero_rows] = (partial * gy[zero_rows][:, None, :]).sum(-1)
        g = xp.moveaxis(g, -1, axis)
        return g.reshape(self.shape)
