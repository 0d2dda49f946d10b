"""Scopes that change how configs are written and read, with Keras's names: ``SafeModeScope``
(the ``safe_mode`` nested reads inherit) and ``ObjectSharingScope`` (one object referenced from
two places is written once, with a ``shared_object_id``, and read back as one object)."""

import threading

from numdeep import registry

__all__ = ["SafeModeScope", "ObjectSharingScope", "in_safe_mode", "enable_unsafe_deserialization",
           "record_serialized"]

_STATE = threading.local()


def _get(name, default=None):
    return getattr(_STATE, name, default)


class SafeModeScope:
    """Context manager setting the ``safe_mode`` that nested ``deserialize_keras_object`` calls
    use (a class's ``from_config`` reading its own sub-objects inherits the caller's mode).

    Example:
        >>> from numdeep.saving.sharing import SafeModeScope, in_safe_mode
        >>> with SafeModeScope(False):
        ...     in_safe_mode()
        False
        >>> in_safe_mode() is None
        True
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.original_value = in_safe_mode()
        _STATE.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _STATE.safe_mode = self.original_value
        return False


def in_safe_mode():
    """The ``safe_mode`` of the innermost ``SafeModeScope`` (``None`` outside any)."""
    return _get("safe_mode")


def enable_unsafe_deserialization():
    """Keras's switch for loading lambdas from files. numdeep never loads code from a file, so
    this only changes which error a lambda entry raises (it asks for the function by name)."""
    _STATE.safe_mode = False


class ObjectSharingScope:
    """Context manager within which an object serialized twice gets a ``shared_object_id`` in
    both entries, and entries with the same id deserialize to one object.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import serialize_keras_object
        >>> from numdeep.saving.sharing import ObjectSharingScope
        >>> reg = nd.regularizers.L2(0.1)
        >>> with ObjectSharingScope():
        ...     a, b = serialize_keras_object([reg, reg])
        >>> a["shared_object_id"] == b["shared_object_id"]
        True
    """

    def __enter__(self):
        self._saved = registry.sharing_tables()
        registry.set_sharing_tables(({}, {}))
        return self

    def __exit__(self, *exc):
        registry.set_sharing_tables(self._saved)
        return False


record_serialized = registry.record_serialized
