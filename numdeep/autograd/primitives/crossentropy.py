"""Fused, numerically stable loss primitives over logits.

Fusing softmax (or sigmoid) with the cross-entropy gives both a stable forward (log-sum-exp with
the row maximum subtracted) and a one-line backward (``p - target``), and avoids the ``log(0)``
that a separate softmax followed by ``log`` hits for confident predictions. Each returns the
per-sample (per-element for the sigmoid form) loss; reducing it is the caller's choice.
``CTCLoss`` sums the cross-entropy over every alignment of a label sequence (the forward-backward
algorithm in log space).
"""

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.elementwise import Sigmoid, quiet
from numdeep.autograd.primitives.reduce import LogSoftmax, Softmax, log_softmax


class SparseSoftmaxCrossEntropy(Function):
    """``-log softmax(logits)[label]`` per sample, for integer class ``labels``.

    ``labels`` (a parameter, not an input) has shape ``logits.shape[:-1]`` and holds class ids
    in ``[0, num_classes)``; anything else raises ``ValueError`` rather than silently wrapping
    negative ids around. The result has shape ``logits.shape[:-1]``.
    """

    def forward(self, logits):
        xp = self.xp
        labels = self.labels
        n_classes = logits.shape[-1]
        if labels.shape != logits.shape[:-1] or labels.dtype.kind not in "iu":
            raise ValueError(
                f"SparseSoftmaxCrossEntropy expects integer labels of shape {logits.shape[:-1]} "
                f"for logits of shape {logits.shape}; received {labels.dtype} labels of shape "
                f"{labels.shape}."
            )
        if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
            raise ValueError(
                f"SparseSoftmaxCrossEntropy labels must lie in [0, {n_classes}); received values "
                f"from {int(labels.min())} to {int(labels.max())}."
            )
        logp = log_softmax(xp, logits, -1).reshape(-1, n_classes)
        self.rows = xp.arange(logp.shape[0])
        self.flat_labels = labels.reshape(-1)
        self.save_for_backward(logp)
        return -logp[self.rows, self.flat_labels].reshape(labels.shape)

    def backward(self, gy):
        (logp,) = self.saved
        gy = gy.reshape(-1, 1)
        with quiet():
            g = self.xp.exp(logp)
        g *= gy
        g[self.rows, self.flat_labels] -= gy[:, 0]
        return g.reshape(self.labels.shape + logp.shape[-1:])

    def backward_graph(self, gy, y):
        (logits,) = self.parents
        onehot = self.xp.zeros(self.saved[0].shape, dtype=gy.dtype)
        onehot[self.rows, self.flat_labels] = 1
        onehot = onehot.reshape(self.labels.shape + onehot.shape[-1:])
        return (Softmax.apply(logits, axis=-1) - onehot) * gy.reshape(gy.shape + (1,))


class SoftmaxCrossEntropy(Function):
    """``-sum(targets * log softmax(logits), -1)`` for soft or one-hot float ``targets``.

    The gradient wrt the logits is ``(p * sum(targets) - targets) * gy``, i.e. ``p - targets``
    for targets that sum to one. Targets also get their gradient, ``-log p * gy``, when they
    require one (distillation from a trained teacher).
    """

    def forward(self, logits, targets):
        logp = log_softmax(self.xp, logits, -1)
        self.save_for_backward(logp, targets)
        return -(targets * logp).sum(axis=-1)

    def backward(self, gy):
        logp, targets = self.saved
        xp = self.xp
        gy = gy[..., None]
        g_logits = g_targets = None
        if self.needs_input_grad[0]:
            with quiet():
                g_logits = xp.exp(logp)
            g_logits *= xp.sum(targets, axis=-1, keepdims=True)
            g_logits = (g_logits - targets) * gy
        if self.needs_input_grad[1]:
            g_targets = -logp * gy
        return g_logits, g_targets

    def backward_graph(self, gy, y):
        logits, targets = self.inputs(None, self.saved[1])
        gy = gy.reshape(gy.shape + (1,))
        g_logits = g_targets = None
        if self.needs_input_grad[0]:
            p = Softmax.apply(logits, axis=-1)
            g_logits = (p * targets.sum(axis=-1, keepdims=True) - targets) * gy
        if self.needs_input_grad[1]:
            logp = self.saved[0] if logits is None else LogSoftmax.apply(logits, axis=-1)
            g_targets = -logp * gy
        return g_logits, g_targets


class SigmoidBinaryCrossEntropy(Function):
    """Elementwise ``-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))`` from logits ``x``.

    Computed as ``max(x, 0) - x * t + log1p(exp(-|x|))``, which is finite for any logit. The
    gradient wrt the logits is ``(sigmoid(x) - t) * gy``; targets get ``-x * gy`` when needed.
    """

    def forward(self, x, t):
        xp = self.xp
        with quiet():
            e = xp.exp(-xp.abs(x))
        self.save_for_backward(x, t)
        # Out of place first: the result takes the broadcast shape of ``x`` and ``t``.
        loss = xp.maximum(x, 0) - x * t
        loss += xp.log1p(e)
        return loss

    def backward(self, gy):
        x, t = self.saved
        xp = self.xp
        g_x = g_t = None
        if self.needs_input_grad[0]:
            # sigmoid(x) = 1 / (1 + exp(-x)); exp overflowing to inf gives exactly 0.
            with quiet(over="ignore"):
                g_x = xp.exp(-x)
            g_x += 1
            g_x = (1 / g_x - t) * gy
        if self.needs_input_grad[1]:
            g_t = -x * gy
        return g_x, g_t

    def backward_graph(self, gy, y):
        x, t = self.inputs(*self.saved)
        g_x = (Sigmoid.apply(x) - t) * gy if self.needs_input_grad[0] else None
        g_t = -x * gy if self.needs_input_grad[1] else None
        return g_x, g_t


class SparseCrossEntropyFromProbs(Function):
    """``-log(clip(probs[label] / sum(probs), eps, 1 - eps))`` per sample, for probabilities.

    The probability-space cross-entropy that Keras computes after a softmax layer (the row is
    renormalised, then clipped once, then logged), fused so the tutorial's hot path is one op and
    its backward never scatters: ``d/dp_j = 1/S - [j == label] / p_label`` inside the clip range,
    0 where the clip is active. ``labels`` are validated by the caller (the loss). A NaN anywhere
    in a row makes that row's loss NaN.
    """

    def forward(self, probs):
        xp = self.xp
        n_classes = self.n_classes = probs.shape[-1]
        flat = probs.reshape(-1, n_classes)
        rows = xp.arange(flat.shape[0])
        labels = self.labels.reshape(-1)
        total = flat.sum(axis=-1)
        picked = flat[rows, labels]
        with quiet():
            q = picked / total
        eps = self.epsilon
        inside = (q >= eps) & (q <= 1.0 - eps)
        self.rows, self.flat_labels = rows, labels
        self.save_for_backward(total, picked, inside)
        with quiet():
            out = -xp.log(xp.clip(q, eps, 1.0 - eps))
        return out.reshape(self.labels.shape).astype(probs.dtype, copy=False)

    def backward(self, gy):
        xp = self.xp
        total, picked, inside = self.saved
        g = gy.reshape(-1) * inside
        with quiet():
            grad = xp.empty((total.shape[0], self.n_classes), dtype=gy.dtype)
            grad[...] = (g / total)[:, None]
            grad[self.rows, self.flat_labels] -= g / xp.where(inside, picked, 1)
        return grad.reshape(self.labels.shape + (self.n_classes,))


class CTCLoss(Function):
    """Connectionist temporal classification loss ``-log p(labels | logits)`` per sample.

    ``logits`` has shape ``(batch, time, classes)`` (log-softmax is applied inside). The
    parameters are ``labels`` (integer ``(batch, max_label_length)``; only the first
    ``label_lengths[b]`` entries of row ``b`` are read), ``label_lengths`` and
    ``input_lengths`` (integer ``(batch,)``) and ``blank`` (the blank class id). Alignments
    are scored in log space over the extended sequence ``blank, l1, blank, l2, ..., blank``,
    where a label may be skipped to only when it differs from the one two steps back (so a
    label equal to the blank behaves as the blank does in PyTorch's ``ctc_loss``). The
    gradient wrt the logits is ``softmax - posterior occupancy`` at each time step within the
    input length (0 after it); a sample with no valid alignment has an infinite loss and a
    zero gradient.
    """

    def forward(self, logits):
        xp = self.xp
        logp = log_softmax(xp, logits.astype(xp.float64), -1)
        ext = self._extended()
        batch, steps, _ = logp.shape
        rows = xp.arange(batch)[:, None]
        emit = logp[rows[:, :, None], xp.arange(steps)[None, :, None], ext[:, None, :]]
        alpha, beta = self._alpha(emit, ext), self._beta(emit, ext)
        last = self.input_lengths - 1
        end = 2 * self.label_lengths
        final = alpha[xp.arange(batch), last]
        tail = xp.where(end > 0, final[xp.arange(batch), xp.maximum(end - 1, 0)], -xp.inf)
        with quiet(invalid="ignore"):
            log_p = xp.logaddexp(final[xp.arange(batch), end], tail)
        self.save_for_backward(logp, alpha, beta, emit, log_p)
        return (-log_p).astype(logits.dtype)

    def _extended(self):
        """The extended label sequences ``(batch, 2 * max_length + 1)``; padded positions hold
        the blank and are never reached."""
        xp = self.xp
        labels = xp.asarray(self.labels)
        batch, length = labels.shape
        ext = xp.full((batch, 2 * length + 1), self.blank, dtype=xp.int64)
        ext[:, 1::2] = labels
        return ext

    def _alpha(self, emit, ext):
        xp = self.xp
        batch, steps, width = emit.shape
        valid = xp.arange(width)[None, :] <= 2 * self.label_lengths[:, None]
        skip = xp.zeros((batch, width), dtype=bool)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        alpha = xp.full((batch, steps, width), -xp.inf)
        alpha[:, 0, 0] = emit[:, 0, 0]
        alpha[:, 0, 1] = xp.where(self.label_lengths > 0, emit[:, 0, 1], -xp.inf)
        with quiet(invalid="ignore"):
            for t in range(1, steps):
                prev = alpha[:, t - 1]
                acc = prev.copy()
                acc[:, 1:] = xp.logaddexp(acc[:, 1:], prev[:, :-1])
                acc[:, 2:] = xp.where(skip[:, 2:], xp.logaddexp(acc[:, 2:], prev[:, :-2]),
                                      acc[:, 2:])
                alpha[:, t] = xp.where(valid, acc + emit[:, t], -xp.inf)
        return alpha

    def _beta(self, emit, ext):
        xp = self.xp
        batch, steps, width = emit.shape
        end = 2 * self.label_lengths
        valid = xp.arange(width)[None, :] <= end[:, None]
        skip = xp.zeros((batch, width), dtype=bool)  # s may go on to s + 2
        skip[:, :-2] = ext[:, :-2] != ext[:, 2:]
        beta = xp.full((batch, steps, width), -xp.inf)
        start = xp.full((batch, width), -xp.inf)
        cols = xp.arange(batch)
        start[cols, end] = 0.0
        start[cols, xp.maximum(end - 1, 0)] = xp.where(end > 0, 0.0, start[cols, 0])
        with quiet(invalid="ignore"):
            for t in range(steps - 1, -1, -1):
                at_end = (self.input_lengths - 1 == t)[:, None]
                nxt = beta[:, t + 1] if t + 1 < steps else xp.full((batch, width), -xp.inf)
                acc = nxt.copy()
                acc[:, :-1] = xp.logaddexp(acc[:, :-1], nxt[:, 1:])
                acc[:, :-2] = xp.where(skip[:, :-2], xp.logaddexp(acc[:, :-2], nxt[:, 2:]),
                                       acc[:, :-2])
                acc = xp.where(at_end, start, acc)
                beta[:, t] = xp.where(valid, acc + emit[:, t], -xp.inf)
        return beta

    def backward(self, gy):
        xp = self.xp
        logp, alpha, beta, emit, log_p = self.saved
        batch, steps, classes = logp.shape
        finite = xp.isfinite(log_p)
        with quiet(invalid="ignore", over="ignore"):
            occupancy = xp.exp(alpha + beta - emit - xp.where(finite, log_p, 0)[:, None, None])
        occupancy = xp.where(xp.isnan(occupancy), 0.0, occupancy)
        onehot = xp.zeros(self._extended().shape + (classes,))
        ext = self._extended()
        onehot[xp.arange(batch)[:, None], xp.arange(ext.shape[1])[None, :], ext] = 1.0
        grad = xp.exp(logp) - xp.einsum("bts,bsc->btc", occupancy, onehot)
        inside = xp.arange(steps)[None, :] < self.input_lengths[:, None]
        grad = xp.where((inside & finite[:, None])[:, :, None], grad, 0.0)
        return (grad * gy[:, None, None]).astype(gy.dtype)
