"""Linear algebra primitives."""

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.movement import Transpose
from numdeep.backend import threads


def _matmul(xp, a, b):
    """``xp.matmul`` kept on NumPy's BLAS path.

    NumPy multiplies stacks (ndim > 2) of non-C-contiguous matrices (transposed views such as
    attention heads or the ``swapaxes`` of backward) with a naive loop, up to 100x slower than a
    copy plus BLAS, and runs ``(..., k) @ (k, n)`` as many small GEMMs: that case is one large
    GEMM on the flattened rows instead. Results are those of ``matmul``.
    """
    if b.ndim == 2 and a.ndim > 2:
        out = gemm(xp, a.reshape(-1, a.shape[-1]), b)
        return out.reshape(a.shape[:-1] + (b.shape[-1],))
    if a.ndim > 2 or b.ndim > 2:
        a, b = xp.ascontiguousarray(a), xp.ascontiguousarray(b)
    elif a.ndim == 2 and b.ndim == 2:
        return gemm(xp, a, b)
    return xp.matmul(a, b)


# Multiply-adds from which OpenBLAS (0.3.31) runs a product on several threads (its own
# threshold) and up to which numdeep keeps it on one: see ``gemm``.
THREADED_GEMM_MIN = 1 << 18
SMALL_GEMM_MACS = 1 << 24


def gemm(xp, a, b):
    """``a @ b`` of two matrices, on one BLAS thread when the product is small.

    Between ``THREADED_GEMM_MIN`` and ``SMALL_GEMM_MACS`` multiply-adds OpenBLAS would wake
    its other threads, and the hand-over costs more than the second core saves once the
    product sits among the other work of a training step. Measured on 2 cores:

    - weight gradients, which contract over the batch rows: (784, 32) @ (32, 128) took 87 us on
      one thread and 222-297 us on two; (784, 128) @ (128, 128) 296 vs 331-404 us;
    - whole planned training steps of the tutorial MLP, alternating in one process, with every
      product up to this size on one thread against only the weight gradients before:
      batch 32 1.15 -> 0.96 ms, batch 128 1.65 -> 1.57 ms (the forward product at batch 128,
      (128, 784) @ (784, 128), timed inside the step: 432-451 us on two threads, 293-296 us
      on one; alone it gains from the second thread, 368 -> 238 us).

    Larger products (a big batch, BERT's layers, im2col blocks) keep BLAS's threads.

    Example:
        >>> import numpy as np
        >>> gemm(np, np.ones((2, 3)), np.ones((3, 2))).tolist()
        [[3.0, 3.0], [3.0, 3.0]]
    """
    macs = a.shape[0] * a.shape[1] * b.shape[1]
    if THREADED_GEMM_MIN < macs <= SMALL_GEMM_MACS and xp.__name__ == "numpy" and \
            threads.blas_threaded():
        with threads.single_threaded_blas():
            return xp.matmul(a, b)
    return xp.matmul(a, b)


def _swap_last(t):
    """``t`` (Tensor or array) with its last two axes swapped, as a graph op."""
    axes = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return Transpose.apply(t, axes=axes)


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands and broadcast batch dimensions.

    Backward treats a 1-D ``a`` as a row and a 1-D ``b`` as a column, restores those dims in
    ``gy``, and drops them again from the gradients; the engine sums broadcast batch dims.
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return _matmul(self.xp, a, b)

    def backward(self, gy):
        a, b = self.saved
        xp = self.xp
        if b.ndim == 1:
            gy = gy[..., None]
        if a.ndim == 1:
            gy = gy[..., None, :]
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _matmul(xp, gy, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:
                # A weight shared across a batch (Dense on sequences): one large GEMM over the
                # flattened batch instead of per-item products summed by the engine afterwards.
                k = a2.shape[-1]
                gb = gemm(xp, a2.reshape(-1, k).T, gy.reshape(-1, gy.shape[-1]))
            elif a2.ndim == 2 and gy.ndim == 2:
                gb = gemm(xp, a2.T, gy)
            else:
                gb = _matmul(xp, xp.swapaxes(a2, -1, -2), gy)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb

    def backward_graph(self, gy, y):
        a, b = self.inputs(*self.saved)
        a_1d, b_1d = self.saved[0].ndim == 1, self.saved[1].ndim == 1
        if b_1d:
            gy = gy.reshape(gy.shape + (1,))
        if a_1d:
            gy = gy.reshape(gy.shape[:-1] + (1, gy.shape[-1]))
        a2 = a.reshape((1, -1)) if a_1d else a
        b2 = b.reshape((-1, 1)) if b_1d else b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = MatMul.apply(gy, _swap_last(b2))
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:]) if a_1d else ga
        if self.needs_input_grad[1]:
            gb = MatMul.apply(_swap_last(a2), gy)
            gb = gb.reshape(gb.shape[:-1]) if b_1d else gb
        return ga, gb


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_einsum(subscripts, shapes):
    """``subscripts`` as explicit letters: one string per operand and the output, with every
    ``...`` spelled out (right-aligned across operands) and an implicit output made explicit
    (NumPy's rule: the broadcast dims, then the letters used once, in alphabetical order)."""
    text = subscripts.replace(" ", "")
    lhs, arrow, out = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands but "
                         f"{len(shapes)} were given.")
    free = [c for c in _LETTERS if c not in text]
    n_ell = max([len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t] or [0])
    ell = "".join(free[:n_ell])
    expanded = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != len(s):
            raise ValueError(f"einsum: the subscripts {t!r} do not match an operand of shape "
                             f"{tuple(s)}.")
        expanded.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = "".join(expanded)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1
                                   and c not in ell))
    return expanded, out


class Einsum(Function):
    """``einsum(subscripts, *operands)``; each operand's gradient is another einsum of ``gy`` with
    the other operands, broadcast over letters only that operand sums and spread over the
    diagonals its repeated letters select."""

    def forward(self, *xs):
        xp = self.xp
        self.terms, self.out = parse_einsum(self.subscripts, [x.shape for x in xs])
        sizes = {}
        for t, x in zip(self.terms, xs):
            for c, n in zip(t, x.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        # Broadcast size-1 dims (of `...`) up front: einsum itself only matches equal sizes.
        xs = [x if all(sizes[c] == n for c, n in zip(t, x.shape))
              else xp.broadcast_to(x, tuple(sizes[c] for c in t)) for t, x in zip(self.terms, xs)]
        self.sizes = sizes
        self.save_for_backward(*xs)
        return xp.einsum(",".join(self.terms) + "->" + self.out, *xs)

    def backward(self, gy):
        xs = self.saved
        return tuple(self._grad(i, gy, xs) if need else None
                     for i, need in enumerate(self.needs_input_grad))

    def _grad(self, i, gy, xs):
        xp = self.xp
        term = self.terms[i]
        others = [t for j, t in enumerate(self.terms) if j != i]
        seen = set(self.out).union(*others)
        unique = "".join(dict.fromkeys(term))
        target = "".join(c for c in unique if c in seen)
        g = xp.einsum(",".join([self.out, *others]) + "->" + target, gy,
                      *[x for j, x in enumerate(xs) if j != i])
        if target != unique:
            g = g.reshape(tuple(self.sizes[c] if c in target else 1 for c in unique))
            g = xp.broadcast_to(g, tuple(self.sizes[c] for c in unique))
        if unique == term:
            return g
        # Repeated letters (a diagonal): write g onto it with one identity matrix per repeat.
        free = iter(c for c in _LETTERS if c not in self.subscripts and c not in term
                    and c not in "".join(self.terms) + self.out)
        spec, eyes, used = [], [], set()
        for c in term:
            if c in used:
                fresh = next(free)
                spec.append(fresh)
                eyes.append((c + fresh, xp.eye(self.sizes[c], dtype=gy.dtype)))
            else:
                used.add(c)
                spec.append(c)
        expr = ",".join([unique] + [s for s, _ in eyes]) + "->" + "".join(spec)
        return xp.einsum(expr, g, *[e for _, e in eyes])
