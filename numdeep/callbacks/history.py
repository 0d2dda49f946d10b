"""``History``: the per-epoch logs that ``fit`` returns."""

from numdeep.callbacks.base import Callback


class History(Callback):
    """Records ``logs`` at the end of every epoch: ``history.history['loss']`` etc.

    Values are Python floats; ``history.epoch`` lists the epoch indices. Epochs interrupted by an
    exception (e.g. ``KeyboardInterrupt``) are not recorded.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, metrics=None, to_file=None, **kwargs):
        """Draw the training curves (``numdeep.utils.plot_history``; needs matplotlib)."""
        from numdeep.utils.history_plot import plot_history

        return plot_history(self, metrics=metrics, to_file=to_file, **kwargs)

    def record_late_keys(self, epoch, logs=None):
        """Add values that callbacks after this one put into the epoch's ``logs``, and take the
        values they changed (Keras's History runs last, so it records the final logs: e.g. the
        metrics Horovod's ``MetricAverageCallback`` averaged across processes)."""
        if not self.epoch or self.epoch[-1] != epoch:
            return
        for k, v in (logs or {}).items():
            values = self.history.setdefault(k, [])
            if len(values) < len(self.epoch):
                values.append(v)
            else:
                values[-1] = v
