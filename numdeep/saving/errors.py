"""The errors a refused file raises: ``CorruptFileError``, its ``UnsafeFileError`` and its
``ConfigTypeError`` (also a ``TypeError``)."""

__all__ = ["CorruptFileError", "UnsafeFileError", "ConfigTypeError", "MissingFileError"]


class CorruptFileError(ValueError):
    """A file (or config) that cannot be read: truncated, bit-flipped, malformed or inconsistent.

    Args:
        problem: what is wrong, in words.
        path: the file's path (``None`` for an in-memory config).
        fmt: the format being read, e.g. ``'.keras (zip)'``.

    Example:
        >>> from numdeep.saving import CorruptFileError
        >>> str(CorruptFileError("file is empty", "model.keras", ".keras (zip)"))
        "Cannot load .keras (zip) file 'model.keras': file is empty"
        >>> isinstance(CorruptFileError("x"), ValueError)
        True
    """

    _verb = "Cannot load"

    def __init__(self, problem, path=None, fmt=None):
        self.problem, self.path, self.format = problem, path, fmt
        super().__init__(self._message())

    def _message(self):
        if self.path is None:
            return f"{self._verb} config: {self.problem}"
        return f"{self._verb} {self.format or 'model'} file '{self.path}': {self.problem}"

    def located(self, path, fmt):
        """The same error naming ``path`` and ``fmt`` (raised again by the file readers)."""
        if self.path is not None:
            return self
        return type(self)(self.problem, path, fmt)


class UnsafeFileError(CorruptFileError):
    """A file refused by safe loading: code or external references, unsafe archive members,
    size or nesting beyond the limits, or a class that is not on the allow-list.

    It subclasses ``CorruptFileError`` so that ``except CorruptFileError`` catches every refused
    file (and both are ``ValueError``).

    Example:
        >>> from numdeep.saving import UnsafeFileError
        >>> str(UnsafeFileError("zip member '../x' escapes the archive", "m.keras", ".keras"))
        "Refusing to load .keras file 'm.keras' (safe mode): zip member '../x' escapes the archive"
    """

    _verb = "Refusing to load"

    def _message(self):
        if self.path is None:
            return f"Refusing to load config (safe mode): {self.problem}"
        return (f"Refusing to load {self.format or 'model'} file '{self.path}' (safe mode): "
                f"{self.problem}")


class ConfigTypeError(CorruptFileError, TypeError):
    """A config entry of the wrong type, or a class that cannot be rebuilt from its config (no
    ``from_config``, or one that fails on the config's values). Both a ``CorruptFileError`` and
    the ``TypeError`` Keras raises in these cases.

    Example:
        >>> from numdeep.saving.errors import ConfigTypeError
        >>> isinstance(ConfigTypeError("bad"), TypeError), isinstance(ConfigTypeError("bad"),
        ...                                                            ValueError)
        (True, True)
    """


class MissingFileError(FileNotFoundError, ValueError):
    """A file that does not exist: a ``FileNotFoundError``, and the ``ValueError`` Keras raises
    for a missing ``.keras`` file.

    Example:
        >>> from numdeep.saving.errors import MissingFileError
        >>> e = MissingFileError("m.keras", "File not found: filepath=m.keras.")
        >>> isinstance(e, FileNotFoundError), isinstance(e, ValueError), str(e)
        (True, True, 'File not found: filepath=m.keras.')
    """

    def __init__(self, path, message):
        super().__init__(2, message, path)

    def __str__(self):
        return self.strerror
