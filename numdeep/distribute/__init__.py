"""Data-parallel training across processes and machines, on MPI (through mpi4py).

Two front ends over one engine:

- ``MPIStrategy``: compile a model inside ``strategy.scope()`` and call the unchanged ``fit``;
  the strategy shards the data, averages the gradients and keeps output to rank 0.
- ``numdeep.distribute.horovod``: Horovod's Keras API (``hvd.init()``, ``hvd.rank()``,
  ``hvd.DistributedOptimizer``, ``hvd.callbacks...``), so Horovod scripts run after changing the
  import to ``import numdeep.distribute.horovod as hvd``.

Launch every rank with MPI, e.g. ``mpiexec -n 4 python train.py`` on one machine, or with a
host file (``mpiexec -f hosts -n 8 python train.py`` with MPICH) across machines. The optional
extra installs mpi4py and MPICH from PyPI: ``pip install 'numdeep[mpi]'`` (a system MPI with
mpi4py built against it works too). ``docs/distributed.md`` explains batch sizes, learning rates,
failures and the measured scaling.

A failure on one rank ends every rank within a bounded time: an uncaught exception on any rank
prints ``numdeep.distribute: rank R of N failed ...`` with its traceback and aborts the job
(``MPI_Abort``); a killed process is noticed by ``mpiexec``, which ends the others; a collective
that waits longer than the strategy's ``timeout`` aborts the job naming the waiting rank.
"""

from numdeep.distribute._mpi import MPI, Communicator
from numdeep.distribute.optimizer import GradientReducer
from numdeep.distribute.strategy import MPIStrategy
from numdeep.distribute.sync import weights_digest

__all__ = ["MPI", "MPIStrategy", "Communicator", "GradientReducer", "weights_digest"]
