"""``TensorBoard``: write training curves to event files that TensorBoard reads."""

import os
import time

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
        write_images: with ``histogram_freq``, also write each weight as an image (a bias as a
            row, a Dense kernel as a matrix, a 2-D convolution kernel as one image per input
            channel), as Keras does; values are clipped to [0, 1] for display.
        write_steps_per_second: also write ``steps_per_second`` per epoch (and per batch with
            ``update_freq``).
        update_freq: ``'epoch'``, ``'batch'``, or an integer: also write batch metrics every that
            many batches (counted from the start of ``fit``, as in Keras).
        profile_batch: must be 0: numdeep has no profiler to trace batches with (Keras raises
            the same error on its torch backend).
        embeddings_freq: every how many epochs to save the weights for TensorBoard's embedding
            projector (``train/keras_embedding.ckpt-<epoch>.weights.h5``); the projector's
            ``projector_config.pbtxt`` names each ``Embedding`` layer, as Keras writes it.
        embeddings_metadata: a file name (for every embedding) or a dict of layer name -> file
            name of the labels to show in the projector.

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

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=False, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        try:
            from tensorboardX import SummaryWriter
        except ImportError as e:
            raise ImportError(_MISSING) from e
        for name, value in (("histogram_freq", histogram_freq),
                            ("embeddings_freq", embeddings_freq)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"TensorBoard: `{name}` must be an integer >= 0. "
                                 f"Received: {name}={value!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool)
                                       or not isinstance(update_freq, int) or update_freq <= 0):
            raise ValueError(f"TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive "
                             f"integer. Received: update_freq={update_freq!r}")
        _check_profile_batch(profile_batch)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, str | dict):
            raise ValueError("TensorBoard: `embeddings_metadata` must be a file name or a dict "
                             "of Embedding layer name -> file name. "
                             f"Received: embeddings_metadata={embeddings_metadata!r}")
        self._summary_writer = SummaryWriter
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = self._batch_start = 0.0
        self._epoch_start_iterations = 0

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = self._summary_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph:
            lines = []
            self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(str(line)))
            text = "\n".join("    " + line for line in "\n".join(lines).splitlines())
            self._writer("train").add_text("model_summary", text, 0)
        if self.embeddings_freq:
            self._write_projector_config()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        values = _scalars(logs or {})
        if self.write_steps_per_second:
            values["steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start,
                                                   1e-9)
        writer = self._writer("train")
        for name, value in values.items():
            writer.add_scalar("batch_" + name, value, step)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = time.perf_counter()
            self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch, logs=None):
        logs = _scalars(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if not any(k.startswith("learning_rate") for k in train):
            train = self._collect_learning_rate(train)
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / \
                seconds
        for folder, values in (("train", train), ("validation", val)):
            if not values:
                continue
            writer = self._writer(folder)
            for name, value in values.items():
                writer.add_scalar("epoch_" + name, value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.model.save_weights(path)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        # Keras's validation curve against the optimizer step, so runs with different epoch
        # lengths compare on one axis.
        if not logs or getattr(self.model, "optimizer", None) is None:
            return
        writer = self._writer("validation")
        step = self._iterations()
        for name, value in _scalars(logs).items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)
        writer.flush()  # an evaluate() after fit has no on_train_end to flush it

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(optimizer.iterations) if optimizer is not None else 0

    def _write_projector_config(self):
        """``projector_config.pbtxt`` in Keras's words (the protobuf text format, by hand: it is
        three fields, not worth a protobuf dependency)."""
        metadata = self.embeddings_metadata
        unclaimed = dict(metadata) if isinstance(metadata, dict) else {}
        entries = []
        for layer in self.model.layers:
            if type(layer).__name__ != "Embedding":
                continue
            # Keras names every embedding by the first weighted layer's checkpoint key.
            entry = ['  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
                     'VARIABLE_VALUE"\n']
            path = metadata if isinstance(metadata, str) else unclaimed.pop(layer.name, None)
            if path is not None:
                entry.append(f'  metadata_path: "{path}"\n')
            entries.append(["embeddings {\n", *entry, "}\n"])
        if unclaimed:
            raise ValueError("Unrecognized `Embedding` layer names passed to "
                             "`keras.callbacks.TensorBoard` `embeddings_metadata` argument: "
                             f"{sorted(unclaimed)}")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.writelines(line for entry in entries for line in entry)

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
                tag = weight.path.replace(":", "_")
                values = np.asarray(weight.data, dtype=np.float64)
                writer.add_histogram(f"{tag}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _scalars(logs):
    """The loggable numbers of ``logs``: Python and NumPy scalars, and one-element arrays or
    tensors (a custom ``train_step`` may return those)."""
    out = {}
    for name, value in logs.items():
        if isinstance(value, bool | str) or value is None:
            continue
        if not isinstance(value, int | float | np.number):
            data = getattr(value, "data", value)
            if not isinstance(data, np.ndarray) or data.size != 1 or \
                    data.dtype.kind not in "biuf":
                continue
            value = data.reshape(())
        out[name] = float(value)
    return out


def _check_profile_batch(profile_batch):
    """Keras's accepted forms (an integer, a pair, or ``"start,stop"``); only 0 (no
    profiling) runs, since numdeep has no tracer to profile with."""
    message = ("TensorBoard: `profile_batch` must be a non-negative integer or a pair of "
               f"positive integers. Received: profile_batch={profile_batch!r}")
    if isinstance(profile_batch, str):
        try:
            profile_batch = [int(p) for p in profile_batch.split(",")]
        except ValueError:
            raise ValueError(message) from None
        profile_batch = profile_batch[0] if len(profile_batch) == 1 else profile_batch
    if isinstance(profile_batch, bool):
        raise ValueError(message)
    if isinstance(profile_batch, int):
        pair = (profile_batch, profile_batch)
    elif isinstance(profile_batch, tuple | list) and len(profile_batch) == 2:
        pair = tuple(profile_batch)
    else:
        raise ValueError(message)
    if any(isinstance(p, bool) or not isinstance(p, int) or p < 0 for p in pair) or \
            pair[0] > pair[1]:
        raise ValueError(message)
    if pair != (0, 0):
        raise ValueError("TensorBoard: profiling is not available in numdeep (it has no trace "
                         f"profiler). Received: profile_batch={profile_batch!r} (must be 0)")


def _weight_image(w):
    """A weight as images in NHWC, Keras's way, or None where there is no sensible picture."""
    w = np.squeeze(w)
    if w.ndim == 1:  # a bias: one column
        w = w.reshape(1, -1, 1, 1)
    elif w.ndim == 2:  # a Dense kernel, the long side across
        w = (w.T if w.shape[0] > w.shape[1] else w)[None, :, :, None]
    elif w.ndim == 3:  # a 2-D conv kernel (h, w, in): one image per input channel
        w = np.transpose(w, (2, 0, 1))[..., None]
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    return np.clip(w, 0.0, 1.0)
