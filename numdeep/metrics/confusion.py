"""Confusion-matrix counts at thresholds, and the metrics read straight from them:
``TruePositives``, ``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``, ``Precision``,
``Recall``.

A prediction is positive at a threshold when it is strictly above it. Counts are taken as Keras
takes them, in the metric's dtype: by direct comparison for arbitrary thresholds, and, for
evenly spaced ones (``AUC``'s, the sensitivity/specificity family's), by dropping each
prediction into its bucket ``ceil(p * (T - 1)) - 1`` and summing the buckets from the top.
"""

import numpy as np

from numdeep.metrics.base import NEG_INF, Metric, as_array, rank_align, safe_div

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
           "Recall", "update_confusion_variables", "parse_thresholds", "evenly_spaced"]


def parse_thresholds(thresholds, default):
    """The thresholds as a list of floats in ``[0, 1]`` (``default`` when ``None``)."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple | np.ndarray) \
        else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def evenly_spaced(thresholds):
    """Whether ``thresholds`` are ``[0, 1/(T-1), ..., 1]`` (the bucketed counting applies)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=1e-7))


def _filter_top_k(x, k):
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: lower index first, as Keras
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, x, NEG_INF)


def _above_counts(y_pred, pos_w, neg_w, thresholds):
    """Weighted counts of positives and negatives predicted above each threshold; inputs are
    1-D (counts ``(T,)``) or ``(N, L)`` (counts ``(T, L)``)."""
    nb = len(thresholds) + 1
    # searchsorted counts the thresholds strictly below each prediction; NaN is above none.
    idx = np.searchsorted(thresholds, np.where(np.isnan(y_pred), -np.inf, y_pred), side="left")
    labels = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    if y_pred.ndim == 2:
        idx = idx + nb * np.arange(labels)
    idx = idx.ravel()

    def above(w):
        hist = np.bincount(idx, weights=w.ravel(), minlength=nb * labels).reshape(labels, nb)
        counts = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T
        return counts[:, 0] if y_pred.ndim == 1 else counts

    return above(pos_w), above(neg_w)


def _bucket_counts(y_pred, pos_w, neg_w, num_thresholds, with_epsilon):
    """The same counts for evenly spaced thresholds, through Keras's buckets."""
    dtype = y_pred.dtype.type
    bucket = np.ceil(np.clip(y_pred, 0, 1) * dtype(num_thresholds - 1)) - 1
    if with_epsilon:  # AUC's end thresholds are -eps and 1 + eps: a 0 still counts above -eps
        bucket = np.maximum(bucket, 0)
    bucket = bucket.astype(np.int64)
    labels = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    keep = bucket >= 0  # a prediction of 0 is above no threshold
    if y_pred.ndim == 2:
        bucket = bucket + num_thresholds * np.arange(labels)

    def above(w):
        hist = np.bincount(bucket[keep], weights=np.broadcast_to(w, keep.shape)[keep],
                           minlength=num_thresholds * labels).reshape(labels, num_thresholds)
        counts = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1].T
        return counts[:, 0] if y_pred.ndim == 1 else counts

    return above(pos_w), above(neg_w)


def update_confusion_variables(variables, y_true, y_pred, thresholds, top_k=None, class_id=None,
                               sample_weight=None, multi_label=False, label_weights=None,
                               evenly=False):
    """Add one batch's confusion counts at ``thresholds`` to ``variables``.

    Args:
        variables: ``{'tp' | 'fp' | 'tn' | 'fn': Variable}`` (shape ``(T,)``, or ``(T, L)``
            with ``multi_label``).
        y_true, y_pred: labels (nonzero = positive) and scores.
        thresholds: the thresholds, ascending when ``evenly``.
        top_k: count only each row's ``k`` highest scores as predicted.
        class_id: count only this column of ``(N, C)`` outputs.
        sample_weight: per-sample (or per-entry) weights.
        multi_label: keep a count per column instead of pooling every entry.
        label_weights: per-column weights of the pooled counts (``multi_label=False``).
        evenly: the thresholds are evenly spaced over ``[0, 1]`` (bucketed counting).
    """
    dtype = next(iter(variables.values())).dtype
    y_pred = np.asarray(as_array(y_pred)).astype(dtype)
    y_true = np.asarray(as_array(y_true)).astype(dtype)
    y_pred, y_true = rank_align(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(as_array(sample_weight)).astype(dtype)[..., None]
        _, weights = _squeeze_weights(y_true, weights)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = np.ones_like(y_pred) if weights is None else np.broadcast_to(weights, y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * np.broadcast_to(np.asarray(label_weights, dtype)[None], y_pred.shape)
    positive = (y_true != 0).astype(dtype)
    if not multi_label:
        y_pred, positive, weights = y_pred.ravel(), positive.ravel(), weights.ravel()
    pos_w, neg_w = positive * weights, (1 - positive) * weights
    thresholds = np.asarray(thresholds, dtype)
    if evenly:
        with_eps = bool(thresholds[0] < 0 or thresholds[-1] > 1)
        tp, fp = _bucket_counts(y_pred, pos_w, neg_w, len(thresholds), with_eps)
    else:
        order = np.argsort(thresholds, kind="stable")
        tp, fp = _above_counts(y_pred, pos_w, neg_w, thresholds[order])
        inverse = np.argsort(order)
        tp, fp = tp[inverse], fp[inverse]
    counts = {"tp": tp, "fp": fp, "fn": pos_w.sum(axis=0, dtype=np.float64) - tp,
              "tn": neg_w.sum(axis=0, dtype=np.float64) - fp}
    for key, variable in variables.items():
        variable.assign_add(counts[key])


def _squeeze_weights(y_true, weights):
    # Keras's squeeze_or_expand_to_same_rank(y_true, w[..., None], expand_rank_1=False).
    if weights.ndim == y_true.ndim + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    return y_true, weights


class _ConfusionCount(Metric):
    """One confusion-matrix count at each threshold."""

    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._evenly = evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's count at each threshold."""
        update_confusion_variables({self._key: self.accumulator}, y_true, y_pred,
                                   self.thresholds, sample_weight=sample_weight,
                                   evenly=self._evenly)

    def result(self):
        values = self.accumulator.data
        return self._result(values[0] if len(self.thresholds) == 1 else values)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of positives predicted positive (``y_pred > threshold``).

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5); a list gives one
            count per threshold.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> float(metrics.TruePositives()(np.array([0, 1, 1, 1]), np.array([1, 0, 1, 1])))
        2.0
    """

    _key = "tp"


class FalsePositives(_ConfusionCount):
    """The (weighted) number of negatives predicted positive; see ``TruePositives``."""

    _key = "fp"


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negatives predicted negative; see ``TruePositives``."""

    _key = "tn"


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positives predicted negative; see ``TruePositives``."""

    _key = "fn"


class _PrecisionRecall(Metric):
    _second = None  # "fp" for precision, "fn" for recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = evenly_spaced(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        second = "false_positives" if self._second == "fp" else "false_negatives"
        setattr(self, second, self.add_variable((n,), "zeros", name=second))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's true positives and false positives (negatives) per threshold."""
        second = self.false_positives if self._second == "fp" else self.false_negatives
        update_confusion_variables({"tp": self.true_positives, self._second: second}, y_true,
                                   y_pred, self.thresholds, top_k=self.top_k,
                                   class_id=self.class_id, sample_weight=sample_weight,
                                   evenly=self._evenly)

    def result(self):
        second = self.false_positives if self._second == "fp" else self.false_negatives
        tp = self.true_positives.data
        values = safe_div(tp, tp + second.data)
        return self._result(values[0] if len(self.thresholds) == 1 else values)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)``: the fraction of predicted positives that are positive.

    A prediction is positive when it is above the threshold (0.5 by default), or, with
    ``top_k``, among the ``k`` highest scores of its row.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a result per threshold.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column) of multi-class/multi-label outputs.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> float(metrics.Precision()(np.array([0, 1, 1, 1]), np.array([1.0, 1.0, 0.0, 0.0])))
        0.5
    """

    _second = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)``: the fraction of positives predicted positive.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a list gives a result per threshold.
        top_k: count only the ``k`` highest-scoring classes of each sample as predicted.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> float(metrics.Recall()(np.array([0, 1, 1, 1]), np.array([1.0, 0.0, 1.0, 1.0])))
        0.6666666865348816
    """

    _second = "fn"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)
