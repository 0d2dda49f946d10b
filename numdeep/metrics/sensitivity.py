"""One rate at a constraint on another: ``SensitivityAtSpecificity``,
``SpecificityAtSensitivity``, ``PrecisionAtRecall`` and ``RecallAtPrecision``.

Each keeps the four confusion counts at ``num_thresholds`` evenly spaced thresholds and reports
the best value of one rate over the thresholds where the other meets its target (0 when none
does).
"""

import numpy as np

from numdeep.metrics.base import Metric, safe_div
from numdeep.metrics.confusion import update_confusion_variables


def _check_rate(name, value):
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{name}` must be in the range [0, 1]. Received: "
                         f"{name}={value}")


class SensitivitySpecificityBase(Metric):
    """Confusion counts at evenly spaced thresholds; subclasses choose the two rates.

    Args:
        value: the target of the constrained rate.
        num_thresholds: number of thresholds (> 0; 1 means the single threshold 0.5).
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.
    """

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            interior = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + interior + [1.0], True
        n = len(self.thresholds)
        for var in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, var, self.add_variable((n,), "zeros", name=var))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's confusion counts at every threshold."""
        variables = {"tp": self.true_positives, "tn": self.true_negatives,
                     "fp": self.false_positives, "fn": self.false_negatives}
        update_confusion_variables(variables, y_true, y_pred, self.thresholds,
                                   class_id=self.class_id, sample_weight=sample_weight,
                                   evenly=self._evenly)

    def _rates(self):
        tp, fp, tn, fn = (v.data for v in (self.true_positives, self.false_positives,
                                           self.true_negatives, self.false_negatives))
        return {"sensitivity": safe_div(tp, tp + fn), "specificity": safe_div(tn, tn + fp),
                "precision": safe_div(tp, tp + fp)}

    def _best(self, constrained, dependent):
        """The largest ``dependent`` rate where ``constrained >= value`` (0 if nowhere)."""
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return self._result(np.max(np.where(feasible, rates[dependent], 0), initial=0))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) over the thresholds whose specificity is >= ``specificity``.

    Args:
        specificity: the target specificity in ``[0, 1]``.
        num_thresholds: number of thresholds to evaluate.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.SensitivityAtSpecificity(0.5)
        >>> round(float(m(np.array([0, 0, 0, 1, 1]), np.array([0.0, 0.3, 0.8, 0.3, 0.8]))), 4)
        0.5
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity over the thresholds whose sensitivity is >= ``sensitivity``.

    Args:
        sensitivity: the target sensitivity in ``[0, 1]``.
        num_thresholds: number of thresholds to evaluate.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.
    """

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision over the thresholds whose recall is >= ``recall``.

    Args:
        recall: the target recall in ``[0, 1]``.
        num_thresholds: number of thresholds to evaluate.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.
    """

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "precision")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall over the thresholds whose precision is >= ``precision``.

    Args:
        precision: the target precision in ``[0, 1]``.
        num_thresholds: number of thresholds to evaluate.
        class_id: restrict to one class (column).
        name, dtype: see ``Metric``.
    """

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "sensitivity")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}
