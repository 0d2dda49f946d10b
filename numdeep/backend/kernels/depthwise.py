"""Depthwise convolution (``groups == channels``, one kernel per channel and multiplier) as one
elementwise multiply-add per kernel tap, instead of the grouped path's batched matmul of C tiny
``(M, K) @ (K, m)`` products and its ``(C, M, K)`` patch copy.

With channels last, tap ``t`` of the output is ``xpad[region_t] * w[t]`` broadcast over the
channels: a strided view of the padded input times one row of the kernel, accumulated over the K
taps (backward: the input gradient scatters ``gy * w[t]`` onto each tap's region, col2im-style;
the kernel gradient of tap ``t`` is the sum over samples and pixels of ``xpad[region_t] * gy``).
Three choices, measured on a 3x3 depthwise layer, batch 32, 30x30x32, one thread:

- the kernel row is tiled along the last output axis (``(out_w, C, m)``), so NumPy's iterator
  merges the width and channel axes into one long inner loop: forward 5.7 -> 3.7 ms;
- the batch is cut into ~1 MB blocks whose accumulator and scratch stay in cache across the K
  taps (3.7 -> 3.35 ms), and the blocks are split over ``threads.parallel_for`` (no BLAS here);
- the kernel gradient is one ``einsum`` per tap keeping the width axis (so its inner loop is
  ``out_w * C`` long) summed over it afterwards: 1.5 ms, against 3.4 ms for ``...c,...c->c``
  and 3.4 ms for a product buffer summed by a BLAS matrix-vector product.

Arrays: ``xpad`` ``(N, *P, C)`` (already padded), kernel ``w`` ``(*k, C, m)``, output and
``gy`` ``(N, *out, C, m)``. ``taps`` lists ``(offset, region)`` pairs: ``region`` indexes the
padded input's elements that tap ``offset`` of every window reads (``taps`` in
``autograd/primitives/conv.py``). Reference: the grouped path of ``Conv`` in that file.
"""

from numdeep.backend import threads

BLOCK_BYTES = 1 << 20  # accumulator block that stays in cache across the K taps


def _tiled(xp, row, width):
    """``row`` ``(C, m)`` repeated ``width`` times: ``(width, C, m)``, contiguous."""
    return xp.ascontiguousarray(xp.broadcast_to(row, (width,) + row.shape))


def _for_blocks(xp, n, per_image, fn):
    """Run ``fn(rows)`` over batch blocks of ~``BLOCK_BYTES``, on the thread pool for NumPy."""
    if xp.__name__ != "numpy":  # one block on GPUs: their kernels want big arrays
        return [fn(slice(0, n))]
    step = max(1, BLOCK_BYTES // max(per_image, 1))

    def run(part):
        return [fn(slice(i, min(part.stop, i + step))) for i in range(part.start, part.stop, step)]

    split = threads.parallel_for(n, run, size=n * per_image // 4, min_part=threads.MIN_PART)
    return [r for rs in split for r in rs]


def forward(xp, xpad, w, taps, out, bias=None):
    """The depthwise convolution ``(N, *out, C, m)`` (plus ``bias`` ``(C * m,)``).

    Example:
        >>> import numpy as np
        >>> x = np.arange(5.0).reshape(1, 5, 1)  # N=1, 5 steps, C=1
        >>> w = np.array([1.0, -1.0]).reshape(2, 1, 1)
        >>> taps = [((0,), (slice(None), slice(0, 4), slice(None))),
        ...         ((1,), (slice(None), slice(1, 5), slice(None)))]
        >>> forward(np, x, w, taps, (4,)).ravel()
        array([-1., -1., -1., -1.])
    """
    n, (c, m) = xpad.shape[0], w.shape[-2:]
    y = xp.empty((n,) + tuple(out) + (c, m), dtype=xp.result_type(xpad.dtype, w.dtype))
    rows_w = [(region, _tiled(xp, w[offset], out[-1])) for offset, region in taps]
    b = None if bias is None else _tiled(xp, bias.reshape(c, m).astype(y.dtype), out[-1])

    def block(rows):
        acc = y[rows]
        tmp = xp.empty_like(acc)
        for i, (region, wt) in enumerate(rows_w):
            src = xpad[rows][region][..., None]
            if i == 0:
                xp.multiply(src, wt, out=acc)
            else:
                xp.multiply(src, wt, out=tmp)
                xp.add(acc, tmp, out=acc)
        if b is not None:
            xp.add(acc, b, out=acc)

    _for_blocks(xp, n, y[:1].nbytes, block)
    return y


def input_grad(xp, gy, w, taps, padded_shape):
    """Gradient wrt the padded input: ``gy * w[t]`` (summed over ``m``) added onto each tap's
    region of a zero array of ``padded_shape``."""
    n, m = gy.shape[0], w.shape[-1]
    gpad = xp.zeros(padded_shape, dtype=gy.dtype)
    rows_w = [(region, _tiled(xp, w[offset], gy.shape[-3])) for offset, region in taps]

    def block(rows):
        g, gyb = gpad[rows], gy[rows]
        tmp = xp.empty(gyb.shape[:-1], dtype=gy.dtype)
        for region, wt in rows_w:
            if m == 1:
                xp.multiply(gyb[..., 0], wt[..., 0], out=tmp)
            else:
                xp.einsum("...cm,...cm->...c", gyb, wt, out=tmp)
            dest = g[region]
            xp.add(dest, tmp, out=dest)

    _for_blocks(xp, n, gy[:1].nbytes, block)
    return gpad


def kernel_grad(xp, xpad, gy, taps):
    """Gradient wrt the kernel, ``(K, C, m)`` in the order of ``taps``: per tap, the sum over
    samples and pixels of ``xpad[region] * gy``."""
    n, (c, m), k = gy.shape[0], gy.shape[-2:], len(taps)
    lead = "nhd"[:gy.ndim - 3]  # the batch and every spatial axis but the last are summed
    spec = f"{lead}wc,{lead}wc->wc" if m == 1 else f"{lead}wc,{lead}wcm->wcm"

    def block(rows):
        part = xp.empty((k, gy.shape[-3], c) + ((m,) if m > 1 else ()), dtype=gy.dtype)
        gyb = gy[rows] if m > 1 else gy[rows][..., 0]
        for i, (_, region) in enumerate(taps):
            xp.einsum(spec, xpad[rows][region], gyb, out=part[i])
        return part.sum(axis=1)

    parts = _for_blocks(xp, n, gy[:1].nbytes, block)
    total = parts[0] if parts else xp.zeros((k, c) + ((m,) if m > 1 else ()), dtype=gy.dtype)
    for p in parts[1:]:
        total += p
    return total.reshape(k, c, m)
