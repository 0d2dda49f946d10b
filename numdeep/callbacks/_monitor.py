"""Shared by the callbacks that watch a metric: mode resolution, key checks, "is it better"."""

import math
import warnings

# Metric names whose larger values are better, for ``mode='auto'`` (Keras's rule, widened to the
# metrics numdeep has).
_MAX_HINTS = ("acc", "auc", "precision", "recall", "fmeasure", "f1", "iou", "r2")


def resolve_mode(owner, monitor, mode):
    """``'min'`` or ``'max'`` for ``mode`` (``'auto'`` guesses from the metric name)."""
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"{owner}: `monitor` must be a metric name such as 'val_loss'. "
                         f"Received: monitor={monitor!r}")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: `mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if any(hint in name for hint in _MAX_HINTS) else "min"


class Monitor:
    """Reads ``monitor`` from logs and decides improvements; NaN/inf never count as better."""

    def __init__(self, owner, monitor, mode, min_delta=0.0):
        self.owner = owner
        self.monitor = monitor
        self.mode = resolve_mode(owner, monitor, mode)
        self.min_delta = abs(float(min_delta))
        self.worst = math.inf if self.mode == "min" else -math.inf
        self._warned = False

    def value(self, logs):
        """The monitored value as a float, or ``None`` when only its validation twin is missing.

        A key that is absent altogether (a typo) raises at once, naming the available keys;
        ``val_x`` missing while ``x`` is present means validation did not run this epoch (no
        validation data, or ``validation_freq`` > 1): one warning, then ``None``.
        """
        logs = logs or {}
        if self.monitor in logs:
            return float(logs[self.monitor])
        available = ", ".join(sorted(logs)) or "(none)"
        base = self.monitor[4:] if self.monitor.startswith("val_") else None
        if base is None or base not in logs:
            raise ValueError(f"{self.owner}: monitor={self.monitor!r} is not in the logs. "
                             f"Available keys: {available}.")
        if not self._warned:
            self._warned = True
            warnings.warn(f"{self.owner}: {self.monitor!r} is not in this epoch's logs (validation "
                          f"did not run); skipping. Available keys: {available}. Pass "
                          f"validation data or monitor one of these.", stacklevel=3)
        return None

    def better(self, current, reference):
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if current is None or not math.isfinite(current):
            return False
        if reference is None:
            return True
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta


def finite_loss(logs):
    """False when ``logs['loss']`` is NaN or infinite (the weights are then not worth saving)."""
    loss = (logs or {}).get("loss")
    return loss is None or math.isfinite(float(loss))


def log_learning_rate(model, epoch, logs):
    """Add ``learning_rate`` to this epoch's ``logs`` as Keras does (``History`` records the
    epoch's logs after every other callback has added to them)."""
    if logs is None or getattr(model, "optimizer", None) is None:
        return
    logs["learning_rate"] = float(model.optimizer.learning_rate)
