"""How many cores numdeep's own (non-BLAS) work may use, and a small pool to use them.

BLAS spreads a matrix product over its own threads, but NumPy runs everything else (im2col
copies, col2im adds, pooling, elementwise activations, optimizer updates) on the calling thread.
NumPy releases the GIL inside those loops when the arrays are large, so splitting such work along
an independent axis (the batch, usually) over a few Python threads uses the other cores.

The thread count follows, in order: ``set_num_threads(n)``, the environment
(``NUMDEEP_NUM_THREADS``, then ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS`` - the variables that already cap BLAS, so numdeep never uses more cores than
the user gave BLAS), and last the cores this process may run on. Work is only split when each
part is large enough to pay for the hand-over (``MIN_PART`` elements), a call made from a pool
thread runs inline (no nested fan-out, no oversubscription), and a forked child starts with a
fresh pool.

Example:
    >>> import numpy as np
    >>> from numdeep.backend import threads
    >>> x = np.arange(10.0)
    >>> out = np.empty_like(x)
    >>> def double(part):
    ...     np.multiply(x[part], 2, out=out[part])
    >>> _ = threads.parallel_for(len(x), double, min_part=1)
    >>> out[-3:]
    array([14., 16., 18.])
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

MIN_PART = 1 << 16  # elements per part below which a hand-over costs more than it saves
_ENV = ("NUMDEEP_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_state = {"requested": None, "pool": None, "size": 0}
_lock = threading.Lock()
_local = threading.local()


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _from_env():
    for name in _ENV:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return max(1, int(value.split(",")[0]))
            except ValueError:
                continue
    return None


def get_num_threads():
    """The number of threads numdeep's own kernels may use (at least 1).

    Example:
        >>> from numdeep.backend import threads
        >>> threads.get_num_threads() >= 1
        True
    """
    requested = _state["requested"]
    if requested is not None:
        return requested
    env = _from_env()
    return min(env, _cores()) if env is not None else _cores()


def set_num_threads(n):
    """Let numdeep's own kernels use ``n`` threads (``None``: back to the environment's choice).

    This does not change BLAS's thread count, which its own variables
    (``OPENBLAS_NUM_THREADS``...) set when the process starts.

    Example:
        >>> from numdeep.backend import threads
        >>> threads.set_num_threads(1); threads.get_num_threads()
        1
        >>> threads.set_num_threads(None)
    """
    if n is not None:
        if int(n) != n or n < 1:
            raise ValueError(f"set_num_threads: expected a positive integer or None, received "
                             f"{n!r}.")
        n = int(n)
    _state["requested"] = n


def _pool(size):
    with _lock:
        if _state["pool"] is None or _state["size"] != size:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=False)
            _state["pool"] = ThreadPoolExecutor(max_workers=size,
                                                thread_name_prefix="numdeep",
                                                initializer=_mark_worker)
            _state["size"] = size
        return _state["pool"]


def _mark_worker():
    _local.worker = True


def _forget_pool():
    # A forked child does not have the parent's threads; never hand it the parent's pool.
    _state["pool"], _state["size"] = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def parts(n, size, min_part=MIN_PART, count=None):
    """Split ``range(n)`` into contiguous slices, one per thread that is worth waking: at most
    ``count`` (default: ``get_num_threads()``), each covering at least ``min_part`` elements
    when one index stands for ``size // n`` of them.

    Example:
        >>> from numdeep.backend import threads
        >>> threads.parts(10, 10, min_part=1, count=3)
        [slice(0, 4, None), slice(4, 7, None), slice(7, 10, None)]
        >>> threads.parts(10, 10, min_part=100, count=3)
        [slice(0, 10, None)]
    """
    count = get_num_threads() if count is None else count
    if getattr(_local, "worker", False):
        count = 1
    count = max(1, min(count, n, size // max(min_part, 1)))
    base, extra = divmod(n, count)
    out, start = [], 0
    for i in range(count):
        stop = start + base + (i < extra)
        out.append(slice(start, stop))
        start = stop
    return out


def parallel_for(n, fn, size=None, min_part=MIN_PART):
    """Call ``fn(part)`` for slices ``part`` that together cover ``range(n)``, in parallel when
    that pays; returns the results in order. ``size`` is the number of elements the whole call
    touches (default ``n``); ``fn`` must only write to its own part.

    The caller's thread runs the first part itself, so one thread means no hand-over at all.
    """
    split = parts(n, n if size is None else size, min_part)
    if len(split) == 1:
        return [fn(split[0])]
    pool = _pool(get_num_threads() - 1)
    futures = [pool.submit(fn, part) for part in split[1:]]
    first = fn(split[0])
    return [first] + [f.result() for f in futures]


# ----- BLAS's own threads ---------------------------------------------------------------------
_BLAS = {"libs": None}


def _blas_libs():
    """threadpoolctl's controllers of the BLAS libraries loaded in this process (found once)."""
    if _BLAS["libs"] is None:
        with _lock:
            if _BLAS["libs"] is None:
                from threadpoolctl import ThreadpoolController

                _BLAS["libs"] = [c for c in ThreadpoolController().lib_controllers
                                 if c.user_api == "blas"]
    return _BLAS["libs"]


def _blas_switches():
    """``(get, set)`` thread-count functions for each BLAS library (found once). OpenBLAS's own
    C functions where threadpoolctl can name them: a switch through threadpoolctl's methods
    costs ~5 us of Python each way (measured ~25 us per training step of a small MLP), the C
    call well under 1 us. Other libraries go through threadpoolctl."""
    if _BLAS.get("switches") is None:
        switches = []
        for lib in _blas_libs():
            get = set_ = None
            if type(lib).__name__ == "OpenBLASController":
                try:
                    get = lib._get_symbol("openblas_get_num_threads")
                    set_ = lib._get_symbol("openblas_set_num_threads")
                except Exception:  # noqa: BLE001 - a threadpoolctl without this helper
                    get = set_ = None
            if get is None or set_ is None:
                get, set_ = (lambda lib=lib: lib.num_threads), lib.set_num_threads
            switches.append((get, set_))
        _BLAS["switches"] = switches
    return _BLAS["switches"]


def blas_threaded():
    """Whether a BLAS library of this process may run a product on more than one thread now
    (through its C getter where there is one: ~2 us in all).

    Example:
        >>> from numdeep.backend import threads
        >>> with threads.single_threaded_blas():
        ...     threads.blas_threaded()
        False
    """
    if getattr(_local, "blas_single", False):
        return False
    return any(get() > 1 for get, _ in _blas_switches())


@contextlib.contextmanager
def single_threaded_blas():
    """Run the block's matrix products on one BLAS thread.

    BLAS wakes its threads for every product above a tiny size; for the small products of an
    RNN step or a small batch the hand-over can cost more than the second core saves. Measured
    for a 64x64 @ 64x256 step (an LSTM(64) at batch 64): on a busy machine with OpenBLAS's
    default thread timeout 48 us on 1 thread, 124 us on 2; on a quiet one with numdeep's
    timeout 27 vs 21 us of wall time for twice the CPU time. Switching costs ~1 us each way,
    so wrap a whole loop of small products, not each one. BLAS's thread count
    is process-wide: the limit holds for every thread until the outermost block ends.

    Example:
        >>> import numpy as np
        >>> from numdeep.backend import threads
        >>> with threads.single_threaded_blas():
        ...     (np.ones((2, 3)) @ np.ones((3, 2))).tolist()
        [[3.0, 3.0], [3.0, 3.0]]
    """
    changed = []
    if getattr(_local, "blas_single", False):
        yield
        return
    try:
        for get, set_ in _blas_switches():
            n = get()
            if n > 1:
                set_(1)
                changed.append((set_, n))
        _local.blas_single = True
        yield
    finally:
        _local.blas_single = False
        for set_, n in changed:
            set_(n)
