"""Fused, numerically stable loss primitives over logits.

Fusing softmax (or sigmoid) with the cross-entropy gives both a stable forward (log-sum-exp with
the row maximum subtracted) and a one-line backward (``p - target``), and avoids the ``log(0)``
that a separate softmax followed by ``log`` hits for confident predictions. All three return
the per-sample (per-element for the sigmoid form) loss; reducing it is the caller's choice.
"""

from numdeep.autograd.function import Function
from numdeep.autograd.primitives.elementwise import quiet
from numdeep.autograd.primitives.reduce import log_softmax


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
