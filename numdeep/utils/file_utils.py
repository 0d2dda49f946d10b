"""File-system helpers with Keras's names (``keras.utils.file_utils``), for local paths.

Example:
    >>> import os, tempfile
    >>> from numdeep.utils import file_utils
    >>> path = file_utils.join(tempfile.mkdtemp(), "notes.txt")
    >>> with file_utils.File(path, "w") as f:
    ...     _ = f.write("hello")
    >>> file_utils.exists(path), file_utils.isdir(os.path.dirname(path))
    (True, True)
"""

import os
import re
import shutil

# Keras keeps downloads and archive extraction in file_utils too.
from numdeep.utils.archives import (  # noqa: F401
    extract_archive,
    filter_safe_tarinfos,
    filter_safe_zipinfos,
    is_link_in_dir,
    resolve_path,
    resolve_sub_path,
)
from numdeep.utils.downloads import get_file, hash_file, resolve_hasher, validate_file  # noqa: F401


def path_to_string(path):
    """A path-like object as a string (other values unchanged)."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def is_remote_path(filepath):
    """Whether ``filepath`` names a remote location (``gs://``, ``/gcs``, ``/hdfs``...), which
    numdeep does not read."""
    return bool(re.match(r"^(/cns|/cfs|/gcs|/hdfs|/readahead|/placer|/tfhub|.*://).*$",
                         str(filepath)))


def join(path, *paths):
    """``os.path.join``."""
    return os.path.join(path, *paths)


def exists(path):
    """Whether ``path`` exists."""
    return os.path.exists(path)


def isdir(path):
    """Whether ``path`` is a folder."""
    return os.path.isdir(path)


def listdir(path):
    """The names in a folder."""
    return os.listdir(path)


def makedirs(path):
    """Create a folder and its parents (no error if it exists)."""
    os.makedirs(path, exist_ok=True)


def remove(path):
    """Delete a file."""
    os.remove(path)


def rmtree(path):
    """Delete a folder and everything in it."""
    shutil.rmtree(path)


def copy(src, dst):
    """Copy a file."""
    shutil.copyfile(src, dst)


def File(path, mode="r"):  # noqa: N802 - Keras's name (a gfile-like opener)
    """Open a file (``open`` for local paths)."""
    return open(path, mode)
