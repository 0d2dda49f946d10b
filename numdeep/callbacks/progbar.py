"""Keras-style progress output for ``fit``/``evaluate``/``predict``, drawn by tqdm.

``verbose=1``: a live bar per epoch on a terminal (``1875/1875 [=====] - 3s 2ms/step - loss: ...``);
when output goes to a file or pipe, the same line is written once at the end of the epoch, so
logs never fill with carriage returns. ``verbose=2``: one line per epoch. ``verbose=0``: quiet.
"""

import sys
import time

from numdeep.callbacks.base import Callback


def _in_notebook():
    return "ipykernel" in sys.modules


def format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, int | float))


def _format_time(seconds):
    if seconds >= 3600:
        return f"{seconds / 3600:.0f}h"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


def _per_step(seconds, steps):
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


def _keras_bar_class():
    # tqdm is imported on the first live progress bar, not with numdeep (import time).
    from tqdm import tqdm

    class _KerasBar(tqdm):
        """tqdm with the running metrics rendered lazily, only when tqdm decides to redraw."""

        logs = None

        @property
        def format_dict(self):
            d = super().format_dict
            elapsed = d.get("elapsed", 0.0)
            text = _per_step(elapsed, d.get("n", 0) or 1)
            if self.logs:
                text += " - " + format_logs(self.logs)
            d["metrics"] = text
            return d

    return _KerasBar


class Progbar:
    """One progress line for ``total`` steps (Keras look, tqdm drawing)."""

    def __init__(self, total, verbose=1, stream=None):
        self.total, self.verbose = total, verbose
        self.stream = stream or sys.stdout
        self.live = verbose == 1 and (_in_notebook() or getattr(self.stream, "isatty", bool)())
        self.start = time.perf_counter()
        self.seen = 0
        self.bar = None
        if self.live:
            self.bar = _keras_bar_class()(
                total=total, file=self.stream, ascii=".>=", mininterval=0.1, leave=True,
                bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed} {metrics}",
                dynamic_ncols=False, ncols=200,
            )

    def update(self, step, logs=None):
        """Mark ``step`` steps done (absolute count); ``logs`` are the running metrics."""
        if self.bar is not None:
            self.bar.logs = logs
            self.bar.update(step - self.seen)
        self.seen = step

    def close(self, logs=None):
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.logs = logs
            self.bar.refresh()
            self.bar.close()
            return
        if self.verbose == 0:
            return
        line = f"{self.seen}/{self.total}"
        if self.verbose == 1:
            line += " [" + "=" * 30 + "]"
        line += f" - {_format_time(elapsed)} {_per_step(elapsed, self.seen)}"
        if logs:
            line += " - " + format_logs(logs)
        print(line, file=self.stream, flush=True)


class ProgbarLogger(Callback):
    """Prints training progress (added by ``fit`` when ``verbose`` is 1 or 2).

    Args:
        verbose: 1 = progress bar (live on terminals, one line per epoch elsewhere), 2 = one
            line per epoch.
    """

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self.bar = None
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.close(logs)
            self.bar = None

    def on_test_begin(self, logs=None):
        # Validation inside fit reports through the epoch line, not a bar of its own.
        if self.params.get("mode") == "evaluate":
            self.bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "evaluate" and self.bar is not None:
            self.bar.update(batch + 1, logs)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "evaluate" and self.bar is not None:
            self.bar.close(logs)
            self.bar = None

    def on_predict_begin(self, logs=None):
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_predict_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1)

    def on_predict_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
