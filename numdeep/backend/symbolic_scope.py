"""``SymbolicScope``: marks code that runs only to learn output shapes (tracing).

numdeep finds the output spec of a layer or op by running it on small stand-in values; inside
that run ``in_symbolic_scope()`` is True, and ``Variable.assign*`` change nothing, so tracing a
layer never moves a counter, a moving average or any other state the user can observe.
``frozen_state()`` freezes state the same way without claiming to trace: rematerialization
recomputes a call during backward, and the recomputation must not update state a second time.

Example:
    >>> from numdeep.backend.symbolic_scope import SymbolicScope, in_symbolic_scope
    >>> with SymbolicScope():
    ...     in_symbolic_scope()
    True
    >>> in_symbolic_scope()
    False
"""

import threading

__all__ = ["SymbolicScope", "in_symbolic_scope", "frozen_state", "state_frozen"]

_STATE = threading.local()


class SymbolicScope:
    """Context manager: the code inside only traces shapes (nestable, per thread)."""

    def __enter__(self):
        _STATE.depth = getattr(_STATE, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _STATE.depth -= 1
        return False


def in_symbolic_scope():
    """Whether the current thread is tracing output shapes."""
    return getattr(_STATE, "depth", 0) > 0


class frozen_state:  # noqa: N801 - used like a function: `with frozen_state():`
    """Context manager: variables keep their values inside (a recomputation, not a step)."""

    def __enter__(self):
        _STATE.frozen = getattr(_STATE, "frozen", 0) + 1
        return self

    def __exit__(self, *exc):
        _STATE.frozen -= 1
        return False


def state_frozen():
    """Whether ``Variable.assign*`` and in-place statistics updates are skipped now."""
    return getattr(_STATE, "depth", 0) > 0 or getattr(_STATE, "frozen", 0) > 0
