"""Convolutions with one filter (or a few), multiplied before the windows are gathered.

im2col copies ``K * C`` values per output pixel before its one matmul. With a single filter it
is cheaper to multiply the whole padded input by every tap's kernel at once,
``(M_in, C) @ (C, K * F)``, and then add up each output's ``K`` products with one strided add
per tap (3x3 'same', 16 channels, 1 filter, batch 64 at 28x28: 3.8 -> 2.0 ms; with 2 or more
filters the adds' short inner loops lose, so ``Conv`` uses this for one filter only).
Reference: the im2col path of ``Conv`` in ``autograd/primitives/conv.py``.

``transpose_forward`` runs a transposed convolution with its taps grouped by output phase
(reference: ``col2im`` of its column matrix, ``conv_transpose_reference`` in
``autograd/primitives/conv_geometry.py``).

``taps`` lists ``(offset, region)`` pairs: ``region`` indexes the padded input's elements that
tap ``offset`` of every window reads (``taps`` in ``autograd/primitives/conv_geometry.py``).
"""

import itertools
import math


def forward(xp, xpad, w, taps, out, bias=None):
    """Convolution of ``xpad`` ``(N, *P, C)`` with ``w`` ``(*k, C, F)`` (plus ``bias``):
    ``(N, *out, F)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(5.0).reshape(1, 5, 1)
        >>> w = np.array([1.0, -1.0]).reshape(2, 1, 1)
        >>> taps = [((0,), (slice(None), slice(0, 4), slice(None))),
        ...         ((1,), (slice(None), slice(1, 5), slice(None)))]
        >>> forward(np, x, w, taps, (4,)).ravel()
        array([-1., -1., -1., -1.])
    """
    c, n_f = w.shape[-2:]
    k = len(taps)
    w_all = xp.moveaxis(w.reshape(k, c, n_f), 0, 1).reshape(c, k * n_f)
    z = (xpad.reshape(-1, c) @ w_all).reshape(xpad.shape[:-1] + (k, n_f))
    y = xp.empty((xpad.shape[0],) + tuple(out) + (n_f,), dtype=z.dtype)
    for i, (_, region) in enumerate(taps):
        src = z[region[:-1] + (i, slice(None))]
        if i == 0:
            y[...] = src
        else:
            xp.add(y, src, out=y)
    if bias is not None:
        y += bias
    return y


def transpose_products(x, w, strides, dilation):
    """How many values ``transpose_forward`` computes and adds: one ``(M, s * F)`` product per
    row offset of the kernel and distinct shift of its last axis (the work a thread split
    weighs)."""
    nd, n_f = x.ndim - 2, w.shape[-2]
    s, d = strides[-1], dilation[-1]
    shifts = len({o * d // s for o in range(w.shape[nd - 1])})
    return math.prod(x.shape[:-1]) * s * n_f * math.prod(w.shape[:nd - 1]) * shifts


def transpose_forward(xp, x, w, strides, dilation, crop, size, bias=None, out=None):
    """Transposed convolution of ``x`` ``(N, *S, C)`` with ``w`` ``(*k, F, C)``, cropped to
    ``full[crop : crop + size]``: ``(N, *size, F)``, written into ``out`` when given.

    Along the last spatial axis, tap ``o`` sends input ``j`` to ``s * (j + q) + p`` with
    ``(q, p) = divmod(o * d, s)``. The full output is kept as ``(..., J, s, F)`` (a reshape of
    ``(..., J * s, F)``), and the taps sharing a shift ``q`` become one matmul whose ``s * F``
    columns hold each phase ``p``'s kernel (zeros where no tap has that phase): its product is
    added onto ``[..., q : q + n, :, :]``, a run of ``n * s * F`` contiguous values per row,
    where a tap-by-tap scatter with stride ``s`` adds runs of ``F`` (Conv2DTranspose 8 -> 16
    filters, stride 2, batch 64 at 14x14: 4.9 ms with ``col2im`` of the column matrix, 3.5 ms
    tap by tap, 2.8 ms so). Reference: ``conv_transpose_reference`` in
    ``autograd/primitives/conv_geometry.py``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 3, 1)), np.array([1.0, 2.0]).reshape(2, 1, 1)
        >>> transpose_forward(np, x, w, (2,), (1,), (0,), (5,)).ravel()
        array([1., 2., 1., 2., 1.])
    """
    nd, (n_f, c) = x.ndim - 2, w.shape[-2:]
    ks = w.shape[:nd]
    s, d, n = strides[-1], dilation[-1], x.shape[-2]
    shift = [o * d // s for o in range(ks[-1])]
    jq = max(n + max(shift), -(-(crop[-1] + size[-1]) // s))
    lead = tuple(max((m - 1) * st + dl * (k - 1) + 1, c0 + sz) for m, k, st, dl, c0, sz in
                 zip(x.shape[1:-2], ks[:-1], strides[:-1], dilation[:-1], crop[:-1], size[:-1]))
    dtype = xp.result_type(x.dtype, w.dtype)
    buf = xp.zeros((x.shape[0],) + lead + (jq, s, n_f), dtype=dtype)
    x2 = x.reshape(-1, c)
    prod = xp.empty((x2.shape[0], s * n_f), dtype=dtype)
    cols = prod.reshape(x.shape[:-1] + (s, n_f))
    for offset in itertools.product(*(range(k) for k in ks[:-1])):
        rows = tuple(slice(o * dl, o * dl + st * (m - 1) + 1, st) for o, m, st, dl in
                     zip(offset, x.shape[1:-2], strides[:-1], dilation[:-1]))
        for q in sorted(set(shift)):
            wq = xp.zeros((c, s, n_f), dtype=w.dtype)
            for o in range(ks[-1]):
                if shift[o] == q:
                    wq[:, o * d % s] = w[offset + (o,)].T
            xp.matmul(x2, wq.reshape(c, s * n_f), out=prod)
            dest = buf[(slice(None),) + rows + (slice(q, q + n),)]
            xp.add(dest, cols, out=dest)
    full = buf.reshape(buf.shape[:-3] + (jq * s, n_f))
    region = (slice(None),) + tuple(slice(c0, c0 + sz) for c0, sz in zip(crop, size))
    y = xp.empty((x.shape[0],) + tuple(size) + (n_f,), dtype=dtype) if out is None else out
    if bias is None:
        y[...] = full[region]
    else:
        xp.add(full[region], bias, out=y)
    return y
