"""Keras-style progress output for ``fit``/``evaluate``/``predict`` (the bar: ``utils.progbar``).

``verbose=1``: a live bar per epoch on a terminal (``ETA: 12s`` while running, then
``1875/1875 [=====] - 3s 2ms/step - loss: ...``); when output goes to a file or pipe, a plain
line every 30 seconds of a long epoch and one at its end, so logs show progress and never fill
with carriage returns. ``verbose=2``: one line per epoch. ``verbose=0``: quiet.
"""

from numdeep.callbacks.base import Callback
from numdeep.utils.progbar import Progbar, format_logs

__all__ = ["Progbar", "ProgbarLogger", "format_logs"]


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
        self.bar.update(batch + 1, logs, finalize=False)

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
            self.bar.update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "evaluate" and self.bar is not None:
            self.bar.close(logs)
            self.bar = None

    def on_predict_begin(self, logs=None):
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_predict_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
