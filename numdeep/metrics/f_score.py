"""F-scores: ``FBetaScore`` and ``F1Score``, the (weighted) harmonic mean of precision and recall
per class, optionally averaged over classes (micro, macro or support-weighted)."""

import numpy as np

from numdeep.metrics.base import Metric, float_array

_EPSILON = 1e-7


class FBetaScore(Metric):
    """F-beta score ``(1 + beta^2) * P * R / (beta^2 * P + R)`` of multi-class or multi-label
    predictions of shape ``(batch, classes)``.

    Without ``threshold`` the highest score of each row counts as predicted; with it, every
    score above it does.

    Args:
        average: ``None`` (one score per class), ``'micro'`` (counts pooled over classes),
            ``'macro'`` (mean over classes) or ``'weighted'`` (mean weighted by class support).
        beta: weight of recall (a float > 0).
        threshold: decision threshold in ``(0, 1]``, or ``None`` for the row's arg-max.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.FBetaScore(beta=2.0, threshold=0.5)
        >>> y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
        >>> y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m(y_true, y_pred).numpy().round(4)
        array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value. Expected one of: {{None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, output_dim)."
                             f" Received input shapes: y_pred.shape={pred_shape} and "
                             f"y_true.shape={true_shape}.")
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, output_dim), "
                             f"with output_dim fully defined (not None). Received input shapes: "
                             f"y_pred.shape={pred_shape} and y_true.shape={true_shape}.")
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for var in ("true_positives", "false_positives", "false_negatives",
                    "intermediate_weights"):
            setattr(self, var, self.add_variable(shape, "zeros", dtype=self.dtype, name=var))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's per-class true/false positives and false negatives."""
        y_true, y_pred = float_array(y_true, self.dtype), float_array(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            y_pred = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(y_true.dtype)
        w = None if sample_weight is None else float_array(sample_weight, y_true.dtype)

        def weighted_sum(values):
            if w is not None:
                values = values * np.expand_dims(w, 1)
            return values.sum(axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return self._result(0.0)
        tp, fp, fn = self.true_positives.data, self.false_positives.data, \
            self.false_negatives.data
        precision = tp / (tp + fp + _EPSILON)
        recall = tp / (tp + fn + _EPSILON)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + _EPSILON) * (1 + beta2)
        if self.average == "weighted":
            support = self.intermediate_weights.data
            score = (score * support / (support.sum() + _EPSILON)).sum()
        elif self.average is not None:
            score = score.mean()
        return self._result(score)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall (``FBetaScore`` with ``beta=1``).

    Args:
        average: ``None``, ``'micro'``, ``'macro'`` or ``'weighted'`` (see ``FBetaScore``).
        threshold: decision threshold in ``(0, 1]``, or ``None`` for the row's arg-max.
        name, dtype: see ``Metric``.

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics
        >>> m = metrics.F1Score(average="micro", threshold=0.5)
        >>> round(float(m(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.6, 0.7]]))), 4)
        0.8
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
