"""``MPIStrategy``: the unchanged ``model.fit`` on many processes, launched by ``mpiexec``."""

import sys

import numpy as np

from numdeep import callbacks as callbacks_mod
from numdeep.backend import default_rng
from numdeep.backend.strategy_scope import StrategyScope
from numdeep.distribute import sync
from numdeep.distribute._mpi import (
    DEFAULT_BUCKET_BYTES,
    DEFAULT_TIMEOUT,
    Communicator,
    install_failure_handler,
)
from numdeep.distribute.optimizer import DistributedOptimizer, GradientReducer, is_distributed
from numdeep.distribute.sharding import ShardedArrays, ShardedBatches
from numdeep.models.data_adapter import ArrayDataAdapter
from numdeep.models.training import Trainer
from numdeep.utils import PyDataset

__all__ = ["MPIStrategy"]

# What only rank 0 keeps: progress output and everything that writes files (BackupAndRestore's
# restore reaches the other ranks through rank 0's state broadcast).
_CHIEF_ONLY = (callbacks_mod.ProgbarLogger, callbacks_mod.ModelCheckpoint,
               callbacks_mod.CSVLogger, callbacks_mod.TensorBoard, callbacks_mod.RemoteMonitor,
               callbacks_mod.OrbaxCheckpoint, callbacks_mod.BackupAndRestore)


class MPIStrategy:
    """Synchronous data-parallel training on the processes of an MPI job.

    Compile a model inside ``scope()`` and call ``fit`` as usual, on every rank:

    - ``batch_size`` is the **global** batch: each step, rank ``r`` trains on the ``r``-th of
      ``size`` contiguous parts of the same global batch (sizes differ by at most one), and the
      gradients are combined, weighted by each part's size, into the gradient of the mean loss
      over the global batch. Every rank applies that same update, so the weights stay identical
      and training matches one process on the same global batches (same learning rate; scale it
      only if you scale the batch). A global batch with fewer samples than ranks is dropped.
    - The data (arrays, a ``PyDataset``, a generator or an iterable of batches) is given whole
      on every rank; arrays are shuffled in one order from the shared ``seed``, keyed by the
      epoch (so a resumed run sees the same order). A dataset's batches are the global batches:
      every rank reads each one and keeps its part.
    - Only rank 0 prints progress and keeps ``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard``,
      ``BackupAndRestore``, ``RemoteMonitor`` and ``OrbaxCheckpoint``; rank 0's state (including
      a restored backup) is broadcast at the start of ``fit``. Other callbacks run on every rank
      and see global epoch metrics (batch-level logs are this rank's running values, except at
      an epoch's last step), so ``EarlyStopping`` and ``ReduceLROnPlateau`` decide alike.
    - On its first ``fit`` the strategy replaces ``model.optimizer`` by a distributed copy
      (same class, config and state); read the optimizer from ``model.optimizer`` afterwards.
      Gradient averaging assumes losses reduced by their mean over the batch (Keras's default
      ``"sum_over_batch_size"``). ``evaluate`` and ``predict`` are not split: each rank runs
      them on the data it is given.

    A failure on one rank ends every rank (see ``numdeep.distribute``), and a collective that
    waits ``timeout`` seconds aborts the job.

    Args:
        seed: the shuffling seed every rank shares (default: drawn by rank 0 from numdeep's
            generator and broadcast).
        timeout: seconds one collective may wait before the job is aborted (``None``: forever).
        bucket_bytes: the largest flat buffer of gradients one allreduce carries.
        verify_weights: hash the weights on every rank after the start and after every epoch
            and fail if they differ.
        verbose: rank 0 prints one line naming every rank's process when the strategy starts.
        comm: an mpi4py communicator (default ``MPI.COMM_WORLD``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> from numdeep.distribute import MPIStrategy
        >>> strategy = MPIStrategy(seed=0, verbose=False)   # one process without mpiexec
        >>> strategy.rank, strategy.size
        (0, 1)
        >>> with strategy.scope():
        ...     model = nd.Sequential([nd.layers.Dense(1, input_shape=(2,))])
        ...     model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=4, epochs=2,
        ...                     verbose=0)
        >>> len(history.history["loss"]), int(model.optimizer.iterations)
        (2, 4)
    """

    def __init__(self, seed=None, timeout=DEFAULT_TIMEOUT, bucket_bytes=DEFAULT_BUCKET_BYTES,
                 verify_weights=True, verbose=True, comm=None):
        self.comm = Communicator(comm, timeout=timeout)
        install_failure_handler()
        if seed is None:
            seed = int(default_rng().integers(0, 2**31 - 1)) if self.comm.rank == 0 else None
        self.seed = int(self.comm.bcast(seed, what="the seed broadcast"))
        self.reducer = GradientReducer(self.comm, bucket_bytes=bucket_bytes)
        self.verify_weights = verify_weights
        self._fitting = set()
        self._fraction = None
        where = self.comm.describe() if self.comm.size > 1 else None
        if verbose and where and self.is_chief:
            print(f"numdeep.distribute: MPIStrategy on {self.size} processes ({where})",
                  file=sys.stderr, flush=True)

    # ----- who am I ------------------------------------------------------------------------
    @property
    def rank(self):
        """This process's rank, 0 to ``size - 1``."""
        return self.comm.rank

    @property
    def size(self):
        """How many processes train together."""
        return self.comm.size

    num_replicas_in_sync = size  # tf.distribute's name

    @property
    def local_rank(self):
        """This process's rank among those on the same machine."""
        return self.comm.local_rank

    @property
    def is_chief(self):
        """Whether this is rank 0, the one that prints and writes files."""
        return self.comm.rank == 0

    def scope(self):
        """Context manager: models compiled inside train through this strategy."""
        return StrategyScope(self)

    def __deepcopy__(self, memo):
        return self  # one communicator per job: copies of a model share it

    # ----- fit -----------------------------------------------------------------------------
    def in_fit(self, model):
        """Whether ``model.fit`` is already running through this strategy."""
        return id(model) in self._fitting

    def fit(self, model, x=None, y=None, batch_size=None, epochs=1, verbose="auto",
            callbacks=None, validation_split=0.0, validation_data=None, shuffle=True,
            class_weight=None, sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1,
            check_finite=True):
        """``model.fit`` on this rank's parts of the data (``Model.fit`` calls this for a model
        compiled in ``scope()``; the arguments are ``fit``'s)."""
        batch_size = self._check_batch_size(batch_size)
        self._wrap_optimizer(model)
        train, val = self._shard_data(x, y, sample_weight, batch_size, shuffle, class_weight,
                                      validation_split, validation_data, validation_batch_size,
                                      check_finite)
        shared = sync._Shared()
        own = [c for c in (callbacks or []) if self.is_chief or not isinstance(c, _CHIEF_ONLY)]
        batch_stops = sync.may_stop_within_epoch(model, callbacks or [])
        all_callbacks = [sync.GlobalLogs(self.comm, shared), *own,
                         sync.RankSync(self.comm, shared, self.verify_weights, batch_stops)]
        if isinstance(train, ShardedArrays) and not model.built:
            model._build_from(train.adapter)
        epoch_tracker = _EpochTracker([d for d in (train, val) if d is not None])
        self._fitting.add(id(model))
        # The stock train_step applies exactly the gradients backward left, so their
        # allreduces may start while backward runs; a custom one may change them in between.
        if model.optimizer is not None:
            model.optimizer._overlap_backward = type(model).train_step is Trainer.train_step
        try:
            return model.fit(
                train, epochs=epochs, verbose=verbose if self.is_chief else 0,
                callbacks=[epoch_tracker, *all_callbacks], validation_data=val, shuffle=False,
                class_weight=None if isinstance(train, ShardedArrays) else class_weight,
                initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                validation_steps=validation_steps, validation_freq=validation_freq)
        except BaseException as error:
            if self.size == 1 or isinstance(error, KeyboardInterrupt):
                raise
            self.comm.fail(error)
        finally:
            self._fitting.discard(id(model))
            self._fraction = None
            self.reducer.disarm()
            if model.optimizer is not None:
                model.optimizer._overlap_backward = False

    def _check_batch_size(self, batch_size):
        if batch_size is None:
            return None
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer. Received: "
                             f"{batch_size!r}")
        if batch_size < self.size:
            raise ValueError(f"MPIStrategy: `batch_size` is the global batch, split across "
                             f"{self.size} processes, so it must be at least {self.size}. "
                             f"Received: batch_size={batch_size}")
        return batch_size

    def _wrap_optimizer(self, model):
        if model.optimizer is not None and not is_distributed(model.optimizer):
            model.optimizer = DistributedOptimizer(model.optimizer, self.reducer,
                                                   self._gradient_scale)

    def _gradient_scale(self):
        # Inside fit: this rank's share of the global batch; elsewhere a plain average.
        return self._fraction if self._fraction is not None else 1.0 / self.size

    def _set_fraction(self, fraction):
        self._fraction = fraction

    def _shard_data(self, x, y, sample_weight, batch_size, shuffle, class_weight,
                    validation_split, validation_data, validation_batch_size, check_finite):
        if _is_dataset(x):
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(f"When providing `x` as a {type(x).__name__}, `{name}` "
                                     f"should not be passed. Instead, the {name} should be "
                                     f"included as part of the {type(x).__name__}.")
            if validation_split and validation_data is None:
                raise ValueError("`validation_split` is only supported for array inputs; "
                                 "pass `validation_data` with a dataset or generator.")
            train = ShardedBatches(x, self.rank, self.size, shuffle, self.seed,
                                   self._set_fraction)
        else:
            source = ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size,
                                      class_weight=class_weight, caller="fit",
                                      check_finite=check_finite)
            if validation_split and validation_data is None:
                source, held_out = source.split(validation_split)
                validation_data = (held_out.x, held_out.y, held_out.sample_weight)
            train = self._shard_arrays(source, shuffle, self._set_fraction)
        if validation_data is None:
            return train, None
        if _is_dataset(validation_data):
            return train, ShardedBatches(validation_data, self.rank, self.size, False, self.seed)
        if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, "
                             "y_val, sample_weight_val), or a dataset or generator.")
        vx, vy, vsw = (*validation_data, None)[:3]
        held = ArrayDataAdapter(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                caller="fit(validation_data)", check_finite=check_finite)
        return train, self._shard_arrays(held, False, None)

    def _shard_arrays(self, adapter, shuffle, on_batch):
        sharded = ShardedArrays(adapter, self.rank, self.size, adapter.batch_size, shuffle,
                                self.seed, on_batch)
        if len(sharded) == 0:
            raise ValueError(f"MPIStrategy: {adapter.n} samples make no global batch of at "
                             f"least {self.size} samples (one per process).")
        return sharded


def _is_dataset(x):
    """A ``PyDataset``, a generator or another iterable of batches (not arrays)."""
    if isinstance(x, PyDataset) or hasattr(x, "__next__"):
        return True
    return hasattr(x, "__iter__") and not isinstance(x, list | tuple | dict | str | np.ndarray) \
        and not hasattr(x, "shape") and not hasattr(x, "dtype")


class _EpochTracker(callbacks_mod.Callback):
    """Tells the sharded data which epoch begins (its shuffle order is keyed by it)."""

    def __init__(self, sources):
        super().__init__()
        self.sources = sources

    def on_epoch_begin(self, epoch, logs=None):
        for source in self.sources:
            source.epoch = epoch
