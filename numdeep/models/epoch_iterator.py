"""``EpochIterator``: the batches of one epoch, however the data came (Keras's epoch iterator).

It counts steps: ``steps_per_epoch`` (validated: a positive integer) caps an epoch and, for a
generator, is the only way to end an endless one; a source that runs out before the count is
reached ends the epoch with one warning ("ran out of data") instead of failing. The data
adapter's ``on_epoch_begin``/``on_epoch_end`` bracket every epoch, also one left early.
"""

import warnings

from numdeep.backend import config
from numdeep.models.data_adapter import get_data_adapter

__all__ = ["EpochIterator", "check_steps"]


def check_steps(value, name):
    """``value`` (``None`` or a positive int) as an int, else a clear ``ValueError``.

    Example:
        >>> check_steps(3.0, "steps")
        3
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        try:
            if float(value) == int(value) and int(value) >= 1 and not isinstance(value, bool):
                return int(value)
        except (TypeError, ValueError):
            pass
        raise ValueError(f"`{name}` must be a positive integer or None. Received: "
                         f"{name}={value!r}")
    return value


class EpochIterator:
    """Iterates the data in epochs of ``steps_per_epoch`` (or all) batches.

    Iterating it (``for begin, end, batches in iterator``) or ``enumerate_epoch()`` runs one
    epoch: ``(begin_step, end_step, batches)`` with up to ``steps_per_execution`` batches each.

    Args:
        x, y, sample_weight, batch_size, shuffle, class_weight: as ``fit`` takes them.
        steps_per_epoch: batches per epoch; ``None`` reads the data once per epoch.
        steps_per_execution: batches handed over per step (Keras's argument).
        caller: the method named in error messages.
        check_finite: reject NaN/inf in array data (numdeep's extra).

    Example:
        >>> import numpy as np
        >>> iterator = EpochIterator(np.zeros((5, 2)), np.zeros(5), batch_size=2)
        >>> [(begin, len(batches[0][0])) for begin, _, batches in iterator]
        [(0, 2), (1, 2), (2, 1)]
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, steps_per_execution=1, caller="fit",
                 check_finite=True):
        self.steps_per_epoch = check_steps(steps_per_epoch, "steps_per_epoch")
        self.steps_per_execution = check_steps(steps_per_execution, "steps_per_execution") or 1
        self.data_adapter = get_data_adapter(x, y, sample_weight, batch_size=batch_size,
                                             steps_per_epoch=self.steps_per_epoch,
                                             shuffle=shuffle, class_weight=class_weight,
                                             caller=caller, check_finite=check_finite)
        self._num_batches = self.data_adapter.num_batches
        self._iterator = None
        self._epoch = None
        self._seen = 0
        self._warned = False

    @property
    def num_batches(self):
        """Steps in one epoch (``None`` when unknown until the data runs out), within the cap
        of ``config.set_max_steps_per_epoch``."""
        steps = self.steps_per_epoch or self._num_batches
        cap = config.max_steps_per_epoch()
        if cap is not None:
            steps = cap if steps is None else min(steps, cap)
        return steps

    def _warn_ran_out(self):
        if not self._warned:
            warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                          "dataset or generator can generate at least `steps_per_epoch * "
                          "epochs` batches.", stacklevel=4)
            self._warned = True

    def _fresh(self):
        self._iterator = iter(self.data_adapter.get_numpy_iterator())
        self._seen = 0

    def _next_buffer(self):
        buffer = []
        for _ in range(self.steps_per_execution):
            try:
                buffer.append(next(self._iterator))
            except StopIteration:
                break
        return buffer

    def enumerate_epoch(self):
        """Yield ``(first_step, last_step, batches)`` for one epoch."""
        self.data_adapter.on_epoch_begin()
        try:
            yield from self._steps()
        finally:
            # Also when the loop leaves early (a stop flag, an exception): every begin gets
            # its end, as a PyDataset that reshuffles on_epoch_end expects.
            self.data_adapter.on_epoch_end()

    def _steps(self):
        steps = self.num_batches
        if self._iterator is None or self.steps_per_epoch is None:
            self._fresh()
        step = 0
        while steps is None or step < steps:
            if self._num_batches and self._seen >= self._num_batches:
                if self.steps_per_epoch:
                    self._warn_ran_out()
                break
            buffer = self._next_buffer()
            if not buffer:
                if self._num_batches is None:
                    self._num_batches = self._seen
                if self.steps_per_epoch or step == 0:
                    self._warn_ran_out()
                self._iterator = None
                break
            self._seen += len(buffer)
            yield step, step + len(buffer) - 1, buffer
            step += len(buffer)
        if self._num_batches and self._seen >= self._num_batches:
            self._iterator = None

    def __iter__(self):
        self._epoch = self.enumerate_epoch()
        return self

    def __next__(self):
        if self._epoch is None:
            self._epoch = self.enumerate_epoch()
        try:
            return next(self._epoch)
        except StopIteration:
            self._epoch = None
            raise

    def reset(self):
        """Start over from the first batch (closing an epoch left open)."""
        if self._epoch is not None:
            self._epoch.close()
            self._epoch = None
        self._iterator = None
        self._seen = 0
        self._num_batches = self.data_adapter.num_batches
