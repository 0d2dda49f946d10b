"""Connectionist temporal classification: the loss of a label sequence under per-step class
scores, summed over every alignment (Graves et al., 2006)."""

import numpy as np

from numdeep.autograd.primitives.crossentropy import CTCLoss
from numdeep.losses.base import to_pred, to_true


def ctc(y_true, y_pred):
    """CTC loss of integer label sequences under per-step logits, as Keras computes it.

    Class 0 is both the blank and the padding of ``y_true``: the label length of a row is its
    number of nonzero entries, and that many leading entries are the target sequence. Every
    step of ``y_pred`` is an input step.

    Args:
        y_true: integer labels, shape ``(batch, max_label_length)``.
        y_pred: logits, shape ``(batch, steps, num_classes)`` (log-softmax is applied inside).

    Returns:
        Per-sample losses ``-log p(labels | logits)``, shape ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> logits = np.zeros((1, 3, 3), dtype="float32")
        >>> round(losses.ctc(np.array([[1, 2]]), logits).item(), 4)
        1.6864
    """
    y_pred = to_pred(y_pred)
    labels = to_true(y_true, y_pred)
    if labels.ndim != 2:
        raise ValueError(f"Targets `y_true` are expected to be a tensor of shape `(batch_size, "
                         f"max_length)` in integer format. Received: y_true.shape={labels.shape}")
    if y_pred.ndim != 3:
        raise ValueError(f"Logits `y_pred` are expected to be a tensor of shape `(batch_size, "
                         f"max_length, num_classes)`. Received: y_pred.shape={y_pred.shape}")
    if labels.shape[0] != y_pred.shape[0]:
        raise ValueError(f"CTC: y_true has {labels.shape[0]} rows but y_pred has a batch of "
                         f"{y_pred.shape[0]}.")
    ids = labels.astype(np.int64)
    if (ids != labels).any() or (ids < 0).any() or (ids >= y_pred.shape[-1]).any():
        raise ValueError(f"CTC: labels must be integer class ids in [0, {y_pred.shape[-1]}) "
                         f"(0 is the blank and the padding); received values from "
                         f"{labels.min()} to {labels.max()}.")
    batch, steps = y_pred.shape[:2]
    return CTCLoss.apply(y_pred, labels=ids, label_lengths=(ids != 0).sum(axis=-1),
                         input_lengths=np.full(batch, steps, dtype=np.int64), blank=0)
