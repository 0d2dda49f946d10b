"""``CSVLogger``: write the epoch logs to a CSV file."""

import csv
import os
import warnings

from numdeep.callbacks.base import Callback


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` then the sorted log keys) to a CSV file.

    The file is opened, written and closed at every epoch end, so each finished epoch is on
    disk even if training is interrupted. With ``append=True`` an existing file is continued: its
    header is reused (no second header) and new rows follow its columns; this is the mode to use
    together with ``BackupAndRestore``.

    Args:
        filename: path of the CSV file.
        separator: the column separator.
        append: continue an existing file instead of overwriting it.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
        ...               callbacks=[nd.callbacks.CSVLogger(path)])
        >>> [line.split(",")[0] for line in open(path).read().splitlines()]
        ['epoch', '0', '1']
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self._write_header = True
        self._warned = False

    def on_train_begin(self, logs=None):
        self.keys = None
        self._write_header = True
        self._warned = False
        if not self.append:
            with open(self.filename, "w", newline=""):
                pass  # start a fresh file, as Keras does
            return
        header = self._existing_header()
        if header is not None:
            self._write_header = False
            if header[:1] == ["epoch"] and len(header) > 1:
                self.keys = header[1:]

    def _existing_header(self):
        if not os.path.exists(self.filename) or os.path.getsize(self.filename) == 0:
            return None
        with open(self.filename, newline="") as f:
            return next(csv.reader(f, delimiter=self.sep), [])

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # Validation may first run in a later epoch (validation_freq > 1): reserve its columns.
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]
        extra = sorted(set(logs) - set(self.keys))
        if extra and not self._warned:
            self._warned = True
            warnings.warn(f"CSVLogger: {self.filename} has no columns for {extra}; they are not "
                          f"written.", stacklevel=2)
        row = {"epoch": epoch}
        row.update((k, logs.get(k, "NA")) for k in self.keys)
        with open(self.filename, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                                    lineterminator="\n", extrasaction="ignore")
            if self._write_header:
                writer.writeheader()
                self._write_header = False
            writer.writerow(row)
