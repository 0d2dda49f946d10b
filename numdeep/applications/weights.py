"""Where the published files of ``numdeep.applications`` come from: one lookup, ``fetch``.

Keras downloads its ImageNet weights and class index into ``~/.keras/models`` (or
``$KERAS_HOME/models``). ``fetch`` hands the request to ``numdeep.utils.get_file`` when numdeep
has it (download, hash check, cache); without it, it uses the file already in Keras's cache
(after checking its hash) and otherwise raises an error naming the URL and where to put the
file by hand.
"""

import hashlib
import os

__all__ = ["fetch", "keras_cache_dir"]


def keras_cache_dir():
    """Keras's cache folder: ``$KERAS_HOME`` when set, else ``~/.keras``.

    Example:
        >>> import os
        >>> os.path.basename(keras_cache_dir()) in (".keras", os.path.basename(
        ...     os.environ.get("KERAS_HOME", ".keras")))
        True
    """
    home = os.environ.get("KERAS_HOME")
    return os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".keras")


def _file_hash(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_hash(path, file_hash, origin):
    # Keras's hashes are MD5 (32 hex digits) or SHA-256 (64).
    algorithm = "sha256" if len(file_hash) == 64 else "md5"
    found = _file_hash(path, algorithm)
    if found != file_hash:
        raise ValueError(
            f"The file {path} does not match the {algorithm.upper()} hash Keras publishes for "
            f"{origin} (expected {file_hash}, found {found}): it is damaged or a different "
            f"file. Delete it and download it again.")


def _get_file():
    try:
        from numdeep.utils import get_file
    except ImportError:
        return None
    return get_file


def fetch(fname, origin, file_hash=None, cache_subdir="models", cache_dir=None):
    """The local path of a published file (weights, class index), from Keras's cache.

    Args:
        fname: the file name in the cache (Keras's name, e.g.
            ``"resnet50_weights_tf_dim_ordering_tf_kernels.h5"``).
        origin: the URL Keras downloads it from.
        file_hash: MD5 or SHA-256 hex digest the file must have (``None``: not checked).
        cache_subdir: the cache folder under ``~/.keras``.
        cache_dir: another cache root than Keras's (``keras_cache_dir()``).

    Returns:
        The file's path.

    Raises:
        FileNotFoundError: the file is not in the cache and cannot be downloaded; the message
            names the URL and the path to save it at.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(root, "models"))
        >>> with open(os.path.join(root, "models", "tiny.json"), "w") as f:
        ...     _ = f.write("{}")
        >>> fetch("tiny.json", "https://example.com/tiny.json", cache_dir=root) == os.path.join(
        ...     root, "models", "tiny.json")
        True
    """
    get_file = _get_file()
    if get_file is not None:
        return get_file(fname, origin, file_hash=file_hash, cache_subdir=cache_subdir,
                        cache_dir=cache_dir)
    path = os.path.join(cache_dir or keras_cache_dir(), cache_subdir, fname)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{fname} is not in Keras's cache and numdeep cannot download it here. Download "
            f"{origin} and save it as {path} (or set KERAS_HOME to the folder holding "
            f"'{cache_subdir}/{fname}').")
    if file_hash:
        _check_hash(path, file_hash, origin)
    return path
