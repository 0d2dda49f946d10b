"""``MonitorCallback``: the base of callbacks that watch a metric (Keras's rules)."""

import warnings

import numpy as np

from numdeep import ops
from numdeep.callbacks.base import Callback

# Metric names whose larger values are better, for metrics that do not declare a direction.
_UP_HINTS = ("acc", "auc", "precision", "recall", "fmeasure", "f1", "iou", "r2", "cosine")


class MonitorCallback(Callback):
    """Base class of callbacks that monitor a quantity and decide improvements.

    ``mode='auto'`` resolves on the first epoch end, when the model's metrics exist: ``loss``
    (and ``val_loss``) is minimized; a compiled metric of that name is minimized or maximized by
    its ``_direction`` (or, for a metric without one, its name: accuracy-, AUC-, precision-,
    recall-, F1- and IoU-like metrics are maximized); any other name raises ``ValueError``.
    NaN or infinite values never count as an improvement.

    Args:
        monitor: the quantity to watch. Defaults to ``'val_loss'``.
        mode: ``'auto'``, ``'min'`` or ``'max'`` (anything else warns and means ``'auto'``).
        baseline: the initial best value (``None``: the first value seen).
        min_delta: smallest change that counts as an improvement.

    Example:
        >>> import numdeep as nd
        >>> watch = nd.callbacks.MonitorCallback(monitor="val_accuracy", mode="max",
        ...                                      min_delta=0.5)
        >>> watch._set_monitor_op()
        >>> watch._is_improvement(0.75, 0.0), watch._is_improvement(0.4, 0.0)
        (True, False)
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          f"mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = ops.less
        elif self.mode == "max":
            self.monitor_op = ops.greater
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = ops.less
            for metric in _model_metrics(self.model):
                if metric.name == name:
                    self.monitor_op = ops.greater if _direction(metric) == "up" else ops.less
            if self.monitor_op is None:
                raise ValueError(f"{type(self).__name__} callback received "
                                 f"monitor={self.monitor}, but Keras isn't able to automatically "
                                 f"determine whether that metric should be maximized or "
                                 f"minimized. Pass `mode='max'` in order to monitor based on the "
                                 f"highest metric value, or pass `mode='min'` in order to use the "
                                 f"lowest value.")
        if self.monitor_op is ops.less:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if not np.isfinite(monitor_value).all():
            return False
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _model_metrics(model):
    """Every metric object of ``model``, looking inside containers (its compiled metrics)."""
    out, stack = [], list(getattr(model, "metrics", None) or [])
    while stack:
        metric = stack.pop(0)
        inner = getattr(metric, "metrics", None)  # CompileMetrics and other containers
        if isinstance(inner, list | tuple):
            stack[:0] = list(inner)
        else:
            out.append(metric)
    return out


def _direction(metric):
    direction = getattr(metric, "_direction", None)
    if direction is not None:
        return direction
    names = (metric.name.lower(), type(metric).__name__.lower())
    return "up" if any(h in n for n in names for h in _UP_HINTS) else "down"
