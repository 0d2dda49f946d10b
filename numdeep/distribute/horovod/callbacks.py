"""Horovod's Keras callbacks: ``hvd.callbacks.BroadcastGlobalVariablesCallback`` and friends."""

import numpy as np

from numdeep.callbacks import Callback, ModelCheckpoint
from numdeep.distribute import horovod as hvd
from numdeep.distribute.sync import broadcast_training_state

__all__ = ["BroadcastGlobalVariablesCallback", "MetricAverageCallback",
           "LearningRateScheduleCallback", "LearningRateWarmupCallback", "BestModelCheckpoint"]


class BroadcastGlobalVariablesCallback(Callback):
    """Start every rank from rank ``root_rank``'s weights and optimizer state.

    The broadcast happens at ``on_train_begin`` when the model is built (numdeep builds it from
    array data before training), else after the first batch (Horovod's moment).

    Args:
        root_rank: the rank whose state every rank takes (Horovod scripts pass 0).
    """

    def __init__(self, root_rank, device=""):
        super().__init__()
        if root_rank != 0:
            raise NotImplementedError("numdeep.distribute.horovod broadcasts from rank 0 only; "
                                      f"received root_rank={root_rank}.")
        self.root_rank = root_rank
        self.broadcast_done = False

    def _broadcast(self):
        broadcast_training_state(hvd.communicator(), self.model)
        self.broadcast_done = True

    def on_train_begin(self, logs=None):
        if self.model.built and not self.broadcast_done:
            self._broadcast()

    def on_batch_end(self, batch, logs=None):
        if not self.broadcast_done:
            self._broadcast()


class MetricAverageCallback(Callback):
    """Average the epoch's metrics over all ranks (put it before callbacks that read them,
    e.g. ``ReduceLROnPlateau``, as in Horovod). Every value in the logs is averaged in sorted
    key order, so every rank must report the same keys.

    Example:
        >>> import numdeep.distribute.horovod as hvd
        >>> hvd.init()
        >>> logs = {"loss": 0.5, "accuracy": 0.75}
        >>> hvd.callbacks.MetricAverageCallback().on_epoch_end(0, logs)  # one rank: unchanged
        >>> logs
        {'loss': 0.5, 'accuracy': 0.75}
    """

    def on_epoch_end(self, epoch, logs=None):
        if not logs or hvd.size() == 1:
            return
        keys = sorted(k for k, v in logs.items() if np.ndim(v) == 0)
        values = hvd.communicator().allreduce(np.array([float(logs[k]) for k in keys]),
                                              what="hvd MetricAverageCallback")
        for key, value in zip(keys, values / hvd.size()):
            logs[key] = float(value)


class LearningRateScheduleCallback(Callback):
    """Set the learning rate to ``initial_lr * multiplier(epoch)`` between ``start_epoch`` and
    ``end_epoch`` (Horovod's callback).

    Args:
        initial_lr: the base rate (``None``: the optimizer's rate when training starts).
        multiplier: a constant factor, or a function of the (fractional) epoch.
        start_epoch, end_epoch: the epochs the schedule applies to (``end_epoch`` excluded).
        staircase: change the rate once per epoch; ``False``: every batch, by the fractional
            epoch (needs ``steps_per_epoch``, else the number of steps ``fit`` reports).
        momentum_correction: scale an SGD momentum with the rate change for that batch.
        steps_per_epoch: batches per epoch, for ``staircase=False``.
    """

    def __init__(self, initial_lr, multiplier, start_epoch=0, end_epoch=None, staircase=True,
                 momentum_correction=True, steps_per_epoch=None):
        super().__init__()
        self.initial_lr = initial_lr
        self.multiplier = multiplier if callable(multiplier) else (lambda epoch: multiplier)
        self.start_epoch, self.end_epoch = start_epoch, end_epoch
        self.staircase = staircase
        self.momentum_correction = momentum_correction
        self.steps_per_epoch = steps_per_epoch
        self.current_epoch = None
        self._restore_momentum = None

    def on_train_begin(self, logs=None):
        if self.initial_lr is None:
            self.initial_lr = float(self.model.optimizer.learning_rate)
        if not self.staircase and not self.steps_per_epoch:
            self.steps_per_epoch = self.params.get("steps")
            if not self.steps_per_epoch:
                raise ValueError("LearningRateScheduleCallback(staircase=False) needs "
                                 "`steps_per_epoch`: fit does not know the epoch's length.")

    def _adjust(self, epoch):
        optimizer = self.model.optimizer
        old_lr = float(optimizer.learning_rate)
        new_lr = self.initial_lr * self.multiplier(epoch)
        optimizer.learning_rate = new_lr
        if self.momentum_correction and getattr(optimizer, "momentum", None) and old_lr:
            self._restore_momentum = optimizer.momentum
            optimizer.momentum = optimizer.momentum * new_lr / old_lr

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        epoch = self.current_epoch
        if epoch < self.start_epoch or (self.end_epoch is not None and epoch >= self.end_epoch):
            return
        if self.staircase and batch == 0:
            self._adjust(epoch)
        elif not self.staircase:
            self._adjust(epoch + batch / self.steps_per_epoch)

    def on_batch_end(self, batch, logs=None):
        if self._restore_momentum is not None:
            self.model.optimizer.momentum = self._restore_momentum
            self._restore_momentum = None

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class LearningRateWarmupCallback(LearningRateScheduleCallback):
    """Ramp the learning rate from ``initial_lr / size`` up to ``initial_lr`` over
    ``warmup_epochs`` (Goyal et al., 2017), batch by batch; ``initial_lr`` is usually the
    single-process rate times ``hvd.size()``.

    Example:
        >>> import numdeep.distribute.horovod as hvd
        >>> hvd.init()
        >>> warmup = hvd.callbacks.LearningRateWarmupCallback(initial_lr=0.1, warmup_epochs=2,
        ...                                                   steps_per_epoch=10)
        >>> round(warmup.multiplier(0.0), 3)   # one process: the rate is already the target
        1.0
    """

    def __init__(self, initial_lr, warmup_epochs=5, momentum_correction=True,
                 steps_per_epoch=None, verbose=0):
        def multiplier(epoch):
            # Shifted by one step so each epoch ends on a round value (as Horovod does).
            epoch += 1.0 / self.steps_per_epoch
            n = hvd.size()
            return 1.0 / n * (epoch * (n - 1) / warmup_epochs + 1)

        super().__init__(initial_lr, multiplier, start_epoch=0, end_epoch=warmup_epochs,
                         staircase=False, momentum_correction=momentum_correction,
                         steps_per_epoch=steps_per_epoch)
        self.verbose = verbose

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch == self.end_epoch - 1 and self.verbose > 0 and hvd.rank() == 0:
            print(f"\nEpoch {epoch + 1}: finished gradual learning rate warmup to "
                  f"{float(self.model.optimizer.learning_rate):g}.")


class BestModelCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint(save_best_only=True)`` that writes on rank 0 only."""

    def __init__(self, monitor="val_loss", verbose=0, mode="auto", save_freq="epoch",
                 filepath="model.keras"):
        super().__init__(filepath=filepath, monitor=monitor, verbose=verbose,
                         save_best_only=True, save_weights_only=False, mode=mode,
                         save_freq=save_freq)

    def on_train_batch_end(self, batch, logs=None):
        if hvd.rank() == 0:
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if hvd.rank() == 0:
            super().on_epoch_end(epoch, logs)
