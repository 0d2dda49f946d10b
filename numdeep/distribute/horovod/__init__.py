"""Horovod's Keras API on numdeep: ``import numdeep.distribute.horovod as hvd``.

A Horovod script runs unchanged apart from that import (and ``import numdeep as keras``). As in
Horovod, nothing is sharded for you: each rank trains on the data it is given (shard it by
``hvd.rank()``, or let each rank shuffle differently), ``batch_size`` is per rank, and the usual
recipe scales the learning rate by ``hvd.size()`` with ``callbacks.LearningRateWarmupCallback``.
Collectives run on MPI through mpi4py (``numdeep.distribute``); ``MPIStrategy`` is the other
front end, with global batches and automatic sharding.

Example:
    >>> import numpy as np
    >>> import numdeep.distribute.horovod as hvd
    >>> hvd.init()
    >>> hvd.rank(), hvd.size(), hvd.local_rank()
    (0, 1, 0)
    >>> hvd.allreduce(np.array([1.0, 3.0]))   # the average over the (one) rank
    array([1., 3.])
"""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.distribute._mpi import MPI, Communicator, install_failure_handler
from numdeep.distribute.optimizer import DistributedOptimizer as _distributed
from numdeep.distribute.optimizer import GradientReducer
from numdeep.saving import load_model as _load

__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size",
           "cross_rank", "cross_size", "mpi_enabled", "mpi_built", "mpi_threads_supported",
           "gloo_enabled", "gloo_built", "nccl_built", "Average", "Sum", "Adasum", "Compression",
           "allreduce", "allgather", "broadcast", "broadcast_variables", "DistributedOptimizer",
           "load_model", "callbacks", "communicator"]

Average, Sum, Adasum = "Average", "Sum", "Adasum"
_STATE = {"comm": None}


class Compression:
    """Gradient compression on the wire (Horovod's names)."""

    none = None
    fp16 = "fp16"


def init(comm=None):
    """Start (once): every rank of ``comm`` (default ``MPI.COMM_WORLD``) must call it. An
    uncaught exception on any rank then ends the whole job instead of leaving it hanging."""
    if _STATE["comm"] is None:
        if isinstance(comm, list | tuple):
            raise NotImplementedError("numdeep.distribute.horovod.init takes an mpi4py "
                                      "communicator (or None), not a list of ranks.")
        _STATE["comm"] = Communicator(comm)
        install_failure_handler()


def shutdown():
    """Forget the communicator (``init`` may be called again)."""
    _STATE["comm"] = None


def is_initialized():
    return _STATE["comm"] is not None


def communicator():
    """numdeep's ``Communicator`` under this API (after ``init``)."""
    if _STATE["comm"] is None:
        raise ValueError("Horovod has not been initialized; use hvd.init().")
    return _STATE["comm"]


def rank():
    """This process's rank."""
    return communicator().rank


def size():
    """How many processes there are."""
    return communicator().size


def local_rank():
    """This process's rank on its machine (pick a device or a data shard with it)."""
    return communicator().local_rank


def local_size():
    """How many processes run on this machine."""
    return communicator().local_size


def cross_rank():
    """The index of this machine (processes are grouped by machine, as Horovod assumes)."""
    return communicator().rank // communicator().local_size


def cross_size():
    """How many machines take part."""
    return -(-communicator().size // communicator().local_size)


def mpi_enabled():
    return True


def mpi_built():
    return True


def mpi_threads_supported():
    return MPI.Query_thread() == MPI.THREAD_MULTIPLE


def gloo_enabled():
    return False


def gloo_built():
    return False


def nccl_built():
    return 0


def _like(value, result):
    if isinstance(value, Tensor):
        return Tensor(result)
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return result.reshape(()).item() if isinstance(value, int | float) else result
    return result


def _check_op(op, average):
    if average is not None:
        op = Average if average else Sum
    op = Average if op is None else op
    if op == Adasum:
        raise NotImplementedError("numdeep.distribute.horovod: op=Adasum is not supported; "
                                  "use Average or Sum.")
    if op not in (Average, Sum):
        raise ValueError(f"`op` must be hvd.Average or hvd.Sum. Received: op={op!r}")
    return op


def allreduce(value, average=None, name=None, op=None, prescale_factor=1.0,
              postscale_factor=1.0):
    """The average (``op=Sum``: the sum) of ``value`` over all ranks, of the same kind as
    ``value`` (array, Tensor or number). ``name`` is accepted for Horovod compatibility."""
    op = _check_op(op, average)
    comm = communicator()
    data = np.asarray(getattr(value, "data", value))
    dtype = data.dtype if data.dtype.kind == "f" else np.float64
    result = comm.allreduce(data.astype(dtype) * prescale_factor,
                            what=f"hvd.allreduce({name or 'value'})")
    if op == Average:
        result = result / comm.size
    result = (result * postscale_factor).astype(dtype)
    return _like(value, result)


def allgather(value, name=None):
    """Every rank's ``value`` concatenated along the first axis, in rank order."""
    data = np.asarray(getattr(value, "data", value))
    parts = communicator().allgather(data, f"hvd.allgather({name or 'value'})")
    result = np.concatenate([np.atleast_1d(p) for p in parts])
    return Tensor(result) if isinstance(value, Tensor) else result


def broadcast(value, root_rank, name=None):
    """``value`` as rank ``root_rank`` has it, on every rank (same kind as ``value``)."""
    result = communicator().bcast(np.asarray(getattr(value, "data", value)), root=root_rank,
                                  what=f"hvd.broadcast({name or 'value'})")
    return _like(value, np.asarray(result))


def broadcast_variables(variables, root_rank):
    """Assign rank ``root_rank``'s values to ``variables`` (numdeep Variables) on every rank."""
    variables = list(variables)
    values = communicator().bcast([np.asarray(v.data) for v in variables], root=root_rank,
                                  what="hvd.broadcast_variables")
    for v, value in zip(variables, values):
        v.assign(value)


def DistributedOptimizer(optimizer, name=None, compression=Compression.none,  # noqa: N802
                         sparse_as_dense=False, gradient_predivide_factor=1.0, op=Average,
                         backward_passes_per_step=1, average_aggregated_gradients=False,
                         num_groups=0, groups=None, bucket_bytes=None):
    """``optimizer`` with its gradients averaged (``op=Sum``: summed) over all ranks before
    every update, in bucketed allreduces of flat buffers (``bucket_bytes`` each at most).

    Returns a new optimizer of the same class and config (Horovod's behaviour): compile with
    the returned object. ``compression=hvd.Compression.fp16`` sends float16 gradients.
    ``name``, ``sparse_as_dense`` and ``gradient_predivide_factor`` are accepted (numdeep's
    gradients are dense and averaging is exact in float32); local gradient aggregation
    (``backward_passes_per_step > 1``) and ``groups`` are not supported: use the optimizer's
    own ``gradient_accumulation_steps``.

    Example:
        >>> import numdeep as nd
        >>> import numdeep.distribute.horovod as hvd
        >>> hvd.init()
        >>> opt = hvd.DistributedOptimizer(nd.optimizers.Adam(0.001 * hvd.size()))
        >>> type(opt).__name__, isinstance(opt, nd.optimizers.Adam)
        ('Adam', True)
    """
    op = _check_op(op, None)
    if backward_passes_per_step != 1:
        raise NotImplementedError("numdeep.distribute.horovod: backward_passes_per_step > 1 is "
                                  "not supported; give the optimizer "
                                  "gradient_accumulation_steps instead.")
    if num_groups or groups:
        raise NotImplementedError("numdeep.distribute.horovod: `num_groups`/`groups` are not "
                                  "supported; use `bucket_bytes` to size the allreduces.")
    comm = communicator()
    kwargs = {} if bucket_bytes is None else {"bucket_bytes": bucket_bytes}
    reducer = GradientReducer(comm, compression=compression, **kwargs)
    scale = 1.0 / comm.size if op == Average else 1.0
    return _distributed(optimizer, reducer, lambda: scale)


def load_model(filepath, custom_optimizers=None, custom_objects=None,
               compression=Compression.none):
    """``numdeep.saving.load_model`` whose optimizer comes back as a ``DistributedOptimizer``."""
    objects = dict(custom_objects or {})
    for cls in custom_optimizers or []:
        objects[cls.__name__] = cls
    model = _load(filepath, custom_objects=objects)
    if getattr(model, "optimizer", None) is not None:
        model.optimizer = DistributedOptimizer(model.optimizer, compression=compression)
    return model


from numdeep.distribute.horovod import callbacks  # noqa: E402 - needs the functions above
