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
a time: a strided slice-add per tap, or, at stride 1 with no more filters than channels, as a
convolution of the padded ``gy`` with the flipped kernel. No loop runs over pixels or single
samples. Grouped convolutions use one batched matmul over the groups and save their patch
matrix, which the engine frees as soon as this node's backward has run.

Faster paths, each tested against the path above (``tests/backend/test_conv_kernels.py``):
1x1 stride-1 convolutions are one GEMM on the input itself; depthwise ones (one input channel
per group) run as per-tap multiply-adds (``backend.kernels.depthwise``); one-filter ones multiply
before gathering the windows and ``ConvTranspose`` runs tap by tap (``backend.kernels.conv_taps``).

Padding is explicit here: ``padding`` holds one ``(before, after)`` pair per spatial axis (the
functional API in ``numdeep.ops.convolution`` resolves ``'same'``/``'valid'``/``'causal'``).
"""

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.conv_geometry import (
    col2im,
    conv_transpose_reference,
    group_kernel,
    interior,
    kernel_matrix,
    out_size,
    pad_spatial,
    patches_reference,
    per_channel,
    prod,
    taps,
    windows,
)
from numdeep.backend.kernels import conv_taps, depthwise, im2col
from numdeep.backend.kernels.reductions import column_sums

# Tests turn these off to compare the kernels with the paths they replace (their references).
DEPTHWISE_KERNEL = True
NARROW_KERNEL = True
TRANSPOSE_KERNEL = True


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
        m, k = x.shape[0] * prod(out), prod(ksize)
        if self._depthwise(w):
            y = depthwise.forward(xp, xpad, per_channel(w, self.groups), self._taps(ksize), out, b)
            self.save_for_backward(xpad, w)
        elif g == 1:
            self.has_bias = b is not None
            if self._narrow(w):
                y = conv_taps.forward(xp, xpad, w, self._taps(ksize), out, b)
            else:
                y = xp.empty((m, n_f), dtype=xp.result_type(x.dtype, w.dtype))
                wmat = kernel_matrix(xp, w, b)
                if self._pointwise(ksize):  # the patch matrix is the input itself
                    xp.matmul(x.reshape(m, -1), wmat[:-1] if self.has_bias else wmat, out=y)
                    if self.has_bias:
                        y += wmat[-1]
                else:
                    im2col.convolve(xp, view, len(self.out), self.has_bias, wmat, y)
            # Backward rebuilds the patches block by block from the (padded) input.
            self.save_for_backward(xpad, w)
        else:
            # Patches in group-major order (G, M, K*Cg): one batched matmul for all groups.
            cg = w.shape[-2]
            view = view.reshape(view.shape[:-1] + (g, cg))
            cols = xp.moveaxis(view, -2, 0).reshape(g, m, k * cg)
            y = xp.moveaxis(cols @ group_kernel(xp, w, g), 0, 1).reshape(m, n_f)
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
        if self._depthwise(w):
            return self._depthwise_grads(gy, w, need)
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
            gb = column_sums(gy2)
        cg, fg, k = w.shape[-2], n_f // g, prod(w.shape[:nd])
        gyg = xp.moveaxis(gy2.reshape(-1, g, fg), 1, 0)
        if need[1]:
            gwg = (xp.swapaxes(cols, 1, 2) @ gyg).reshape(g, k, cg, fg)
            gw = xp.moveaxis(gwg, 0, 2).reshape(w.shape)
        if need[0]:
            gcols = gyg @ xp.swapaxes(group_kernel(xp, w, g), 1, 2)
            gcols = xp.moveaxis(gcols.reshape(g, -1, k, cg), 0, 2)
            cols_shape = (self.in_shape[0],) + self.out + w.shape[:nd] + (cg * g,)
            gpad = col2im(xp, gcols.reshape(cols_shape), self.padded_shape, self.strides,
                          self.dilation)
            gx = gpad[interior(self.in_shape, self.padding)]
        return gx, gw, gb

    def _depthwise(self, w):
        """Whether this is a depthwise convolution (one input channel per group), run by
        ``backend.kernels.depthwise`` rather than the grouped path (its reference)."""
        return self.groups > 1 and w.shape[-2] == 1 and DEPTHWISE_KERNEL

    def _pointwise(self, ksize):
        """Whether the patch matrix is the input itself: a 1x1 kernel, stride 1, no padding."""
        return all(k == 1 for k in ksize) and all(s == 1 for s in self.strides) and not any(
            lo or hi for lo, hi in self.padding)

    def _gather_padding(self, ksize):
        """The padding of ``gy`` that makes the input gradient a stride-1 convolution of it with
        the flipped kernel (None unless the strides are 1 and no side is padded past the
        kernel's reach)."""
        if any(s != 1 for s in self.strides):
            return None
        pads = [(d * (k - 1) - lo, d * (k - 1) - hi)
                for k, d, (lo, hi) in zip(ksize, self.dilation, self.padding)]
        return None if any(lo < 0 or hi < 0 for lo, hi in pads) else pads

    def _taps(self, ksize):
        return list(taps(ksize, self.out, self.strides, self.dilation))

    def _narrow(self, w):
        """Whether to multiply before gathering the windows (``backend.kernels.conv_taps``):
        for one filter over 8 or more channels (3x3 'same', batch 64 at 28x28, 16 channels:
        3.8 -> 2.0 ms for 1 filter, but 5.6 -> 6.5 ms for 2, 13.6 -> 18.6 ms for 32 -> 8)."""
        return NARROW_KERNEL and w.shape[-1] == 1 and w.shape[-2] >= 8 and w[..., 0, 0].size > 1

    def _depthwise_grads(self, gy, w, need):
        xp, xpad = self.xp, self.saved[0]
        nd, n_f = w.ndim - 2, w.shape[-1]
        wc, tap_list = per_channel(w, self.groups), self._taps(w.shape[:nd])
        gy4 = gy.reshape(gy.shape[:-1] + wc.shape[-2:])
        gx = gw = gb = None
        pads = self._gather_padding(w.shape[:nd]) if wc.shape[-1] == 1 else None
        if need[0] and pads is not None:
            # As in _input_grad: a convolution of the padded gy with the flipped kernel
            # (30x30x32, batch 32: 5.2 -> 4.9 ms, and gx comes out contiguous).
            gyp = pad_spatial(xp, gy4[..., 0], pads)
            flipped = wc[(slice(None, None, -1),) * nd]
            gather = list(taps(w.shape[:nd], self.in_shape[1:-1], (1,) * nd, self.dilation))
            gx = depthwise.forward(xp, gyp, flipped, gather, self.in_shape[1:-1])[..., 0]
        elif need[0]:
            gpad = depthwise.input_grad(xp, gy4, wc, tap_list, self.padded_shape)
            gx = gpad[interior(self.in_shape, self.padding)]
        if need[1]:
            gw = depthwise.kernel_grad(xp, xpad, gy4, tap_list).reshape(w.shape)
        if need[2]:
            gb = column_sums(gy.reshape(-1, n_f))
        return gx, gw, gb

    def _param_grads(self, gy2, w):
        """Kernel and bias gradients, ``patches.T @ gy`` summed over the same blocks as the
        forward (the bias gradient is the product's row for the column of ones)."""
        xp = self.xp
        xpad = self.saved[0]
        nd, kc = w.ndim - 2, w[..., 0].size
        if self._pointwise(w.shape[:nd]):
            x2 = xpad.reshape(-1, kc)
            gb = column_sums(gy2) if self.has_bias else None
            return (x2.T @ gy2).reshape(w.shape), gb
        view = windows(xp, xpad, self.out, w.shape[:nd], self.strides, self.dilation)
        total = im2col.weight_gradient(xp, view, len(self.out), self.has_bias, gy2)
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
        if self._pointwise(w.shape[:nd]):
            return (gy2 @ w.reshape(-1, w.shape[-1]).T).reshape(self.in_shape)
        pads = self._gather_padding(w.shape[:nd])
        if pads is not None and w.shape[-1] <= w.shape[-2]:
            # With no more filters than channels, the transposed convolution as a convolution of
            # the padded gy with the flipped kernel copies fewer patches than this scatter adds
            # (batch 64, 28x28, 16 channels: 16.9 -> 1.9 ms for 1 filter, 8.4 -> 6.5 ms for 16;
            # the two tie at 32 channels -> 64 filters, so more filters keep the scatter).
            flipped = xp.swapaxes(w[(slice(None, None, -1),) * nd], -1, -2)
            conv = Conv(strides=self.strides, dilation=self.dilation, padding=pads, xp=xp)
            gy = gy2.reshape((self.in_shape[0],) + self.out + (w.shape[-1],))
            return conv.forward(gy, xp.ascontiguousarray(flipped))
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
        self.save_for_backward(x, w)
        if TRANSPOSE_KERNEL:
            # One part of the batch per thread when that pays (``im2col.over_images``, BLAS on
            # one thread in each): the strided adds of the products run on one core otherwise
            # (2 cores, (64, 14, 14, 8) -> (64, 28, 28, 16), stride 2: 2.1 -> 1.4 ms).
            n = x.shape[0]
            y = xp.empty((n,) + tuple(self.size) + (n_f,), dtype=xp.result_type(x, w))

            def images(part):
                conv_taps.transpose_forward(xp, x[part], w, self.strides, self.dilation,
                                            self.crop, self.size, b, out=y[part])

            work = conv_taps.transpose_products(x, w, self.strides, self.dilation)
            im2col.over_images(xp, n, work, y.itemsize, images)
            return y
        y = conv_transpose_reference(xp, x, w, self.buf_shape, self.strides, self.dilation)
        y = xp.ascontiguousarray(y[self._region()])
        if b is not None:
            y += b
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
        x2, wmat = x.reshape(-1, x.shape[-1]), w.reshape(-1, x.shape[-1])
        gx = xp.empty(x2.shape, dtype=gy.dtype) if need[0] else None
        gb = None
        per = prod(x.shape[1:-1])

        def images(part):
            # The columns of gy, one cache-sized block at a time (never the whole matrix);
            # each part of the batch on its own thread when there are several.
            gw = tmp = None
            first = part.start * per
            for rows, cols in im2col.patch_blocks(xp, view[part], nd, False):
                rows = slice(first + rows.start, first + rows.stop)
                if need[0]:
                    xp.matmul(cols, wmat, out=gx[rows])
                if need[1] and gw is None:
                    gw, tmp = cols.T @ x2[rows], xp.empty(wmat.shape, dtype=gy.dtype)
                elif need[1]:
                    gw += xp.matmul(cols.T, x2[rows], out=tmp)
            return gw

        n = x.shape[0]
        gw = im2col.sum_in_order(im2col.over_images(
            xp, n, n * per * prod(view.shape[1 + nd:]), view.itemsize, images))
        if need[1]:
            gw = xp.zeros(w.shape, gy.dtype) if gw is None else gw.reshape(w.shape)
        gx = None if gx is None else gx.reshape(x.shape)
        if need[2]:
            gb = column_sums(gy.reshape(-1, gy.shape[-1]))
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
