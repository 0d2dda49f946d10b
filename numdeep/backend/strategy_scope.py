"""The distribution strategy whose ``scope()`` is open (``numdeep.distribute.MPIStrategy``).

``Model.compile`` records the strategy open at that moment, and ``fit`` then runs through it;
the strategy itself lives in ``numdeep.distribute`` (above the models), so the models only see
this stack.

Example:
    >>> from numdeep.backend.strategy_scope import StrategyScope, current_strategy
    >>> marker = object()
    >>> with StrategyScope(marker):
    ...     current_strategy() is marker
    True
    >>> current_strategy() is None
    True
"""

import threading

__all__ = ["StrategyScope", "current_strategy"]

_STATE = threading.local()


class StrategyScope:
    """Context manager: ``strategy`` is the current one inside (nestable, per thread)."""

    def __init__(self, strategy):
        self.strategy = strategy

    def __enter__(self):
        if not hasattr(_STATE, "stack"):
            _STATE.stack = []
        _STATE.stack.append(self.strategy)
        return self.strategy

    def __exit__(self, *exc):
        _STATE.stack.pop()
        return False


def current_strategy():
    """The strategy of the innermost open scope in this thread, else ``None``."""
    stack = getattr(_STATE, "stack", None)
    return stack[-1] if stack else None
