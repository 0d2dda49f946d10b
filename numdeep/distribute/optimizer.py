"""Gradient averaging across ranks: bucketed allreduces of flat buffers, wrapped around any
optimizer's ``apply`` (Horovod's ``DistributedOptimizer``).

Every step packs the gradients, in the order of the variables, into a few flat buffers of at
most ``bucket_bytes`` each (one per dtype run), scaled on the way in; each buffer is reduced by
one non-blocking ``MPI_Iallreduce`` as soon as it is packed, all of them in flight together, and
the optimizer reads the reduced gradients straight out of the buffers. The first buffer carries
one extra number per variable, how many ranks had a gradient for it, so a variable no rank
touched keeps the optimizer's "no gradient" path.

Under ``MPIStrategy`` (the stock ``train_step``) the packing happens during ``backward``: the
engine reports each weight whose gradient is final (``autograd.engine.LEAF_GRAD_HOOKS``), and a
bucket's allreduce starts as soon as it is full. Buckets always start in the same order on every
rank (last to first, as backward fills them; the first bucket, with the flags, last of all), so
a gradient that one rank lacks only delays that rank's start, never mismatches the collectives.
"""

import time

import numpy as np

from numdeep.autograd import Tensor, engine
from numdeep.distribute._mpi import DEFAULT_BUCKET_BYTES
from numdeep.optimizers import Optimizer

__all__ = ["GradientReducer", "DistributedOptimizer", "is_distributed"]


def _as_array(grad):
    if grad is None or type(grad) is np.ndarray:
        return grad
    if isinstance(grad, Tensor):
        return grad.data
    return np.asarray(getattr(grad, "data", grad))


class _Layout:
    """Where each variable's gradient lives in the flat buckets (cached per variable list)."""

    def __init__(self, shapes, dtypes, bucket_bytes, wire_dtype):
        self.buckets, self.slots = [], []
        current, used, kind = [], 0, None
        for i, (shape, dtype) in enumerate(zip(shapes, dtypes)):
            dtype = np.dtype(wire_dtype or dtype)
            size = int(np.prod(shape, dtype=np.int64))
            if current and (dtype != kind or used + size * dtype.itemsize > bucket_bytes):
                self.buckets.append((kind, current))
                current, used = [], 0
            kind = dtype
            current.append((i, size))
            used += size * dtype.itemsize
        if current:
            self.buckets.append((kind, current))
        self.flags_at = sum(size for _, size in self.buckets[0][1]) if self.buckets else 0
        self.buffers = []
        for b, (dtype, members) in enumerate(self.buckets):
            extra = len(shapes) if b == 0 else 0
            self.buffers.append(np.zeros(sum(s for _, s in members) + extra, dtype=dtype))
            offset = 0
            for i, size in members:
                self.slots.append((i, b, offset, size))
                offset += size
        self.slots.sort()
        self.shapes = shapes


class _EarlyStep:
    """One step's gradients packed as ``backward`` produces them (see ``GradientReducer.arm``)."""

    def __init__(self, layout, variables, gradient_scale):
        self.layout = layout
        self.index = {id(v): i for i, v in enumerate(variables)}
        self.ids = tuple(self.index)
        self.gradient_scale, self.scale = gradient_scale, None
        self.packed = [None] * len(variables)
        self.missing = [len(members) for _, members in layout.buckets]
        self.requests = [None] * len(layout.buckets)
        self.next = len(layout.buckets) - 1  # buckets start last to first, never bucket 0 here


class GradientReducer:
    """Sums scaled gradients across the ranks of a ``Communicator`` in flat buckets.

    Args:
        comm: a ``numdeep.distribute._mpi.Communicator``.
        bucket_bytes: the largest buffer one allreduce carries.
        compression: ``None``, or ``'fp16'`` to send float16 (Horovod's ``Compression.fp16``).

    ``seconds`` (wall) and ``cpu_seconds`` (this process's CPU) add up the time spent packing,
    reducing and unpacking over ``calls`` calls; ``early_buckets`` counts the buckets whose
    allreduce started while ``backward`` still ran (after ``arm``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> from numdeep.distribute import Communicator, GradientReducer
        >>> reducer = GradientReducer(Communicator(), compression="fp16")
        >>> w = [nd.Variable(np.zeros(2, "float32")), nd.Variable(np.zeros(1, "float32"))]
        >>> reducer.reduce([np.array([1.0, 2.0], "float32"), None], w, scale=0.5)
        [array([0.5, 1. ], dtype=float32), None]
    """

    def __init__(self, comm, bucket_bytes=DEFAULT_BUCKET_BYTES, compression=None):
        if not isinstance(bucket_bytes, int) or bucket_bytes < 1:
            raise ValueError(f"`bucket_bytes` must be a positive integer. Received: "
                             f"bucket_bytes={bucket_bytes!r}")
        if compression not in (None, "none", "fp16"):
            raise ValueError(f"`compression` must be None, 'none' or 'fp16'. Received: "
                             f"compression={compression!r}")
        self.comm = comm
        self.bucket_bytes = bucket_bytes
        self.wire_dtype = np.float16 if compression == "fp16" else None
        self._layout, self._key = None, None
        self._early = None
        self.seconds, self.cpu_seconds, self.calls = 0.0, 0.0, 0
        self.early_buckets = 0

    def _layout_for(self, variables):
        # The layout comes from the variables, so a gradient missing on one rank only cannot
        # change it there.
        arrays = [np.asarray(v.data if isinstance(v, Tensor) else v) for v in variables]
        key = (tuple(a.shape for a in arrays), tuple(a.dtype for a in arrays))
        if key != self._key:
            self._layout, self._key = _Layout(*key, self.bucket_bytes, self.wire_dtype), key
        return self._layout

    # ----- starting while backward runs -----------------------------------------------------
    def arm(self, variables, gradient_scale):
        """Pack the gradients of ``variables`` (scaled by ``gradient_scale()``) as the next
        ``backward`` makes each final, and start each bucket's allreduce once it is full, the
        last bucket first; the next ``reduce`` of these variables sends the rest and waits.

        Only for a step whose ``reduce`` receives exactly the ``.grad`` arrays ``backward``
        left (the stock ``train_step``): a gradient changed in between is an error. Bucket 0,
        which also carries the "had a gradient" flags, always starts in ``reduce``; a model
        that fits in one bucket gains nothing and is not armed.
        """
        self.disarm()
        if self.comm.size == 1 or not variables:
            return
        layout = self._layout_for(variables)
        if len(layout.buckets) < 2:
            return
        self._early = _EarlyStep(layout, variables, gradient_scale)
        engine.LEAF_GRAD_HOOKS.append(self._on_leaf)

    def disarm(self):
        """Stop packing during ``backward`` (what ``reduce`` does once it took the step)."""
        if self._on_leaf in engine.LEAF_GRAD_HOOKS:
            engine.LEAF_GRAD_HOOKS.remove(self._on_leaf)
        early, self._early = self._early, None
        return early

    def _on_leaf(self, leaf):
        early = self._early
        i = None if early is None else early.index.get(id(leaf))
        if i is None or early.packed[i] is not None:
            return
        layout = early.layout
        if early.scale is None:
            early.scale = early.gradient_scale()
        _, b, offset, size = layout.slots[i]
        grad = leaf.grad
        np.multiply(_as_array(grad).reshape(-1), early.scale,
                    out=layout.buffers[b][offset:offset + size], casting="unsafe")
        early.packed[i] = grad
        early.missing[b] -= 1
        while early.next >= 1 and early.missing[early.next] == 0:
            early.requests[early.next] = self.comm.start_allreduce(layout.buffers[early.next])
            early.next -= 1
            self.early_buckets += 1
        self.comm.progress(early.requests)

    # ----- the reduction --------------------------------------------------------------------
    def reduce(self, grads, variables, scale):
        """``sum over ranks of scale * grad`` for each gradient (``None`` where no rank had
        one); the arrays returned are views into buffers reused by the next call."""
        start, cpu = time.perf_counter(), time.process_time()
        early = self.disarm()
        raw = list(grads)
        grads = [_as_array(g) for g in raw]
        if self.comm.size == 1 and self.wire_dtype is None:  # nothing to exchange
            out = grads if scale == 1.0 else [None if g is None else g * scale for g in grads]
            self._count(start, cpu)
            return out
        layout = self._layout_for(variables)
        if early is not None and (early.layout is not layout
                                  or early.ids != tuple(id(v) for v in variables)):
            early = self._finish_unused(early)
        packed = early.packed if early is not None else [None] * len(grads)
        if early is not None:
            self._check_unchanged(early, raw, scale)
        requests = early.requests if early is not None else [None] * len(layout.buckets)
        last = early.next if early is not None else len(layout.buckets) - 1
        for b in range(last, -1, -1):
            buf = layout.buffers[b]
            for i, size in layout.buckets[b][1]:
                if packed[i] is not None:
                    continue
                offset = layout.slots[i][2]
                target = buf[offset:offset + size]
                if grads[i] is None:
                    target[...] = 0
                else:
                    np.multiply(grads[i].reshape(-1), scale, out=target, casting="unsafe")
            if b == 0:
                buf[layout.flags_at:] = [g is not None for g in grads]
            requests[b] = self.comm.start_allreduce(buf)
        self.comm.wait(requests, what="the gradient allreduce")
        flags = layout.buffers[0][layout.flags_at:] if layout.buckets else ()
        dtypes = self._key[1]
        out = []
        for i, b, offset, size in layout.slots:
            if flags[i] == 0:
                out.append(None)
                continue
            reduced = layout.buffers[b][offset:offset + size].reshape(layout.shapes[i])
            out.append(reduced if self.wire_dtype is None else reduced.astype(dtypes[i]))
        self._count(start, cpu)
        return out

    def _finish_unused(self, early):
        """An armed step whose ``reduce`` came for other variables: the allreduces it started
        still complete (every rank started them); their results are dropped and the step is
        reduced from scratch."""
        self.comm.wait(early.requests, what="the gradient allreduce")
        return None

    @staticmethod
    def _check_unchanged(early, raw, scale):
        # What left during backward must be what the optimizer applies: every rank takes the
        # same path here, so this raises on all of them rather than letting weights diverge.
        if early.scale not in (None, scale):
            raise RuntimeError(f"numdeep.distribute: the gradient scale changed between "
                               f"backward and apply ({early.scale} -> {scale}).")
        for i, sent in enumerate(early.packed):
            if sent is not None and raw[i] is not sent:
                raise RuntimeError(
                    f"numdeep.distribute: the gradient of variable {i} changed after backward "
                    f"had sent it; change gradients in the optimizer (clipnorm, ...) or in a "
                    f"custom train_step (MPIStrategy overlaps only the stock one).")

    def _count(self, start, cpu):
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu
        self.calls += 1


class _ReducedApply:
    """What ``DistributedOptimizer`` adds to an optimizer's class: gradients are reduced across
    ranks first, then the optimizer's own ``apply`` runs (clipping, decay, update).

    With ``_overlap_backward`` set (``MPIStrategy`` sets it for a model with the stock
    ``train_step``, which calls ``scale_loss``, ``backward`` and ``apply`` in a row), the
    reduction starts during ``backward`` (``GradientReducer.arm``)."""

    _overlap_backward = False

    def scale_loss(self, loss):
        if self._overlap_backward and self.built and not self.gradient_accumulation_steps:
            self._gradient_reducer.arm(self._trainable_variables, self._gradient_scale)
        return super().scale_loss(loss)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        variables = trainable_variables
        if variables is None:
            variables = self._trainable_variables if self.built else None
        if grads and variables is not None:
            variables = list(variables)
            if self.gradient_accumulation_steps and self.built:
                grads = self._accumulating(grads, variables)
            else:
                grads = self._gradient_reducer.reduce(grads, variables, self._gradient_scale())
        return super().apply(grads, trainable_variables)

    def _accumulating(self, grads, variables):
        """With ``gradient_accumulation_steps=k`` only every k-th step communicates: before,
        the local gradients (in the reduced gradient's units) go into the accumulator; at the
        k-th, the allreduce carries ``scale * g + A / size`` (``A``: this rank's accumulator),
        the accumulator is emptied and the optimizer receives the reduced sum, so its
        ``(g + A) / k`` is the average over every rank's k micro-batches, bit for bit the same
        on every rank."""
        scale, size = self._gradient_scale(), self._gradient_reducer.comm.size
        if (int(self._iterations.data) + 1) % self.gradient_accumulation_steps:
            return [None if g is None else _as_array(g) * (scale * size) for g in grads]
        accumulators = [self._states[i].get("gradient_accumulator")
                        for i in self._indices_of(variables)]
        mixed = [None if g is None else _as_array(g) * scale + a / size
                 for g, a in zip(grads, accumulators)]
        reduced = self._gradient_reducer.reduce(mixed, variables, 1.0)
        for a in accumulators:
            if a is not None:
                a[...] = 0
        return reduced


_CLASSES = {}


def _distributed_class(cls):
    # Same class name, so saved models record the wrapped optimizer (Horovod does the same).
    if cls not in _CLASSES:
        _CLASSES[cls] = type(cls.__name__, (_ReducedApply, cls), {"__module__": cls.__module__})
    return _CLASSES[cls]


def is_distributed(optimizer):
    """Whether ``optimizer`` already reduces its gradients across ranks."""
    return isinstance(optimizer, _ReducedApply)


def DistributedOptimizer(optimizer, reducer, gradient_scale):  # noqa: N802 - Horovod's name
    """An optimizer like ``optimizer`` whose ``apply`` first sums ``gradient_scale() * grad``
    across the ranks (through ``reducer``, a ``GradientReducer``).

    The result is a new instance of a subclass with the same name and config (built and given
    the same state when ``optimizer`` was built), so it saves and loads as the original class.
    ``numdeep.distribute.horovod.DistributedOptimizer`` is the public, Horovod-shaped front.

    Args:
        optimizer: a numdeep ``Optimizer``.
        reducer: the ``GradientReducer`` that carries the gradients.
        gradient_scale: a function of no arguments giving this rank's factor for this step
            (``1 / size`` averages; ``MPIStrategy`` weights each rank by its share of the batch).

    Returns:
        The distributed optimizer; use it in place of ``optimizer``.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.distribute import Communicator, GradientReducer
        >>> from numdeep.distribute.optimizer import DistributedOptimizer
        >>> comm = Communicator()
        >>> opt = DistributedOptimizer(nd.optimizers.SGD(0.1), GradientReducer(comm),
        ...                            lambda: 1.0 / comm.size)
        >>> type(opt).__name__, opt.get_config()["learning_rate"]
        ('SGD', 0.1)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"DistributedOptimizer wraps a numdeep Optimizer; received "
                        f"{type(optimizer).__name__}.")
    if is_distributed(optimizer):
        raise ValueError(f"Optimizer {optimizer.name!r} is already a DistributedOptimizer.")
    cls = _distributed_class(type(optimizer))
    wrapped = cls.from_config(optimizer.get_config())
    if optimizer.built:
        wrapped.build(optimizer._trainable_variables)
        wrapped.load_state_dict(optimizer.state_dict())
    wrapped._gradient_reducer = reducer
    wrapped._gradient_scale = gradient_scale
    return wrapped
