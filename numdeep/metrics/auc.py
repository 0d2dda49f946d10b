"""``AUC``: the area under the ROC, precision-recall or precision-recall-gain curve, from
confusion counts at bucketed thresholds (Keras's thresholds, Riemann sums and PR
interpolation, pooled or per-label)."""

from enum import Enum

import numpy as np

from numdeep.metrics.base import Metric, as_array, safe_div, sigmoid
from numdeep.metrics.confusion import evenly_spaced, update_confusion_variables

_EPSILON = 1e-7  # the end thresholds sit just outside [0, 1], as Keras's backend.epsilon()


class AUCCurve(Enum):
    """The curve ``AUC`` integrates: ROC, precision-recall, or precision-recall-gain."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        """The curve named ``key`` (``'roc'``/``'ROC'``, ``'pr'``/``'PR'``, ...)."""
        for curve in AUCCurve:
            if key in (curve.value, curve.value.lower()):
                return curve
        raise ValueError(f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", '
                         f'"PRGAIN"]')


class AUCSummationMethod(Enum):
    """How ``AUC`` sums the area: trapezoids, or the lower or upper step."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        """The method named ``key`` (``'interpolation'``, ``'Majoring'``, ...)."""
        for method in AUCSummationMethod:
            if key in (method.value, method.value.capitalize()):
                return method
        raise ValueError(f'Invalid AUC summation method value: "{key}". Expected values are '
                         f'["interpolation", "majoring", "minoring"]')


class AUC(Metric):
    """Area under the ROC, PR or PR-gain curve, from bucketed thresholds (as Keras).

    Predictions are counted against ``num_thresholds`` thresholds spread evenly over ``[0, 1]``
    (the ends just outside it); the area is a Riemann sum over them, with precision
    interpolated between thresholds for ``curve='PR'`` (Davis & Goadrich).

    Args:
        num_thresholds: number of thresholds (> 1).
        curve: ``'ROC'``, ``'PR'`` or ``'PRGAIN'`` (or an ``AUCCurve``).
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        name, dtype: see ``Metric``.
        thresholds: explicit interior thresholds in ``[0, 1]`` (overrides ``num_thresholds``).
        multi_label: treat each column of an ``(N, L)`` output as its own label and average
            their AUCs (else all entries are pooled into one curve).
        num_labels: the number of labels with ``multi_label`` (else taken from the first batch).
        label_weights: per-label weights: of each label's AUC in the average (``multi_label``),
            or of each column's entries in the pooled counts.
        from_logits: apply a sigmoid to predictions first.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.AUC(num_thresholds=3)
        >>> float(m(np.array([0, 0, 1, 1]), np.array([0.0, 0.5, 0.3, 0.9])))
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self.curve = curve if isinstance(curve, AUCCurve) else AUCCurve.from_str(curve)
        self.summation_method = summation_method \
            if isinstance(summation_method, AUCSummationMethod) \
            else AUCSummationMethod.from_str(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            interior = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(interior) + 2
            self._evenly = evenly_spaced([0.0] + interior + [1.0])
        else:
            if num_thresholds is None or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            interior = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([-_EPSILON] + interior + [1.0 + _EPSILON])
        super().__init__(name=name, dtype=dtype)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(as_array(label_weights), dtype=self.dtype)
        self._from_logits = bool(from_logits)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        else:
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used, the two just outside ``[0, 1]`` included."""
        return self._thresholds.tolist()

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found "
                                 f"rank {len(shape)}. Full shape received for `y_pred`: {shape}")
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, self.add_variable(variable_shape, "zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's confusion counts at every threshold."""
        y_pred = np.asarray(as_array(y_pred))
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = sigmoid(y_pred.astype(np.float64))
        variables = {"tp": self.true_positives, "tn": self.true_negatives,
                     "fp": self.false_positives, "fn": self.false_negatives}
        update_confusion_variables(
            variables, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, evenly=self._evenly)

    def _counts(self):
        return [v.data.astype(np.float64) for v in (self.true_positives, self.false_positives,
                                                     self.true_negatives, self.false_negatives)]

    def result(self):
        if not self._built:
            return self._result(0.0)
        tp, fp, tn, fn = self._counts()
        if self.curve == AUCCurve.PR and \
                self.summation_method == AUCSummationMethod.INTERPOLATION:
            return self._average(_interpolated_pr_auc(tp, fp, fn))
        if self.curve == AUCCurve.ROC:
            x, y = safe_div(fp, fp + tn), safe_div(tp, tp + fn)
        elif self.curve == AUCCurve.PR:
            x, y = safe_div(tp, tp + fn), safe_div(tp, tp + fp)
        else:
            x, y = _pr_gain(tp, fp, tn, fn)
        if self.summation_method == AUCSummationMethod.INTERPOLATION:
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == AUCSummationMethod.MINORING:
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def _average(self, terms):
        """The area: the sum of the terms, averaged over labels for ``multi_label``."""
        if not self.multi_label:
            return self._result(terms.sum())
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return self._result(by_label.mean())
        lw = self.label_weights.astype(np.float64)
        return self._result(safe_div((by_label * lw).sum(), lw.sum()))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        label_weights = None if self.label_weights is None else self.label_weights.tolist()
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve.value, "summation_method": self.summation_method.value,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _pr_gain(tp, fp, tn, fn):
    """Recall gain and precision gain (Flach & Kull), clipped as Keras does."""
    scale = safe_div(tp + fn, tn + fp)
    recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * safe_div(fn, tp))
    precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * safe_div(fp, tp))
    return np.maximum(recall_gain, 0.0), precision_gain


def _interpolated_pr_auc(tp, fp, fn):
    """PR-AUC terms with precision interpolated between thresholds (Davis & Goadrich 2006)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    slope = safe_div(dtp, np.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - slope * p[1:]
    ratio = np.where((p[:-1] > 0) & (p[1:] > 0), safe_div(p[:-1], np.maximum(p[1:], 0)), 1.0)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(ratio)
    return safe_div(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
