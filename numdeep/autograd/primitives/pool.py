"""Pooling primitives on channels-last arrays ``(N, *spatial, C)``: ``MaxPool`` and ``AvgPool``.

Both walk the pooling window one tap at a time: each tap is one strided slice of the (padded)
input covering every output position at once, so the loops run ``prod(pool_size)`` times (4 for
2x2), never over pixels or samples. When windows tile the input (strides equal to the pool size,
the tutorial's ``MaxPooling2D(2)``), the taps partition it: backward writes each tap's slice of
the gradient straight into an uninitialised array (for averages of an exactly tiled input,
through one strided reshape ``(N, o1, k1, o2, k2, C)``), zeroing only a remainder past the last
window; otherwise (overlapping windows, gaps, padding) it accumulates into zeros. (Measured on
the tutorial's shapes, the per-tap slices beat a reshape-and-reduce forward by ~2x.) Global
pooling needs no primitive: it is a ``max``/``mean`` over the spatial axes.
"""

from numdeep.autograd.engine import is_grad_enabled
from numdeep.autograd.function import Function
from numdeep.autograd.primitives.conv import interior, out_size, pad_spatial, taps
from numdeep.backend import threads


class _Pool(Function):
    """Shared geometry. Params: ``pool`` and ``strides`` (one int per spatial axis),
    ``padding`` (one ``(before, after)`` pair per spatial axis)."""

    def _setup(self, x, fill):
        xp = self.xp
        name = type(self).__name__
        if x.ndim < 3:
            raise ValueError(f"{name} expects a (N, *spatial, C) input; received shape {x.shape}.")
        self.in_shape = x.shape
        xpad = pad_spatial(xp, x, self.padding, fill)
        ones = (1,) * len(self.pool)
        self.out = tuple(out_size(n, k, s, 1) for n, k, s in
                         zip(xpad.shape[1:-1], self.pool, self.strides))
        if min(self.out) <= 0:
            raise ValueError(f"{name}: the pool size {tuple(self.pool)} is larger than the "
                             f"padded input {xpad.shape[1:-1]} (input {x.shape}).")
        self.taps = list(taps(self.pool, self.out, self.strides, ones))
        # Disjoint windows: each input element lies in at most one window ("tiles"), and in
        # exactly one unless a remainder past the last window is left over.
        self.tiles = tuple(self.strides) == tuple(self.pool)
        self.covered = self.tiles and all(
            o * k == n for o, k, n in zip(self.out, self.pool, xpad.shape[1:-1]))
        return xpad

    def _grad_buffer(self, shape, dtype):
        xp = self.xp
        return xp.empty(shape, dtype=dtype) if self.tiles else xp.zeros(shape, dtype=dtype)

    def _zero_remainder(self, gx):
        """Zero what no window covers (rows/columns past the last window) in a tiled buffer."""
        if not self.tiles or self.covered:
            return
        for axis, (o, k) in enumerate(zip(self.out, self.pool), start=1):
            gx[(slice(None),) * axis + (slice(o * k, None),)] = 0


class MaxPool(_Pool):
    """Maximum over each window; ``padding`` is filled with ``-inf`` (never selected).

    The gradient goes to one element per window, the first maximum in window order (as
    TensorFlow and PyTorch do), so ties (e.g. saturated pixels) do not multiply the gradient.
    When a graph is being recorded, the forward keeps that winner's tap number per output (a
    small integer array, like PyTorch's indices) instead of the input.
    """

    def forward(self, x):
        xp = self.xp
        xpad = self._setup(x, -float("inf"))
        track = is_grad_enabled() and len(self.taps) > 1
        out_shape = xpad[self.taps[0][1]].shape
        y = xp.empty(out_shape, dtype=xpad.dtype)
        idx = None
        if track:
            idx = xp.empty(out_shape, "uint8" if len(self.taps) < 256 else "int32")

        def run(b):  # one slice of the batch: the samples are independent
            self._max_taps(xpad[b], y[b], None if idx is None else idx[b])
        _over_batch(xp, x.shape[0], run, xpad.size)
        self.padded_shape = xpad.shape
        self.save_for_backward(idx)
        return y

    def _max_taps(self, xpad, y, idx):
        """The running maximum over the taps into ``y`` (and the winning tap into ``idx``)."""
        xp = self.xp
        for t, (_, region) in enumerate(self.taps):
            v = xpad[region]
            if t == 0:
                y[...] = v
                if idx is not None:
                    idx[...] = 0
                    step, raised = xp.empty(y.shape, idx.dtype), xp.empty(y.shape, bool)
                continue
            if idx is not None:
                # The running maximum only grows, so the winner is the last tap that raised it
                # strictly: the largest t among those with v > y (integer passes, no masks).
                xp.greater(v, y, out=raised)
                xp.multiply(raised, step.dtype.type(t), out=step)
                xp.maximum(idx, step, out=idx)
            xp.maximum(y, v, out=y)

    def backward(self, gy):
        return self.input_grad(gy, self.saved[0])

    def input_grad(self, gy, idx):
        """``gy`` routed to each window's winner (tap ``idx``), in the input's shape."""
        gx = self._grad_buffer(self.padded_shape, gy.dtype)

        def run(b):
            g, w, dest = gy[b], None if idx is None else idx[b], gx[b]
            for t, (_, region) in enumerate(self.taps):
                if w is None:
                    dest[region] = g
                elif self.tiles:  # disjoint windows: write the tap's slice in one pass
                    self.xp.multiply(g, w == t, out=dest[region])
                else:
                    dest[region] += g * (w == t)
        _over_batch(self.xp, gx.shape[0], run, gx.size)
        self._zero_remainder(gx)
        return gx[interior(self.in_shape, self.padding)]

    def backward_graph(self, gy, y):
        return _PoolGrad.apply(gy, pool=self, winners=self.saved[0])

    def adjoint(self, g, winners):
        """The transpose of ``backward``: each window's winner of ``g`` (input-shaped)."""
        gpad = pad_spatial(self.xp, g, self.padding, 0)
        out = None
        for t, (_, region) in enumerate(self.taps):
            v = gpad[region] if winners is None else gpad[region] * (winners == t)
            out = v.copy() if out is None else out + v
        return out


class AvgPool(_Pool):
    """Mean over each window. With padding, the divisor counts only real (unpadded) elements,
    as Keras and TensorFlow do; ``count_include_pad=True`` divides by the full window size as
    PyTorch's default does."""

    count_include_pad = False

    def forward(self, x):
        xp = self.xp
        xpad = self._setup(x, 0)
        y = xp.empty(xpad[self.taps[0][1]].shape, dtype=xpad.dtype)
        self.scale = scale = self._scale(xp, x.dtype)

        def run(b):
            part, out = xpad[b], y[b]
            for t, (_, region) in enumerate(self.taps):
                if t == 0:
                    out[...] = part[region]
                else:
                    out += part[region]
            out *= scale
        _over_batch(xp, x.shape[0], run, xpad.size)
        return y

    def _scale(self, xp, dtype):
        """``1 / count`` per output position: a scalar, or an array over the spatial axes."""
        size = 1
        for k in self.pool:
            size *= k
        if self.count_include_pad or not any(lo or hi for lo, hi in self.padding):
            return dtype.type(1.0 / size)
        ones = pad_spatial(xp, xp.ones((1,) + self.in_shape[1:-1] + (1,), dtype=dtype),
                           self.padding, 0)
        count = None
        for _, region in self.taps:
            count = ones[region].copy() if count is None else count + ones[region]
        return 1.0 / count

    def backward(self, gy):
        return self.input_grad(gy, None)

    def input_grad(self, gy, winners):
        """``gy`` spread evenly over each window, in the input's shape."""
        g = _scaled(self.xp, gy, self.scale)
        shape = (self.in_shape[0],) + tuple(
            n + lo + hi for n, (lo, hi) in zip(self.in_shape[1:-1], self.padding)
        ) + (self.in_shape[-1],)
        gx = self._grad_buffer(shape, gy.dtype)
        if self.covered:
            # Strided reshape: (N, o1, k1, o2, k2, ..., C) receives g broadcast over the k axes
            # (a view: gx is fresh and contiguous).
            split, index = (shape[0],), (slice(None),)
            for o, k in zip(self.out, self.pool):
                split += (o, k)
                index += (slice(None), None)
            tiles, spread = gx.reshape(split + (shape[-1],)), g[index + (slice(None),)]

            def run(b):
                tiles[b] = spread[b]
            _over_batch(self.xp, shape[0], run, gx.size)
        else:
            for _, region in self.taps:
                if self.tiles:
                    gx[region] = g
                else:
                    gx[region] += g
            self._zero_remainder(gx)
        return gx[interior(self.in_shape, self.padding)]

    def backward_graph(self, gy, y):
        return _PoolGrad.apply(gy, pool=self, winners=None)

    def adjoint(self, g, winners):
        """The transpose of ``backward``: average pooling itself (it is linear)."""
        gpad = pad_spatial(self.xp, g, self.padding, 0)
        out = None
        for _, region in self.taps:
            out = gpad[region].copy() if out is None else out + gpad[region]
        return out * self.scale


def _over_batch(xp, n, fn, size):
    """``fn(batch_slice)`` over the batch, on numdeep's threads when the arrays are large
    (windows of different samples never overlap; measured on 2 cores, MaxPool(2) forward and
    backward of a (128, 26, 26, 32) input: 7.5 ms on 1 thread, 4.6 ms on 2), else in one call."""
    if xp.__name__ != "numpy":
        fn(slice(0, n))
        return
    threads.parallel_for(n, fn, size=size)


def _scaled(xp, g, scale):
    out = xp.empty(g.shape, dtype=xp.result_type(g, scale))

    def run(b):
        xp.multiply(g[b], scale, out=out[b])
    _over_batch(xp, g.shape[0], run, g.size)
    return out


class _PoolGrad(Function):
    """A pooling op's input gradient ``pool.backward(gy)`` as an op of ``gy``, so it can be
    differentiated again. It is linear in ``gy`` (the windows and MaxPool's ``winners`` are
    constants), so its gradient is the pooling's ``adjoint``. Params: ``pool`` (the MaxPool or
    AvgPool node) and ``winners`` (MaxPool's saved tap numbers, kept here because the pooling
    node frees its own once its backward has run)."""

    def forward(self, gy):
        return self.pool.input_grad(gy, self.winners)

    def backward(self, g):
        return self.pool.adjoint(g, self.winners)
