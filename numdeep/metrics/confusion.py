"""Confusion-matrix metrics: ``Precision``, ``Recall`` and ``AUC`` (ROC and PR, Keras's
thresholds, interpolation and multi-label handling)."""

import numpy as np

from numdeep.losses.base import EPSILON
from numdeep.metrics.base import (
    NEG_INF,
    Metric,
    as_array,
    safe_div,
    same_shape,
    sample_weights_for,
    sigmoid,
)


# ----- confusion-matrix metrics ------------------------------------------------------------------
def _confusion_counts(y_pred, pos_w, neg_w, thresholds):
    """(tp, fp, fn, tn) per ascending threshold; a prediction is positive when > threshold.

    ``y_pred``, ``pos_w`` and ``neg_w`` are 1-D, or 2-D ``(N, L)`` for per-label counts, which
    then have shape ``(T, L)``.
    """
    nb = len(thresholds) + 1
    idx = np.searchsorted(thresholds, y_pred, side="left")  # thresholds strictly below each pred
    labels = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    if y_pred.ndim == 2:
        idx = idx + nb * np.arange(labels)
    idx = idx.ravel()

    def above(w):
        hist = np.bincount(idx, weights=w.ravel(), minlength=nb * labels).reshape(labels, nb)
        return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

    tp, fp = above(pos_w), above(neg_w)
    pos, neg = pos_w.sum(axis=0), neg_w.sum(axis=0)
    if y_pred.ndim == 1:
        tp, fp = tp[:, 0], fp[:, 0]
    return tp, fp, pos - tp, neg - fp


def _filter_top_k(x, k):
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: lower index first, as Keras
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, x, NEG_INF)


class _PrecisionRecall(Metric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        t = (0.5 if top_k is None else NEG_INF) if thresholds is None else thresholds
        t = np.asarray(t, dtype=np.float64)
        if thresholds is not None and ((t < 0).any() or (t > 1).any()):
            raise ValueError(f"{type(self).__name__}: threshold values must be in [0, 1]. "
                             f"Received: thresholds={thresholds}")
        self.thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self._single = t.ndim == 0
        self._order = np.argsort(t.ravel())
        self._sorted = t.ravel()[self._order]
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = np.zeros(self._sorted.size)
        self.false_positives = np.zeros(self._sorted.size)
        self.false_negatives = np.zeros(self._sorted.size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate true/false positives and false negatives of one batch."""
        name = type(self).__name__
        y_pred = np.asarray(as_array(y_pred), np.float64)
        y_true, y_pred = same_shape(name, as_array(y_true), y_pred)
        w = np.ones(y_pred.shape) if sample_weight is None else sample_weights_for(sample_weight,
                                                                          y_pred.shape)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred, w = (a[..., self.class_id] for a in (y_true, y_pred, w))
        is_pos = y_true.astype(bool).ravel()
        w = w.ravel()
        tp, fp, fn, _ = _confusion_counts(y_pred.ravel(), w * is_pos, w * ~is_pos, self._sorted)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def _finish(self, values):
        out = np.empty_like(values)
        out[self._order] = values
        return float(out[0]) if self._single else out.tolist()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)``: the fraction of predicted positives that are positive.

    A prediction is positive when it is above the threshold (0.5 by default), or, with
    ``top_k``, among the ``k`` highest scores of its row.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a list of results.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column) of multi-class/multi-label outputs.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.Precision()(np.array([0, 1, 1, 1]), np.array([1.0, 1.0, 0.0, 0.0]))
        0.5
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives
        return self._finish(safe_div(tp, tp + self.false_positives))


class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)``: the fraction of positives predicted positive.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a list of results.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.Recall()(np.array([0, 1, 1, 1]), np.array([1.0, 0.0, 1.0, 1.0]))
        0.6666666666666666
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        tp = self.true_positives
        return self._finish(safe_div(tp, tp + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from bucketed thresholds (as Keras).

    Predictions are counted against ``num_thresholds`` thresholds spread evenly over ``[0, 1]``;
    the area is a trapezoid sum (ROC) or the Davis-Goadrich interpolation (PR).

    Args:
        num_thresholds: number of thresholds (> 1).
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        name, dtype: see ``Metric``.
        thresholds: explicit interior thresholds (overrides ``num_thresholds``).
        multi_label: treat each column of a ``(N, L)`` output as its own label and average
            their AUCs (else all entries are pooled).
        num_labels: accepted for Keras compatibility (the count comes from the data).
        label_weights: optional per-label weights for the multi-label average.
        from_logits: apply a sigmoid to predictions first.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> metrics.AUC(num_thresholds=3)(np.array([0, 0, 1, 1]), np.array([0.0, 0.5, 0.3, 0.9]))
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve, method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: invalid curve {curve!r}; expected 'ROC' or 'PR'.")
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid summation_method {summation_method!r}; expected "
                             "'interpolation', 'minoring' or 'majoring'.")
        if thresholds is not None:
            interior = sorted(float(t) for t in thresholds)
            num_thresholds = len(interior) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1. Received: {num_thresholds}")
            interior = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = EPSILON
        self._thresholds = np.array([-eps] + interior + [1.0 + eps])
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, method
        self._init_thresholds = thresholds
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else list(label_weights)
        self.from_logits = bool(from_logits)
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self):
        """The thresholds used, endpoints included."""
        return self._thresholds.tolist()

    def reset_state(self):
        # Counts are created lazily: their shape depends on the number of labels.
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the per-threshold confusion counts of one batch."""
        y_pred = np.asarray(as_array(y_pred), np.float64)
        y_true, y_pred = same_shape("AUC", as_array(y_true), y_pred)
        if self.from_logits:
            y_pred = sigmoid(y_pred)
        w = np.ones(y_pred.shape) if sample_weight is None else sample_weights_for(sample_weight,
                                                                          y_pred.shape)
        y_true = y_true.astype(np.float64)
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC(multi_label=True) needs y_pred of shape (N, L); "
                                 f"received {y_pred.shape}.")
        else:
            y_true, y_pred, w = y_true.ravel(), y_pred.ravel(), w.ravel()
        counts = _confusion_counts(y_pred, y_true * w, (1.0 - y_true) * w, self._thresholds)
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.false_negatives, \
                self.true_negatives = counts
        else:
            self.true_positives = self.true_positives + counts[0]
            self.false_positives = self.false_positives + counts[1]
            self.false_negatives = self.false_negatives + counts[2]
            self.true_negatives = self.true_negatives + counts[3]

    def result(self):
        if self.true_positives is None:
            return 0.0
        tp, fp = self.true_positives, self.false_positives
        fn, tn = self.false_negatives, self.true_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            area = _interpolated_pr_auc(tp, fp, fn)
        else:
            recall = safe_div(tp, tp + fn)
            if self.curve == "ROC":
                x, y = safe_div(fp, fp + tn), recall
            else:
                x, y = recall, safe_div(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            area = ((x[:-1] - x[1:]) * heights).sum(axis=0)
        if not self.multi_label:
            return float(area)
        if self.label_weights is None:
            return float(area.mean())
        lw = np.asarray(self.label_weights, dtype=np.float64)
        return float(safe_div((area * lw).sum(), lw.sum()))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self.label_weights, "from_logits": self.from_logits}
        if self._init_thresholds is not None:
            config["thresholds"] = list(self._init_thresholds)
        return config


def _interpolated_pr_auc(tp, fp, fn):
    """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006, as Keras)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    slope = safe_div(dtp, np.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.where(both, safe_div(p[:-1], np.maximum(p[1:], 0)), 1.0)
    ratio = np.where(ratio > 0, ratio, 1.0)
    increments = safe_div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    return increments.sum(axis=0)
