"""The one place that talks to MPI (through mpi4py): collectives with a deadline, bucketed
allreduces of flat buffers, and ending every rank when one fails.

Failure handling, so a job never hangs:

- an exception that escapes on one rank (``sys.excepthook``, or ``MPIStrategy.fit``) prints the
  traceback headed ``numdeep.distribute: rank R of N failed`` and calls ``MPI_Abort``, which makes
  ``mpiexec`` end every rank at once;
- a rank killed outright (``kill -9``, out of memory) is detected by ``mpiexec`` itself, which ends
  the others (MPICH's Hydra prints the dead process's PID; rank 0 prints the rank of every PID
  when the strategy starts);
- a rank stuck elsewhere leaves the others waiting in a collective: a watchdog thread aborts the
  job when one collective has waited ``timeout`` seconds, naming the waiting rank and the step.
"""

import os
import socket
import sys
import threading
import time
import traceback

try:
    from mpi4py import MPI
except ImportError as error:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "numdeep.distribute needs mpi4py and an MPI library. Install the extra: "
        "pip install 'numdeep[mpi]' (mpi4py and the MPICH wheels), or mpi4py built against "
        f"your system's MPI. ({error})") from error

import numpy as np

__all__ = ["MPI", "Communicator", "install_failure_handler"]

DEFAULT_TIMEOUT = 600.0
DEFAULT_BUCKET_BYTES = 4 << 20


class Communicator:
    """numdeep's own duplicate of an MPI communicator, with deadlines on every collective.

    Args:
        comm: the mpi4py communicator to duplicate (default ``MPI.COMM_WORLD``); every rank of it
            must create the ``Communicator`` (duplication is collective).
        timeout: seconds one collective may wait before the job is aborted.

    ``wait_seconds`` and ``wait_cpu_seconds`` add up the wall and CPU time spent waiting in
    blocking collectives (MPI polls while it waits, so that CPU time is not computation).

    Example:
        >>> import numpy as np
        >>> from numdeep.distribute import Communicator
        >>> comm = Communicator()   # one process without mpiexec
        >>> comm.rank, comm.size, comm.allreduce(np.array([1.0, 2.0]))
        (0, 1, array([1., 2.]))
    """

    def __init__(self, comm=None, timeout=DEFAULT_TIMEOUT):
        if timeout is not None and not timeout > 0:
            raise ValueError(f"`timeout` must be a positive number of seconds or None. "
                             f"Received: timeout={timeout!r}")
        self.comm = (comm if comm is not None else MPI.COMM_WORLD).Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.timeout = timeout
        self._deadline = None
        self._what = ""
        self._watchdog = None
        self._started = None
        self.wait_seconds = self.wait_cpu_seconds = 0.0

    # ----- deadlines -------------------------------------------------------------------------
    def _begin(self, what):
        # Wall and CPU time in blocking collectives: MPI busy-polls while it waits, so a
        # benchmark subtracts this CPU time to see what a rank computes.
        self._started = (time.perf_counter(), time.process_time())
        if self.size == 1 or self.timeout is None:
            return
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, daemon=True,
                                              name="numdeep.distribute watchdog")
            self._watchdog.start()
        self._what = what
        self._deadline = time.monotonic() + self.timeout

    def _end(self):
        self._deadline = None
        if self._started is not None:
            wall, cpu = self._started
            self.wait_seconds += time.perf_counter() - wall
            self.wait_cpu_seconds += time.process_time() - cpu
            self._started = None

    def _watch(self):
        while True:
            time.sleep(min(1.0, self.timeout / 4))
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                abort(self.comm, f"numdeep.distribute: rank {self.rank} of {self.size} waited "
                                 f"{self.timeout:g} s in {self._what}: another rank is stuck, "
                                 f"or died without ending the job. Aborting every rank.")

    # ----- collectives -----------------------------------------------------------------------
    def allreduce_buffers(self, buffers, op="sum", what="an allreduce"):
        """Sum (``op='max'``: take the maximum of) each array across ranks, in place; one
        non-blocking allreduce per buffer, all in flight together."""
        if self.size == 1:
            return buffers
        self.wait([self.start_allreduce(b, op) for b in buffers], what)
        return buffers

    def start_allreduce(self, buffer, op="sum"):
        """Start summing (or maxing) ``buffer`` across ranks in place; returns the request to
        ``wait`` for (``None`` on a single process)."""
        if self.size == 1:
            return None
        mpi_op = MPI.MAX if op == "max" else MPI.SUM
        return self.comm.Iallreduce(MPI.IN_PLACE, buffer, op=mpi_op)

    def progress(self, requests):
        """Let MPI move ``requests`` along without waiting (MPICH advances non-blocking
        collectives only inside MPI calls); whether all of them are done."""
        requests = [r for r in requests if r is not None]
        return not requests or MPI.Request.Testall(requests)

    def wait(self, requests, what="an allreduce"):
        """Wait for requests from ``start_allreduce``, within the deadline."""
        requests = [r for r in requests if r is not None]
        if not requests:
            return
        self._begin(what)
        try:
            MPI.Request.Waitall(requests)
        finally:
            self._end()

    def allreduce(self, array, op="sum", what="an allreduce"):
        """A new array: ``array`` summed (or maxed) across ranks."""
        out = np.array(array, copy=True, order="C")
        if out.ndim == 0:
            out = out.reshape(1)
            return self.allreduce_buffers([out], op, what)[0].reshape(())
        return self.allreduce_buffers([out], op, what)[0]

    def bcast(self, obj, root=0, what="a broadcast"):
        """``obj`` of rank ``root`` (any picklable object) on every rank."""
        if self.size == 1:
            return obj
        self._begin(what)
        try:
            return self.comm.bcast(obj, root=root)
        finally:
            self._end()

    def allgather(self, obj, what="an allgather"):
        """The list of every rank's ``obj``, in rank order."""
        if self.size == 1:
            return [obj]
        self._begin(what)
        try:
            return self.comm.allgather(obj)
        finally:
            self._end()

    def barrier(self, what="a barrier"):
        if self.size == 1:
            return
        self._begin(what)
        try:
            self.comm.Barrier()
        finally:
            self._end()

    def describe(self):
        """``'rank 0: pid 123 on host-a, rank 1: pid 456 on host-b'`` (collective)."""
        where = self.allgather((os.getpid(), socket.gethostname()), "the start-up allgather")
        return ", ".join(f"rank {r}: pid {pid} on {host}" for r, (pid, host) in enumerate(where))

    def fail(self, error=None):
        """End every rank because this one failed: the traceback of ``error`` (or the exception
        being handled), headed by this rank's number, then ``MPI_Abort``."""
        abort(self.comm, _failure_text(self.rank, self.size, error))


def abort(comm, message):
    """Print ``message`` on stderr and end every process of ``comm``'s job."""
    try:
        sys.stderr.write(message.rstrip("\n") + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        comm.Abort(1)


def _failure_text(rank, size, error=None):
    if error is None:
        body = traceback.format_exc()
    else:
        body = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    name = type(error).__name__ if error is not None else "an exception"
    return (f"numdeep.distribute: rank {rank} of {size} failed with {name}; ending every rank "
            f"(MPI_Abort).\n{body}")


def install_failure_handler():
    """Make an uncaught exception on any rank end the whole job (with the rank in the message)
    instead of leaving the other ranks waiting. Idempotent; a no-op on a single process."""
    world = MPI.COMM_WORLD
    if world.Get_size() == 1 or getattr(sys.excepthook, "_numdeep_distribute", False):
        return
    previous = sys.excepthook

    def excepthook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)  # mpiexec already forwards Ctrl-C to every rank
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        abort(world, f"numdeep.distribute: rank {world.Get_rank()} of {world.Get_size()} failed "
                     f"with {kind.__name__}; ending every rank (MPI_Abort).\n{text}")

    excepthook._numdeep_distribute = True
    sys.excepthook = excepthook
