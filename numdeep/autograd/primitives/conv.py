"""Convolution primitives on channels-last arrays: ``Conv`` (N-d, strided, dilated, grouped) and
``ConvTranspose`` (its gradient wrt the input, run forwards).

Layout: inputs ``(N, *spatial, C)``, kernels ``(*k, C // groups, F)`` as Keras stores them. The
forward is im2col + BLAS: a strided window view of the input is copied into the patch matrix
``(M, K*C)`` (``M = N * prod(out)``, ``K = prod(k)``; plus a column of ones when there is a bias)
and multiplied by the kernel seen as ``(K*C, F)`` (the bias as its last row). On NumPy the patch
matrix is built ~1 MB of whole images at a time in one reused buffer, each block consumed by its
matmul while still in cache, so the full matrix (K times the input) never exists. Backward
rebuilds the same blocks from the saved (padded) input for the kernel and bias gradients
(``patches.T @ gy``) and scatters ``gy @ kernel.T`` back onto the input (col2im) one kernel tap at
a time: a strided slice-add per tap. No loop runs over pixels or single samples. Grouped
convolutions use one batched matmul over the groups and save their patch matrix, which the
engine frees as soon as this node's backward has run.

Padding is explicit here: ``padding`` holds one ``(before, after)`` pair per spatial axis (the
functional API in ``numdeep.ops.convolution`` resolves ``'same'``/``'valid'``/``'causal'``).
"""

import itertools

from numdeep.autograd.function import Function
from numdeep.backend import xp_of
from numdeep.backend.kernels import im2col


# ----- helpers shared with pooling ---------------------------------------------------------------
def pad_spatial(xp, x, padding, value=0):
    """``x`` with its spatial axes (all but the first and last) padded by ``value``."""
    if not any(lo or hi for lo, hi in padding):
        return x
    shape = (x.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], padding))
    out = xp.full(shape + (x.shape[-1],), value, dtype=x.dtype)
    out[interior(x.shape, padding)] = x
    return out


def interior(shape, padding):
    """Index of the unpadded region of a spatially padded array."""
    inner = tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], padding))
    return (slice(None),) + inner + (slice(None),)


def out_size(in_size, k, stride, dilation):
    """Number of windows along one axis of an (already padded) input."""
    return (in_size - dilation * (k - 1) - 1) // stride + 1


def windows(xp, x, out, ksize, strides, dilation):
    """A read-only view ``(N, *out, *k, C)`` of every window of channels-last ``x``."""
    s = x.strides
    spatial = s[1:-1]
    shape = (x.shape[0], *out, *ksize, x.shape[-1])
    steps = (s[0], *(a * b for a, b in zip(spatial, strides)),
             *(a * b for a, b in zip(spatial, dilation)), s[-1])
    return xp.lib.stride_tricks.as_strided(x, shape, steps)


def taps(ksize, out, strides, dilation):
    """For each kernel offset: (offset, slice of the padded input its window elements cover)."""
    for offset in itertools.product(*(range(k) for k in ksize)):
        region = tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                       for o, n, s, d in zip(offset, out, strides, dilation))
        yield offset, (slice(None),) + region + (slice(None),)


def patches_reference(view, bias=False):
    """The whole im2col matrix ``(M, K*C)`` of a window view (plus a column of ones for a bias):
    the specification ``numdeep.backend.kernels.im2col`` builds block by block."""
    xp = xp_of(view)
    nd = (view.ndim - 2) // 2
    cols = view.reshape(-1, _prod(view.shape[1 + nd:]))
    if bias:
        cols = xp.concatenate([cols, xp.ones((cols.shape[0], 1), cols.dtype)], axis=1)
    return cols


def col2im(xp, cols, padded_shape, strides, dilation):
    """Sum ``cols`` ``(N, *out, *k, C)`` back onto a zero array of ``padded_shape``."""
    nd = len(padded_shape) - 2
    out, ksize = cols.shape[1:1 + nd], cols.shape[1 + nd:1 + 2 * nd]
    gx = xp.zeros(padded_shape, dtype=cols.dtype)
    lead = (slice(None),) * (1 + nd)
    for offset, region in taps(ksize, out, strides, dilation):
        gx[region] += cols[lead + offset]
    return gx


def _check_conv(x, w, groups):
    if x.ndim != w.ndim or x.ndim < 3:
        raise ValueError(f"Conv expects a (N, *spatial, C) input and a (*kernel, C_in, F) kernel "
                         f"of the same rank; received input {x.shape} and kernel {w.shape}.")
    if x.shape[-1] != w.shape[-2] * groups or w.shape[-1] % groups:
        raise ValueError(f"Conv: input channels {x.shape[-1]} must equal kernel.shape[-2] "
                         f"({w.shape[-2]}) * groups ({groups}), and the {w.shape[-1]} filters "
                         f"must divide into the groups; input {x.shape}, kernel {w.shape}.")


class Conv(Function):
    """Cross-correlation of ``x`` ``(N, *S, C)`` with ``w`` ``(*k, C // groups, F)``, plus an
    optional bias ``b`` ``(F,)``; output ``(N, *out, F)``.

    Params: ``strides``, ``dilation`` (one int per spatial axis), ``padding`` (one
    ``(before, after)`` pair per spatial axis, zeros), ``groups``.
    """

    groups = 1

    def forward(self, x, w, b=None):
        xp = self.xp
        nd = x.ndim - 2
        _check_conv(x, w, self.groups)
        self.in_shape = x.shape
        xpad = pad_spatial(xp, x, self.padding)
        ksize = w.shape[:nd]
        out = tuple(out_size(n, k, s, d) for n, k, s, d in
                    zip(xpad.shape[1:-1], ksize, self.strides, self.dilation))
        if min(out) <= 0:
            raise ValueError(f"Conv: the kernel {ksize} (dilation {tuple(self.dilation)}) is "
                             f"larger than the padded input {xpad.shape[1:-1]} (input {x.shape}).")
        self.padded_shape, self.out = xpad.shape, out
        view = windows(xp, xpad, out, ksize, self.strides, self.dilation)
        n_f, g = w.shape[-1], self.groups
        m, k = x.shape[0] * _prod(out), _prod(ksize)
        if g == 1:
            self.has_bias = b is not None
            y = xp.empty((m, n_f), dtype=xp.result_type(x.dtype, w.dtype))
            wmat = _kernel_matrix(xp, w, b)
            for rows, cols in im2col.patch_blocks(self.xp, view, len(out), b is not None):
                xp.matmul(cols, wmat, out=y[rows])
            # Backward rebuilds the patches block by block from the (padded) input.
            self.save_for_backward(xpad, w)
        else:
            # Patches in group-major order (G, M, K*Cg): one batched matmul for all groups.
            cg = w.shape[-2]
            view = view.reshape(view.shape[:-1] + (g, cg))
            cols = xp.moveaxis(view, -2, 0).reshape(g, m, k * cg)
            y = xp.moveaxis(cols @ _group_kernel(xp, w, g), 0, 1).reshape(m, n_f)
            if b is not None:
                y += b
            self.save_for_backward(cols, w)
        return y.reshape((x.shape[0],) + out + (n_f,))

    def backward(self, gy):
        xp = self.xp
        w = self.saved[1]
        nd, g, n_f = w.ndim - 2, self.groups, w.shape[-1]
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        gy2 = gy.reshape(-1, n_f)
        gx = gw = gb = None
        if g == 1:
            if need[1] or need[2]:
                gw, gb = self._param_grads(gy2, w)
                gw = gw if need[1] else None
                gb = gb if need[2] else None
            if need[0]:
                gx = self._input_grad(gy2, w)
            return gx, gw, gb
        cols = self.saved[0]
        if need[2]:
            gb = _sum_rows(xp, gy2)
        cg, fg, k = w.shape[-2], n_f // g, _prod(w.shape[:nd])
        gyg = xp.moveaxis(gy2.reshape(-1, g, fg), 1, 0)
        if need[1]:
            gwg = (xp.swapaxes(cols, 1, 2) @ gyg).reshape(g, k, cg, fg)
            gw = xp.moveaxis(gwg, 0, 2).reshape(w.shape)
        if need[0]:
            gcols = gyg @ xp.swapaxes(_group_kernel(xp, w, g), 1, 2)
            gcols = xp.moveaxis(gcols.reshape(g, -1, k, cg), 0, 2)
            cols_shape = (self.in_shape[0],) + self.out + w.shape[:nd] + (cg * g,)
            gpad = col2im(xp, gcols.reshape(cols_shape), self.padded_shape, self.strides,
                          self.dilation)
            gx = gpad[interior(self.in_shape, self.padding)]
        return gx, gw, gb

    def _param_grads(self, gy2, w):
        """Kernel and bias gradients, ``patches.T @ gy`` summed over the same blocks as the
        forward (the bias gradient is the product's row for the column of ones)."""
        xp = self.xp
        xpad = self.saved[0]
        nd, kc = w.ndim - 2, w[..., 0].size
        view = windows(xp, xpad, self.out, w.shape[:nd], self.strides, self.dilation)
        total = part = None
        for rows, cols in im2col.patch_blocks(xp, view, len(self.out), self.has_bias):
            if total is None:
                total = cols.T @ gy2[rows]
                part = xp.empty_like(total)
            else:
                xp.matmul(cols.T, gy2[rows], out=part)
                total += part
        if total is None:  # an empty batch
            total = xp.zeros((kc + self.has_bias, w.shape[-1]), dtype=gy2.dtype)
        gb = total[kc] if self.has_bias else None
        return total[:kc].reshape(w.shape), gb

    def _input_grad(self, gy2, w):
        """col2im of ``gy @ kernel.T``, one kernel tap at a time: each tap's ``(M, C)`` product
        lands in a reused buffer and is added to its strided slice of the input gradient
        (~15% faster than one big product followed by 9 strided adds, and never allocates the
        ``(M, K*C)`` matrix)."""
        xp = self.xp
        nd = w.ndim - 2
        gpad = xp.zeros(self.padded_shape, dtype=gy2.dtype)
        buf = xp.empty((gy2.shape[0], w.shape[-2]), dtype=gy2.dtype)
        block = (self.in_shape[0],) + self.out + (w.shape[-2],)
        for offset, region in taps(w.shape[:nd], self.out, self.strides, self.dilation):
            xp.matmul(gy2, w[offset].T, out=buf)
            gpad[region] += buf.reshape(block)
        return gpad[interior(self.in_shape, self.padding)]

    def backward_graph(self, gy, y):
        if self.groups != 1:
            return super().backward_graph(gy, y)
        xpad, w_arr = self.saved
        x, w = self.inputs(xpad[interior(self.in_shape, self.padding)], w_arr)
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        geometry = dict(strides=self.strides, dilation=self.dilation)
        gx = gw = gb = None
        if need[0]:
            gx = ConvTranspose.apply(gy, w, crop=[lo for lo, _ in self.padding],
                                     size=self.in_shape[1:-1], **geometry)
        if need[1]:
            gw = _ConvKernelGrad.apply(x, gy, padding=self.padding, ksize=w_arr.shape[:-2],
                                      **geometry)
        if need[2]:
            gb = gy.reshape((-1, gy.shape[-1])).sum(axis=0)
        return gx, gw, gb


class _ConvKernelGrad(Function):
    """The kernel gradient of ``Conv`` (``patches(x).T @ gy``) as an op of ``x`` and ``gy``, so
    that gradient can be differentiated again (nested tapes, gradient penalties).

    ``Conv`` is bilinear, so its three maps (convolution, input gradient = ``ConvTranspose``,
    kernel gradient = this) differentiate into each other. Params: those of ``Conv`` (groups 1)
    plus ``ksize``; the result has shape ``(*ksize, C, F)``.
    """

    def forward(self, x, gy):
        xpad = pad_spatial(self.xp, x, self.padding)
        view = windows(self.xp, xpad, gy.shape[1:-1], self.ksize, self.strides, self.dilation)
        self.save_for_backward(x, gy)
        gw = patches_reference(view).T @ gy.reshape(-1, gy.shape[-1])
        return gw.reshape(tuple(self.ksize) + (x.shape[-1], gy.shape[-1]))

    def backward(self, g):
        x, gy = self.saved
        return tuple(None if t is None else t.data for t in self._grads(x, gy, g))

    def backward_graph(self, g, y):
        return self._grads(*self.inputs(*self.saved), g)

    def _grads(self, x, gy, g):
        """(d/dx, d/dgy) of ``<self(x, gy), g>``: the input gradient of a convolution of ``x``
        with kernel ``g``, and that convolution itself."""
        geometry = dict(strides=self.strides, dilation=self.dilation)
        gx = ggy = None
        if self.needs_input_grad[0]:
            gx = ConvTranspose.apply(gy, g, crop=[lo for lo, _ in self.padding],
                                     size=x.shape[1:-1], **geometry)
        if self.needs_input_grad[1]:
            ggy = _first_windows(Conv.apply(x, g, padding=self.padding, **geometry), gy.shape)
        return gx, ggy


def _first_windows(y, shape):
    """``y`` cut to the spatial size of ``shape`` (a padded input may fit extra windows)."""
    if y.shape[1:-1] == tuple(shape[1:-1]):
        return y
    return y[(slice(None),) + tuple(slice(0, n) for n in shape[1:-1]) + (slice(None),)]


class ConvTranspose(Function):
    """Transposed convolution: the gradient of ``Conv`` wrt its input, run forwards.

    ``x`` ``(N, *S, C_in)``, ``w`` ``(*k, F, C_in)`` (Keras's ``Conv*DTranspose`` layout), optional
    bias ``(F,)``. Each input pixel scatters ``x @ w.T`` over a ``k``-window of the full output
    ``(S - 1) * strides + dilation * (k - 1) + 1``; the result is then cropped to
    ``full[crop : crop + size]`` per axis (zeros past the end of the full output).

    Params: ``strides``, ``dilation``, ``crop`` (int per axis), ``size`` (output spatial shape).
    """

    def forward(self, x, w, b=None):
        xp = self.xp
        nd = x.ndim - 2
        if w.ndim != x.ndim or x.shape[-1] != w.shape[-1]:
            raise ValueError(f"ConvTranspose expects an input (N, *spatial, C_in) and a kernel "
                             f"(*kernel, F, C_in) of the same rank and C_in; received input "
                             f"{x.shape} and kernel {w.shape}.")
        ksize, n_f = w.shape[:nd], w.shape[-2]
        full = tuple((n - 1) * s + d * (k - 1) + 1 for n, k, s, d in
                     zip(x.shape[1:-1], ksize, self.strides, self.dilation))
        buf = tuple(max(f, c + n) for f, c, n in zip(full, self.crop, self.size))
        self.buf_shape = (x.shape[0],) + buf + (n_f,)
        cols = x.reshape(-1, x.shape[-1]) @ w.reshape(-1, x.shape[-1]).T
        cols = cols.reshape(x.shape[:-1] + ksize + (n_f,))
        y = col2im(xp, cols, self.buf_shape, self.strides, self.dilation)
        y = y[self._region()]
        y = xp.ascontiguousarray(y)
        if b is not None:
            y += b
        self.save_for_backward(x, w)
        return y

    def _region(self):
        inner = tuple(slice(c, c + n) for c, n in zip(self.crop, self.size))
        return (slice(None),) + inner + (slice(None),)

    def backward(self, gy):
        x, w = self.saved
        xp = self.xp
        nd = x.ndim - 2
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        gbuf = xp.zeros(self.buf_shape, dtype=gy.dtype)
        gbuf[self._region()] = gy
        view = windows(xp, gbuf, x.shape[1:-1], w.shape[:nd], self.strides, self.dilation)
        gcols = view.reshape(-1, w[..., 0].size)
        x2 = x.reshape(-1, x.shape[-1])
        gx = gw = gb = None
        if need[0]:
            gx = (gcols @ w.reshape(-1, x.shape[-1])).reshape(x.shape)
        if need[1]:
            gw = (gcols.T @ x2).reshape(w.shape)
        if need[2]:
            gb = _sum_rows(xp, gy.reshape(-1, gy.shape[-1]))
        return gx, gw, gb

    def backward_graph(self, gy, y):
        x_arr, w_arr = self.saved
        x, w = self.inputs(x_arr, w_arr)
        need = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        # The transposed convolution's adjoints are a convolution over gy padded to the buffer.
        pairs = [(c, b - c - n) for c, b, n in zip(self.crop, self.buf_shape[1:-1], self.size)]
        geometry = dict(strides=self.strides, dilation=self.dilation, padding=pairs)
        gx = gw = gb = None
        if need[0]:
            gx = _first_windows(Conv.apply(gy, w, **geometry), x_arr.shape)
        if need[1]:
            gw = _ConvKernelGrad.apply(gy, x, ksize=w_arr.shape[:-2], **geometry)
        if need[2]:
            gb = gy.reshape((-1, gy.shape[-1])).sum(axis=0)
        return gx, gw, gb




def _kernel_matrix(xp, w, b):
    """The kernel as ``(K*C, F)``, with the bias appended as a last row when given."""
    kc, n_f = w[..., 0].size, w.shape[-1]
    if b is None:
        return w.reshape(kc, n_f)
    return xp.concatenate([w.reshape(kc, n_f), b.reshape(1, n_f).astype(w.dtype)])


def _sum_rows(xp, a):
    """``a.sum(axis=0)`` for a tall ``(M, F)`` array as one BLAS matrix-vector product: ~4x
    faster than NumPy's reduction over the outer axis, and accumulated blockwise by BLAS."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


def _group_kernel(xp, w, groups):
    """Kernel ``(*k, Cg, F)`` as ``(G, K*Cg, F // G)``: output channel ``f`` is in group
    ``f // (F // G)``, as in Keras and PyTorch."""
    cg, n_f = w.shape[-2], w.shape[-1]
    wg = w.reshape(-1, cg, groups, n_f // groups)
    return xp.moveaxis(wg, 2, 0).reshape(groups, -1, n_f // groups)


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n
