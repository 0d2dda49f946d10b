"""``TensorBoard``: write training curves to event files that TensorBoard reads."""

import os

import numpy as np

from numdeep.callbacks._monitor import log_learning_rate
from numdeep.callbacks.base import Callback

_MISSING = ("numdeep.callbacks.TensorBoard writes event files with the optional tensorboardX "
            "package; install it with: pip install 'numdeep[tensorboard]' "
            "(or pip install tensorboardX)")


class TensorBoard(Callback):
    """Log the epoch metrics (and optionally batch metrics and weight histograms) for TensorBoard.

    Files follow Keras's layout: ``log_dir/train`` holds ``epoch_loss``, ``epoch_<metric>`` and
    ``epoch_learning_rate``, ``log_dir/validation`` holds the ``val_`` logs under the same tags
    (so TensorBoard draws both runs on one chart); the step is the epoch index. Batch-level
    scalars are ``batch_<name>`` at the optimizer's iteration count. View them with
    ``tensorboard --logdir logs``. Needs the optional ``tensorboardX`` package
    (``pip install 'numdeep[tensorboard]'``), a well-kept event-file writer without TensorFlow.

    Args:
        log_dir: the folder for the event files.
        histogram_freq: every how many epochs to write histograms of all weights (0: never).
        write_graph: numdeep has no graph to draw; ``True`` writes the model summary as text.
        update_freq: ``'epoch'``, ``'batch'``, or an integer: also write batch metrics every that
            many optimizer steps.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> logs = tempfile.mkdtemp()
        >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
        ...               validation_data=(np.ones((2, 1)), np.ones((2, 1))),
        ...               callbacks=[nd.callbacks.TensorBoard(logs)])
        >>> sorted(os.listdir(logs))
        ['train', 'validation']
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=False, update_freq="epoch"):
        super().__init__()
        try:
            from tensorboardX import SummaryWriter
        except ImportError as e:
            raise ImportError(_MISSING) from e
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or \
                histogram_freq < 0:
            raise ValueError(f"TensorBoard: `histogram_freq` must be an integer >= 0. "
                             f"Received: histogram_freq={histogram_freq!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool)
                                       or not isinstance(update_freq, int) or update_freq <= 0):
            raise ValueError(f"TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive "
                             f"integer. Received: update_freq={update_freq!r}")
        self._summary_writer = SummaryWriter
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.update_freq = update_freq
        self._writers = {}

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = self._summary_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        if self.write_graph:
            lines = []
            self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(str(line)))
            text = "\n".join("    " + line for line in "\n".join(lines).splitlines())
            self._writer("train").add_text("model_summary", text, 0)

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or not logs:
            return
        step = int(self.model.optimizer.iterations)
        if step % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in _scalars(logs).items():
            writer.add_scalar("batch_" + name, value, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = _scalars(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if not any(k.startswith("learning_rate") for k in train):
            train = self._collect_learning_rate(train)
        for folder, values in (("train", train), ("validation", val)):
            if not values:
                continue
            writer = self._writer(folder)
            for name, value in values.items():
                writer.add_scalar("epoch_" + name, value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _collect_learning_rate(self, logs):
        """Add the current learning rate(s) to ``logs`` (``learning_rate_<name>`` for each
        sub-optimizer of a ``MultiOptimizer``) and return them."""
        if getattr(self.model, "optimizer", None) is not None:
            log_learning_rate(self.model, logs)
        return logs

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                tag = f"{layer.name}/{weight.name}".replace(":", "_")
                writer.add_histogram(tag, np.asarray(weight.data, dtype=np.float64), epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _scalars(logs):
    return {k: float(v) for k, v in logs.items() if isinstance(v, int | float | np.number)}
