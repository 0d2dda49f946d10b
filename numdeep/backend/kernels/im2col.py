"""Blocked im2col: the convolution's patch matrix built a block of whole images at a time.

The full patch matrix ``(M, K*C)`` is K times the input's size. Built ~1 MB at a time in one
reused buffer (plus a column of ones for the bias), each block stays in cache for the matmul
that consumes it and the whole matrix never exists (measured: 1.5x faster than building it whole
at batch 1,024, 1.1x at 128). One-channel inputs are copied a kernel tap at a time (3.3x faster
than the whole-window copy, whose inner loop is a 3-value window row). Reference:
``patches_reference`` in ``numdeep/autograd/primitives/conv_geometry.py``.
"""

import itertools
import math

from numdeep.backend import threads

BLOCK_BYTES = 1 << 20  # fits in L2/L3 next to the kernel and the output
BY_TAP = True  # one-channel inputs copy a tap at a time (tests turn it off to compare)


def patch_blocks(xp, view, n_spatial, bias, block_bytes=None):
    """Yield ``(rows, patches)`` covering the im2col matrix of ``view`` ``(N, *out, *k, C)``.

    ``rows`` is the slice of the matrix's rows a block holds; ``patches`` (a reused buffer: use
    it before asking for the next block) is ``(rows, K*C)``, or ``(rows, K*C + 1)`` ending in a
    column of ones when ``bias``. On a GPU array module the whole matrix is one block.

    Example:
        >>> import numpy as np
        >>> view = np.arange(24.0).reshape(2, 3, 2, 2)  # N=2, out=3, k=2, C=2
        >>> [(rows, cols.shape) for rows, cols in patch_blocks(np, view, 1, True, 64)]
        [(slice(0, 3, None), (3, 5)), (slice(3, 6, None), (3, 5))]
    """
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    n, per = view.shape[0], math.prod(view.shape[1:1 + n_spatial])
    kc = math.prod(view.shape[1 + n_spatial:])
    width = kc + bias
    step = n
    if xp.__name__ == "numpy":  # one block on GPUs: their kernels want big arrays
        step = max(1, min(n, block_bytes // max(per * width * view.itemsize, 1)))
    buf = xp.empty((step * per, width), dtype=view.dtype)
    if bias:
        buf[:, kc] = 1
    by_tap = BY_TAP and view.shape[-1] == 1
    for i in range(0, n, step):
        j = min(n, i + step)
        cols = buf[:(j - i) * per]
        dest = cols[:, :kc].reshape(view[i:j].shape)  # splitting axes: always a view
        if not xp.may_share_memory(dest, buf):  # pragma: no cover - reshape copied
            cols[:, :kc] = view[i:j].reshape(-1, kc)
        elif by_tap:
            _copy_by_tap(dest, view[i:j], n_spatial)
        else:
            # Not split over threads.parallel_for: measured no faster on 2 cores (6.4 ms at
            # batch 1,024, 13x13x32, against 13 ms with the hand-over of each 1 MB block).
            dest[...] = view[i:j]
        yield slice(i * per, j * per), cols


def _copy_by_tap(dest, src, n_spatial):
    """``dest[...] = src`` one kernel tap at a time, for one-channel inputs: each copy's inner
    loop runs along the output's last axis rather than over one window row of ``k`` values
    (3x3 kernel, batch 256 at 32x32: 7.7 -> 2.3 ms; with 3 or more channels the inner loop
    would be the channels and the whole-window copy wins, 5.4 against 16 ms)."""
    lead = (slice(None),) * (1 + n_spatial)
    for offset in itertools.product(*(range(k) for k in src.shape[1 + n_spatial:-1])):
        dest[lead + offset] = src[lead + offset]


def weight_gradient(xp, view, n_spatial, bias, gy2):
    """``patches.T @ gy2`` (the convolution's kernel gradient, with the bias gradient as its
    last row when ``bias``), summed over ``patch_blocks``; ``None`` for an empty batch.

    Each block's product contracts over its rows into a small ``(K*C, F)`` result, a shape
    OpenBLAS barely speeds up on a second thread, and the patch copies run on one core. With
    several threads and enough images, the batch is cut into one part per thread; each part
    builds its own blocks and sums its own products with BLAS on one thread, and the parts'
    sums are added in order. The split depends only on the thread count, so a run gives the
    same numbers each time at a given count (like BLAS itself, a different count may round
    differently). Measured on 2 cores, tutorial CNN training step (batch 128): this product
    15.6 -> 9.7 ms.

    Example:
        >>> import numpy as np
        >>> view = np.arange(24.0).reshape(2, 3, 2, 2)  # N=2, out=3, k=2, C=2
        >>> gy2 = np.ones((6, 1))
        >>> weight_gradient(np, view, 1, False, gy2).ravel()
        array([60., 66., 72., 78.])
    """
    n, per = view.shape[0], math.prod(view.shape[1:1 + n_spatial])
    width = math.prod(view.shape[1 + n_spatial:]) + bias

    def part(images):
        total = tmp = None
        rows0 = images.start * per
        for rows, cols in patch_blocks(xp, view[images], n_spatial, bias):
            g = gy2[rows0 + rows.start:rows0 + rows.stop]
            if total is None:
                total = cols.T @ g
                tmp = xp.empty_like(total)
            else:
                xp.matmul(cols.T, g, out=tmp)
                total += tmp
        return total

    return sum_in_order(over_images(xp, n, n * per * width, view.itemsize, part))


def convolve(xp, view, n_spatial, bias, wmat, out):
    """``out[...] = patches @ wmat`` block by block (the convolution's forward; ``wmat`` ends
    in the bias row when ``bias``). With several threads and enough images, one part of the
    batch per thread, each with its own blocks and BLAS on one thread (as in
    ``weight_gradient``; every output row is its own patch row times ``wmat``). With both,
    measured on 2 cores as whole steps, alternating in one process: tutorial CNN training
    31.7 -> 30.6 ms, Conv+BatchNorm 30.1 -> 27.7 ms, pooling model 15.4 -> 11.9 ms, CNN
    inference at batch 1,024 94.9 -> 90.3 ms.

    Example:
        >>> import numpy as np
        >>> view = np.arange(24.0).reshape(2, 3, 2, 2)
        >>> out = np.empty((6, 1))
        >>> convolve(np, view, 1, False, np.ones((4, 1)), out).ravel()
        array([ 6., 22., 38., 54., 70., 86.])
    """
    n, per = view.shape[0], math.prod(view.shape[1:1 + n_spatial])
    width = math.prod(view.shape[1 + n_spatial:]) + bias

    def part(images):
        rows0 = images.start * per
        for rows, cols in patch_blocks(xp, view[images], n_spatial, bias):
            xp.matmul(cols, wmat, out=out[rows0 + rows.start:rows0 + rows.stop])

    over_images(xp, n, n * per * width, view.itemsize, part)
    return out


def sum_in_order(parts):
    """The parts' sums (``None`` for a part with no images) added first to last, into the
    first one; ``None`` when every part is empty. The fixed order keeps a run's numbers
    the same every time at a given thread count."""
    total = None
    for t in parts:
        if t is None:
            continue
        if total is None:
            total = t
        else:
            total += t
    return total


def over_images(xp, n, size, itemsize, part):
    """``[part(images)]`` over the batch: one slice per thread when there are several and
    each gets at least one full block, running with BLAS on one thread; else one call.
    ``ConvTranspose``'s forward and backward use it too (measured on 2 cores for a
    (64, 14, 14, 8) input: backward 3.29 -> 2.62 ms, forward 2.1 -> 1.4 ms)."""
    block = BLOCK_BYTES // itemsize
    if xp.__name__ != "numpy" or len(threads.parts(n, size, min_part=block)) < 2:
        return [part(slice(0, n))]  # (one part too when numdeep has one thread)
    with threads.single_threaded_blas():
        return threads.parallel_for(n, part, size=size, min_part=block)
