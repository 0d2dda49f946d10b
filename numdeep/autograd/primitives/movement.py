"""Movement primitives: indexing, reshaping, transposing, casting, broadcasting, joining, padding.

None of these do arithmetic, so each backward only moves ``gy`` back into the input's layout
(often as a view, without copying).
"""

import numpy as np

from numdeep.autograd.function import Function
from numdeep.backend import scatter_add


def _normalize_index(xp, index):
    """Lists inside an index become arrays (as NumPy would); report whether any integer array
    is present, since integer arrays may repeat positions and then need a scatter-add."""
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, list) for i in items):
        items = tuple(xp.asarray(i) if isinstance(i, list) else i for i in items)
        index = items if isinstance(index, tuple) else items[0]
    repeats = any(getattr(i, "ndim", 0) > 0 and i.dtype.kind in "iu" for i in items)
    return index, repeats


class GetItem(Function):
    """``x[index]`` with basic, integer-array or boolean indexing.

    Integer-array indices may repeat a position; backward then accumulates with a scatter-add
    (``backend.scatter_add``) instead of assigning, so repeated picks sum their gradients.
    """

    def forward(self, x):
        self.index, self.repeats = _normalize_index(self.xp, self.index)
        self.shape = x.shape
        rows = self.index[0] if type(self.index) is tuple and len(self.index) == 1 else None
        if self.repeats and rows is not None and x.ndim > 1:
            return self.xp.take(x, rows, axis=0)  # the same rows, 2x faster than x[(rows,)]
        return x[self.index]

    def backward(self, gy):
        gx = self.xp.zeros(self.shape, dtype=gy.dtype)
        if self.repeats:
            scatter_add(gx, self.index, gy, zeroed=True)
        else:
            gx[self.index] = gy
        return gx

    def backward_graph(self, gy, y):
        return Scatter.apply(gy, index=self.index, shape=self.shape)


class TakeRows(Function):
    """``table[ids]``: the rows of ``table`` at integer ``ids`` of any shape (an embedding
    lookup). The ids are an input and are checked here, against ``[0, len(table))``, with an
    error naming ``what`` (the layer) and ending with ``hint``: a replayed plan checks every
    batch as the eager call does.
    Float ids holding whole numbers are taken as integers. Backward scatter-adds ``gy`` into the
    rows (repeated ids sum), as ``GetItem`` does for the same index.
    """

    hint = ""

    def forward(self, table, ids):
        if ids.dtype.kind not in "iu":
            ids = ids.astype(np.int64)
        n = table.shape[0]
        if ids.size:
            lo, hi = int(ids.min()), int(ids.max())
            if lo < 0 or hi >= n:
                raise ValueError(f"{self.what} received token ids outside [0, {n}): values from "
                                 f"{lo} to {hi}.{self.hint}")
        self.ids, self.shape = ids, table.shape
        return self.xp.take(table, ids, axis=0)

    def backward(self, gy):
        gx = self.xp.zeros(self.shape, dtype=gy.dtype)
        scatter_add(gx, (self.ids,), gy, zeroed=True)
        return gx, None

    def backward_graph(self, gy, y):
        return Scatter.apply(gy, index=(self.ids,), shape=self.shape), None


class Reshape(Function):
    """``x.reshape(shape)`` (one entry may be -1)."""

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors


class Transpose(Function):
    """Permute axes (``axes=None`` reverses them); backward applies the inverse permutation."""

    axes = None

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        n = gy.ndim
        inverse = [0] * n
        for i, a in enumerate(self.axes):
            inverse[a % n] = i
        return gy.transpose(inverse)

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors


class Cast(Function):
    """``x.astype(dtype)``; the gradient is cast back, and does not flow through a non-float
    result (rounding to integers is piecewise constant)."""

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype, copy=False)

    def backward(self, gy):
        if gy.dtype.kind != "f":
            return None
        return gy.astype(self.in_dtype, copy=False)

    def backward_graph(self, gy, y):
        return gy.astype(self.in_dtype) if gy.dtype.kind == "f" else None


class BroadcastTo(Function):
    """``broadcast_to(x, shape)`` as a read-only view; the engine sums the gradient back."""

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return gy

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors


class Concatenate(Function):
    """Join arrays along an existing ``axis``; backward splits ``gy`` into views."""

    axis = 0

    def forward(self, *xs):
        offsets, total = [], 0
        for x in xs[:-1]:
            total += x.shape[self.axis]
            offsets.append(total)
        self.offsets = offsets
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        parts = self.xp.split(gy, self.offsets, axis=self.axis)
        return tuple(g if need else None for g, need in zip(parts, self.needs_input_grad))

    def backward_graph(self, gy, y):
        bounds = [0, *self.offsets, gy.shape[self.axis]]
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(gy[lead + (slice(lo, hi),)] if need else None
                     for lo, hi, need in zip(bounds, bounds[1:], self.needs_input_grad))


class Stack(Function):
    """Join arrays along a new ``axis``; backward hands each input its slice of ``gy``."""

    axis = 0

    def forward(self, *xs):
        return self.xp.stack(xs, axis=self.axis)

    def backward(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(gy[lead + (i,)] if need else None
                     for i, need in enumerate(self.needs_input_grad))

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors


class Pad(Function):
    """Constant padding, ``pad_width`` as in ``numpy.pad``; backward slices the padding off."""

    constant_values = 0

    def forward(self, x):
        # pad_width is configuration, not data: normalise it on the host to one pair per axis.
        pairs = np.broadcast_to(np.asarray(self.pad_width, dtype=np.int64), (x.ndim, 2)).tolist()
        self.inner = tuple(slice(b, b + n) for (b, _), n in zip(pairs, x.shape))
        return self.xp.pad(x, pairs, mode="constant", constant_values=self.constant_values)

    def backward(self, gy):
        return gy[self.inner]

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors


class Scatter(Function):
    """A zero array of ``shape`` with ``x`` added at ``index`` (repeated positions accumulate);
    backward gathers ``gy[index]``. The adjoint of ``GetItem`` with an integer-array index."""

    def forward(self, x):
        out = self.xp.zeros(self.shape, dtype=x.dtype)
        scatter_add(out, self.index, x, zeroed=True)
        return out

    def backward(self, gy):
        return gy[self.index]

    def backward_graph(self, gy, y):
        return self.backward(gy)  # only moves gy: the same code runs on Tensors
