"""What keeps the ranks of a data-parallel ``fit`` in step besides the gradients: rank 0's
training state at the start, global metrics, shared stop decisions and weight checks.

``MPIStrategy.fit`` puts ``GlobalLogs`` first among the callbacks and ``RankSync`` last:

- ``RankSync.on_train_begin`` broadcasts rank 0's state (every model variable, the optimizer
  state, numdeep's random generators, where to resume and the history) after every other
  callback's ``on_train_begin``, so a ``BackupAndRestore`` restore on rank 0 reaches every rank;
- at every step the ranks agree on ``stop_training`` (any rank stopping stops all, at the same
  step) when something can set it during an epoch (a callback with batch hooks, a custom
  ``train_step``); otherwise only at the epoch's end, one collective per step fewer. At the
  epoch's last step the metric states (sums and counts, as Keras keeps them) are
  summed across ranks, so the epoch's metrics are those of the whole data, and float
  non-trainable variables (``BatchNormalization``'s moving statistics) are averaged;
- ``GlobalLogs`` puts those global values into the epoch's logs, and sums the validation
  metrics the same way, before ``EarlyStopping``, ``ReduceLROnPlateau`` or a checkpoint read them;
- after every epoch each rank hashes its weights and optimizer state; ranks that differ end the
  job with an error listing every rank's hash.
"""

import hashlib

import numpy as np

from numdeep.backend import random as nd_random
from numdeep.callbacks import Callback
from numdeep.models.training import Trainer

__all__ = ["GlobalLogs", "RankSync", "weights_digest", "global_metric_results",
           "broadcast_training_state"]


def _float(value):
    value = getattr(value, "data", value)
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


def _array(variable):
    return np.asarray(getattr(variable, "data", variable))


def weights_digest(model):
    """A short SHA-256 of every variable of ``model`` and of its optimizer, in order (except
    gradient accumulators, which hold each rank's own micro-batches).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.distribute.sync import weights_digest
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
        >>> len(weights_digest(model))
        16
    """
    digest = hashlib.sha256()
    optimizer = getattr(model, "optimizer", None)
    variables = list(model.variables) + [
        v for v in (optimizer.variables if optimizer else [])
        if not str(getattr(v, "name", "")).endswith("gradient_accumulator")]
    for v in variables:
        digest.update(np.ascontiguousarray(_array(v)).tobytes())
    return digest.hexdigest()[:16]


def check_same_weights(comm, model, when):
    """Raise when the ranks' ``weights_digest`` differ (``when`` goes into the message)."""
    digests = comm.allgather(weights_digest(model), f"the weight check {when}")
    if len(set(digests)) > 1:
        listed = ", ".join(f"rank {r}: {d}" for r, d in enumerate(digests))
        raise RuntimeError(f"numdeep.distribute: the ranks' weights differ {when} ({listed}).")
    return digests[0]


def global_metric_results(comm, model, what="the metric allreduce"):
    """``model.get_metrics_result()`` as if one process had seen every rank's batches: the
    metric states are summed across ranks for the computation, then put back."""
    variables = list(model.metrics_variables)
    local = [np.array(_array(v), copy=True) for v in variables]
    if local:
        total = comm.allreduce(np.concatenate([a.reshape(-1).astype(np.float64)
                                               for a in local]), what=what)
        offset = 0
        for v, a in zip(variables, local):
            v.assign(total[offset:offset + a.size].reshape(a.shape).astype(a.dtype))
            offset += a.size
    try:
        return {k: _float(v) for k, v in model.get_metrics_result().items()}
    finally:
        for v, a in zip(variables, local):
            v.assign(a)


def average_non_trainable(comm, model):
    """Average the float non-trainable variables (moving statistics) across ranks."""
    variables = [v for v in model.non_trainable_variables if _array(v).dtype.kind == "f"]
    if not variables or comm.size == 1:
        return
    local = [_array(v) for v in variables]
    total = comm.allreduce(np.concatenate([a.reshape(-1).astype(np.float64) for a in local]),
                           what="the moving-statistics allreduce")
    offset = 0
    for v, a in zip(variables, local):
        v.assign((total[offset:offset + a.size] / comm.size).reshape(a.shape).astype(a.dtype))
        offset += a.size


def _layer_generators(model):
    return [layer.__dict__["_rng"] for layer in model._flatten_layers(include_self=True)
            if isinstance(layer.__dict__.get("_rng"), np.random.Generator)]


def broadcast_training_state(comm, model):
    """Give every rank rank 0's variables, optimizer state, random generators, resume epoch and
    history (after a restore on rank 0, or different initial weights)."""
    optimizer = model.optimizer
    state = None
    if comm.rank == 0:
        history = model.history
        state = {
            "variables": [np.array(_array(v)) for v in model.variables],
            "optimizer": optimizer.state_dict() if optimizer is not None and optimizer.built
            else None,
            "rng": nd_random.get_state(),
            "layer_rngs": [g.bit_generator.state for g in _layer_generators(model)],
            "initial_epoch": model._initial_epoch,
            "history": None if history is None else
            (list(history.epoch), {k: list(v) for k, v in history.history.items()}),
        }
    state = comm.bcast(state, what="the broadcast of rank 0's training state")
    if comm.rank == 0:
        return
    variables = model.variables
    if len(variables) != len(state["variables"]):
        raise RuntimeError(f"numdeep.distribute: rank {comm.rank}'s model has "
                           f"{len(variables)} variables, rank 0's {len(state['variables'])}: "
                           f"every rank must build the same model.")
    for v, value in zip(variables, state["variables"]):
        v.assign(value)
    if state["optimizer"] is not None:
        if not optimizer.built:
            optimizer.build(model.trainable_weights)
        optimizer.load_state_dict(state["optimizer"])
    nd_random.set_state(state["rng"])
    for generator, saved in zip(_layer_generators(model), state["layer_rngs"]):
        generator.bit_generator.state = saved
    model._initial_epoch = state["initial_epoch"]
    if state["history"] is not None and model.history is not None:
        model.history.epoch, model.history.history = state["history"]


class _Shared:
    """The epoch's global training logs, handed from ``RankSync`` to ``GlobalLogs``."""

    def __init__(self):
        self.train_logs = None


class GlobalLogs(Callback):
    """First callback of a distributed fit: the epoch's logs and the validation logs become
    global before any other callback reads them."""

    def __init__(self, comm, shared):
        super().__init__()
        self.comm, self.shared = comm, shared

    def on_test_end(self, logs=None):
        if logs is not None and self.comm.size > 1:
            results = global_metric_results(self.comm, self.model, "the validation metrics")
            logs.update({k: v for k, v in results.items() if k in logs})

    def on_epoch_end(self, epoch, logs=None):
        results, self.shared.train_logs = self.shared.train_logs, None
        if logs is not None and results:
            logs.update({k: v for k, v in results.items() if k in logs})
            # History recorded this epoch before us; a backup taken by a later callback
            # saves the history, so it must hold the global values already.
            history = getattr(self.model, "history", None)
            if history is not None:
                history.record_late_keys(epoch, logs)


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def may_stop_within_epoch(model, callbacks):
    """Whether ``model.stop_training`` can change between two epoch ends: a custom
    ``train_step``, or a callback (any of the user's, on any rank) with a batch hook."""
    if type(model).train_step is not Trainer.train_step:
        return True
    return any(getattr(type(c), hook, None) is not getattr(Callback, hook)
               for c in callbacks for hook in _BATCH_HOOKS)


class RankSync(Callback):
    """Last callback of a distributed fit (see the module notes)."""

    def __init__(self, comm, shared, verify_weights=True, batch_stops=True):
        super().__init__()
        self.comm, self.shared = comm, shared
        self.verify_weights = verify_weights
        # False when nothing can set stop_training between two epoch ends (decided from what
        # every rank sees alike: the model's class and the whole callback list).
        self.batch_stops = batch_stops
        self._synced = False

    def on_train_begin(self, logs=None):
        self._synced = False
        if self.model.built and self.comm.size > 1:
            self._sync_state("at the start of training")

    def _sync_state(self, when):
        broadcast_training_state(self.comm, self.model)
        self._synced = True
        if self.verify_weights:
            check_same_weights(self.comm, self.model, when)

    def on_train_batch_end(self, batch, logs=None):
        if self.comm.size == 1:
            return
        if not self._synced:  # built on its first batch: rank 0's weights from now on
            self._sync_state("after the first step")
        steps = self.params.get("steps")
        if not self.batch_stops and steps is not None and batch != steps - 1:
            return
        stop = self.comm.allreduce(np.array(float(bool(self.model.stop_training))), op="max",
                                   what=f"the stop check of step {batch}")
        if stop or steps is None or batch == steps - 1:
            average_non_trainable(self.comm, self.model)
            self.shared.train_logs = global_metric_results(self.comm, self.model)
            if logs is not None:
                logs.update({k: v for k, v in self.shared.train_logs.items() if k in logs})
        self.model.stop_training = bool(stop)

    def on_epoch_end(self, epoch, logs=None):
        if self.comm.size == 1:
            return
        stop = self.comm.allreduce(np.array(float(bool(self.model.stop_training))), op="max",
                                   what=f"the stop check of epoch {epoch}")
        self.model.stop_training = bool(stop)
        if self.verify_weights:
            check_same_weights(self.comm, self.model, f"after epoch {epoch + 1}")
