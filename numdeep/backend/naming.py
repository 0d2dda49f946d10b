"""Name scopes: where a variable is created decides its ``path`` (``'sequential/dense/kernel'``).

Layers open a scope named after themselves while they build, so the weights they and their
sub-layers create carry the nesting in their paths, as Keras's do.

Example:
    >>> from numdeep.backend.naming import current_path, name_scope
    >>> with name_scope("model"):
    ...     with name_scope("dense"):
    ...         current_path()
    'model/dense'
"""

import threading

_STACK = threading.local()


class name_scope:  # noqa: N801 - Keras's name
    """Context manager adding ``name`` to the path of variables created inside it."""

    def __init__(self, name, caller=None, **kwargs):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"name_scope: `name` must be a string without '/'. "
                             f"Received: {name!r}")
        self.name = name
        self.caller = caller
        self._pushed = False

    def __enter__(self):
        stack = _stack()
        # A layer re-entering its own scope (a nested call of the same layer) adds nothing.
        if not (self.caller is not None and stack and stack[-1].caller is self.caller):
            stack.append(self)
            self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _stack().pop()
            self._pushed = False
        return False


class path_scope:  # noqa: N801 - a context manager, like name_scope
    """Context manager making ``path`` (``'outer/inner'``) the whole current path: a layer
    that creates a weight after it was built (LoRA, a weight swapped in) names it where the
    layer was built, not where it happens to be called from."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self._saved = list(_stack())
        _STACK.scopes = [name_scope(part) for part in self.path.split("/") if part]
        return self

    def __exit__(self, *exc):
        _STACK.scopes = self._saved
        return False


def _stack():
    stack = getattr(_STACK, "scopes", None)
    if stack is None:
        stack = _STACK.scopes = []
    return stack


_COUNTS = {}


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... (how Keras names layers
    and ops)."""
    n = _COUNTS.get(prefix, 0)
    _COUNTS[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def clear_session(free_memory=True):
    """Start automatic names afresh (``dense``, ``dense_1``, ...), as Keras's ``clear_session``
    does."""
    _COUNTS.clear()


def current_path():
    """The ``/``-joined names of the open scopes (``''`` outside any)."""
    return "/".join(s.name for s in _stack())
