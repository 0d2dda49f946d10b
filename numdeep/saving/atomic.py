"""Atomic file replacement: write a temporary file next to the target, then rename it over.

Temporary names carry the writer's process id (``.<name>.<pid>-<random>.tmp``), so that the
next write of the same target can tell the leftovers of a killed process from a write still in
progress, and delete them.
"""

import contextlib
import os
import re
import shutil
import tempfile
import time

__all__ = ["atomic_write", "temp_prefix", "clean_stale_temporaries", "in_flight", "is_stale"]

# Temporaries whose writer cannot be identified (older names, or no way to probe a process)
# are deleted once they are this old: no save takes that long between creating and renaming.
_STALE_AGE_S = 3600
BACKUP_SUFFIX = "-old.tmp"
_IN_FLIGHT = set()  # absolute paths of the temporaries this process is writing now


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
    clean_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=directory)
    _IN_FLIGHT.add(tmp)
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
    finally:
        _IN_FLIGHT.discard(tmp)
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


def temp_prefix(path):
    """The name prefix of this process's temporaries for ``path``: ``.<name>.<pid>-``."""
    return f".{os.path.basename(os.path.abspath(path))}.{os.getpid()}-"


def in_flight(full):
    """Mark ``full`` as a temporary this process is writing now (a context manager)."""
    return _InFlight(os.path.abspath(full))


class _InFlight:
    def __init__(self, full):
        self.full = full

    def __enter__(self):
        _IN_FLIGHT.add(self.full)
        return self.full

    def __exit__(self, *exc):
        _IN_FLIGHT.discard(self.full)


def is_stale(full, pid):
    """Whether temporary ``full``, named for process ``pid``, was left by a writer that is gone:
    this process's own are stale unless in flight (a restarted container may reuse its pid)."""
    if pid == os.getpid():
        return os.path.abspath(full) not in _IN_FLIGHT
    alive = _pid_alive(pid) if pid is not None else None
    if alive is not None:
        return not alive
    try:
        return time.time() - os.lstat(full).st_mtime > _STALE_AGE_S
    except OSError:
        return False


def _pid_alive(pid):
    if os.name != "posix":
        return None  # no harmless probe (os.kill(pid, 0) signals on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def clean_stale_temporaries(path):
    """Delete the temporaries (files or folders) that writes of ``path`` left behind when their
    process was killed; those of live writers are kept.

    Example:
        >>> import os, tempfile
        >>> from numdeep.saving.atomic import clean_stale_temporaries
        >>> folder = tempfile.mkdtemp()
        >>> dead = os.path.join(folder, ".m.keras.999999999-abcd1234.tmp")  # no such process
        >>> open(dead, "wb").close()
        >>> clean_stale_temporaries(os.path.join(folder, "m.keras"))
        >>> os.listdir(folder)
        []
    """
    path = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(path)
    pattern = re.compile(rf"\.{re.escape(base)}\.(?:(\d+)-)?[A-Za-z0-9_]+\.tmp")
    # A backup of a folder being replaced (`keras_zip`) is the only copy while the target is
    # missing: it is restored, never deleted, then.
    keep_backups = not os.path.lexists(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        if keep_backups and name.endswith(BACKUP_SUFFIX):
            continue
        full = os.path.join(directory, name)
        if not is_stale(full, int(match[1]) if match[1] else None):
            continue
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(full)
