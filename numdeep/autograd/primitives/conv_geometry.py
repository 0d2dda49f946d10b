"""Window geometry shared by the convolution and pooling primitives on channels-last arrays:
padding, output sizes, strided window views, the kernel taps, the readable im2col/col2im that
the fast kernels in ``numdeep.backend.kernels`` are checked against, and kernel layouts."""

import itertools

from numdeep.backend import xp_of


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
    cols = view.reshape(-1, prod(view.shape[1 + nd:]))
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


def prod(values):
    n = 1
    for v in values:
        n *= v
    return n


def conv_transpose_reference(xp, x, w, buf_shape, strides, dilation):
    """The full (uncropped) transposed convolution: ``x @ w.T`` as columns ``(N, *S, *k, F)``,
    summed onto ``buf_shape`` by ``col2im``."""
    nd = x.ndim - 2
    cols = x.reshape(-1, x.shape[-1]) @ w.reshape(-1, x.shape[-1]).T
    cols = cols.reshape(x.shape[:-1] + w.shape[:nd] + (w.shape[-2],))
    return col2im(xp, cols, buf_shape, strides, dilation)


def kernel_matrix(xp, w, b):
    """The kernel as ``(K*C, F)``, with the bias appended as a last row when given."""
    kc, n_f = w[..., 0].size, w.shape[-1]
    if b is None:
        return w.reshape(kc, n_f)
    return xp.concatenate([w.reshape(kc, n_f), b.reshape(1, n_f).astype(w.dtype)])


def per_channel(w, groups):
    """A depthwise kernel ``(*k, 1, C * m)`` as ``(*k, C, m)``: filter ``c * m + j`` is
    channel ``c``'s ``j``-th, as in the grouped path (``C = groups``)."""
    return w.reshape(w.shape[:-2] + (groups, w.shape[-1] // groups))



def group_kernel(xp, w, groups):
    """Kernel ``(*k, Cg, F)`` as ``(G, K*Cg, F // G)``: output channel ``f`` is in group
    ``f // (F // G)``, as in Keras and PyTorch."""
    cg, n_f = w.shape[-2], w.shape[-1]
    wg = w.reshape(-1, cg, groups, n_f // groups)
    return xp.moveaxis(wg, 2, 0).reshape(groups, -1, n_f // groups)
