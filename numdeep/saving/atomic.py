"""Atomic file replacement: write a temporary file next to the target, then rename it over."""

import contextlib
import os
import tempfile

__all__ = ["atomic_write"]


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Write ``path`` all-or-nothing: yield a temporary file in the same directory, rename it over
    ``path`` when the block succeeds, delete it on any failure.

    An exception, ``KeyboardInterrupt`` or a full disk inside the block leaves the previous file
    byte-identical and no temporary file behind. The data is flushed and fsynced before the rename.

    Args:
        path: the destination file.
        mode: ``'wb'``/``'w'`` (new content) or ``'ab'``/``'a'`` (the temporary file starts as a
            copy of the current file, so appending is atomic too).
        encoding: text encoding for text modes (default UTF-8).

    Yields:
        The open temporary file object.

    Example:
        >>> import os, tempfile
        >>> from numdeep.saving import atomic_write
        >>> target = os.path.join(tempfile.mkdtemp(), "log.txt")
        >>> with atomic_write(target, "w") as f:
        ...     _ = f.write("epoch 1\\n")
        >>> try:
        ...     with atomic_write(target, "w") as f:
        ...         _ = f.write("half a line")
        ...         raise KeyboardInterrupt
        ... except KeyboardInterrupt:
        ...     pass
        >>> open(target).read(), os.listdir(os.path.dirname(target))
        ('epoch 1\\n', ['log.txt'])
    """
    if mode not in ("wb", "w", "ab", "a"):
        raise ValueError(f"atomic_write: `mode` must be 'wb', 'w', 'ab' or 'a'. Received: {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        binary = "b" in mode
        with os.fdopen(fd, "wb" if binary else "w",
                       encoding=None if binary else (encoding or "utf-8")) as f:
            if mode.startswith("a") and os.path.exists(path):
                _copy_into(path, f, binary, encoding)
            yield f
            f.flush()
            os.fsync(f.fileno())
        _set_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _copy_into(path, f, binary, encoding):
    with open(path, "rb" if binary else "r",
              encoding=None if binary else (encoding or "utf-8")) as src:
        while chunk := src.read(1 << 20):
            f.write(chunk)


def _set_mode(tmp, path):
    # mkstemp creates 0600 files; give the result the old file's mode or the umask default.
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_UMASK
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _fsync_directory(directory):
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
