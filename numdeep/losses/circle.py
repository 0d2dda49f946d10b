"""The Circle loss for metric learning (Sun et al., 2020): pairs of L2-normalized embeddings
with the same label are pulled together and the others pushed apart, each pair weighted by how
far it is from its optimum."""

import numpy as np

from numdeep.losses.base import to_pred, to_true
from numdeep.ops import eager as ops

# Stands for -inf where a pair is masked out: exp() of it is exactly 0, and unlike -inf it
# leaves finite gradients when a row has no pair of a kind (its loss is then 0).
_MASKED = -1e30


def circle_and_mask(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
                    gamma=80.0, margin=0.4):
    """Per-sample Circle losses and the mask of samples with a nonzero loss (the ones counted
    by the default reduction, as in Keras)."""
    y_pred = to_pred(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(f"Circle expects embeddings of shape (batch, dim); received y_pred of "
                         f"shape {y_pred.shape}.")
    labels = to_true(y_true, y_pred).reshape(-1)
    if labels.shape[0] != y_pred.shape[0]:
        raise ValueError(f"Circle expects one label per embedding; received {labels.shape[0]} "
                         f"labels for y_pred of shape {y_pred.shape}.")
    refs = y_pred if ref_embeddings is None else to_pred(ref_embeddings)
    ref_labels = labels if ref_labels is None else to_true(ref_labels, y_pred).reshape(-1)
    positive = labels[:, None].astype(np.int64) == ref_labels[None, :].astype(np.int64)
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(positive.shape[0], positive.shape[1], dtype=bool)
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(refs)), 0.0)
    pos_weights = ops.maximum((margin + distances) * positive.astype(y_pred.dtype), 0.0)
    neg_weights = ops.maximum((1.0 + margin - distances) * negative.astype(y_pred.dtype), 0.0)
    pos_terms = -gamma * pos_weights * (margin - distances)
    neg_terms = gamma * neg_weights * ((1.0 - margin) - distances)
    p_loss = ops.logsumexp(ops.where(positive, pos_terms, _MASKED), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_terms, _MASKED), axis=1)
    loss = ops.softplus(p_loss + n_loss)
    return loss, loss.data > 0


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80.0, margin=0.4):
    """Circle loss of each embedding against the reference embeddings (default: the batch).

    Args:
        y_true: integer labels, shape ``(batch,)``.
        y_pred: L2-normalized embeddings, shape ``(batch, dim)`` (Tensor).
        ref_labels: labels of the reference embeddings (default ``y_true``).
        ref_embeddings: reference embeddings (default ``y_pred``).
        remove_diagonal: do not pair an embedding with itself.
        gamma: the scale factor.
        margin: the relaxation margin.

    Returns:
        Per-sample losses, shape ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> emb = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype="float32")
        >>> losses.circle(np.array([1, 1, 2]), emb, gamma=10.0).numpy().round(3)
        array([0.059, 1.171, 0.   ], dtype=float32)
    """
    return circle_and_mask(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma,
                           margin)[0]
