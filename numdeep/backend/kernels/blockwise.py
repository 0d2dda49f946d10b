"""Blocks of a kernel handed out one at a time to the threads of ``numdeep.backend.threads``.

``threads.parallel_for`` gives each thread a fixed share. Right after a matrix product, though,
OpenBLAS's own idle threads keep spinning on the other cores for a while (``THREAD_TIMEOUT``),
so a pool thread may start late: with fixed shares the caller then waits for the late share,
and a GELU after BERT's feed-forward GEMM measured no faster at two threads than at one. Here
every thread takes the next block as it gets free, so a late thread costs nothing and an idle
core still helps (the blocks' results do not depend on which thread computes them).
"""

from numdeep.backend import threads


def for_each_block(n, fn, size, scratch=None):
    """Call ``fn(i, scratch)`` for every ``i`` in ``range(n)``, on the pool when that pays
    (``size``: the elements the whole call touches); ``scratch()`` (optional) makes the
    working arrays of one share of the pool, never used by two threads at once.

    Example:
        >>> import numpy as np
        >>> out = np.zeros(4)
        >>> def fill(i, _):
        ...     out[i] = i * i
        >>> for_each_block(4, fill, size=4)
        >>> out
        array([0., 1., 4., 9.])
    """
    blocks = iter(range(n))  # next() on a range iterator is atomic under the GIL

    def drain(_part):
        work = None if scratch is None else scratch()
        for i in blocks:
            fn(i, work)

    threads.parallel_for(n, drain, size=size)
