"""``get_file``: download a file once, verify it, keep it in a cache (Keras's ``get_file``).

The cache is shared with Keras: with no ``cache_dir``, files are looked up in ``$NUMDEEP_HOME``
(when set), then Keras's ``$KERAS_HOME`` or ``~/.keras``, then ``~/.numdeep``, and downloads go
to the first of those (so a file Keras already downloaded is used as it is). A download goes to
``<target>.part``, is retried (resuming with an HTTP ``Range`` request when the server allows)
after a dropped connection or a server error, is checked against ``file_hash`` and only then
renamed into place: a failed or interrupted download leaves nothing in the cache. Proxies come
from the environment (``https_proxy``, ``http_proxy``, ``no_proxy``), as ``urllib`` reads them.

Example:
    >>> import os, pathlib, tempfile
    >>> from numdeep.utils import get_file, hash_file
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = src.write_text("hello")
    >>> path = get_file("notes.txt", src.as_uri(), file_hash=hash_file(src),
    ...                 cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Downloading data from file://...
    >>> open(path).read()
    'hello'
"""

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

from numdeep.utils import io_utils
from numdeep.utils.archives import extract_archive
from numdeep.utils.progbar import Progbar

__all__ = ["get_file", "hash_file", "validate_file", "resolve_hasher", "cache_roots",
           "DownloadError"]

_RETRIES = 3
_BACKOFF = 0.5  # seconds, doubled after each failed attempt
_TIMEOUT = 60.0
_CHUNK = 1 << 16


class DownloadError(FileNotFoundError):
    """A file is not in the cache and could not be downloaded (offline, refused, server error,
    dropped transfer): a ``FileNotFoundError``, so callers that fall back on a missing file
    (``except FileNotFoundError``) handle both cases alike."""


def cache_roots():
    """The cache folders searched when ``cache_dir`` is not given, in order (downloads go to the
    first): ``$NUMDEEP_HOME`` if set, Keras's ``$KERAS_HOME`` or ``~/.keras``, ``~/.numdeep``."""
    roots = []
    if os.environ.get("NUMDEEP_HOME"):
        roots.append(os.path.expanduser(os.environ["NUMDEEP_HOME"]))
    roots.append(os.path.expanduser(os.environ.get("KERAS_HOME") or "~/.keras"))
    legacy = os.path.expanduser("~/.numdeep")
    if legacy not in roots:
        roots.append(legacy)
    return roots


def resolve_hasher(algorithm, file_hash=None):
    """A ``hashlib`` object: sha256 for ``"sha256"`` (or ``"auto"`` with a 64-digit hash),
    md5 otherwise."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (``algorithm``: ``"sha256"``, ``"md5"``, ``"auto"`` or a
    ``hashlib`` object)."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether a file's sha256 or md5 digest equals ``file_hash``."""
    hasher = resolve_hasher(algorithm, file_hash)
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash).lower()


def _algorithm_name(algorithm, file_hash):
    return resolve_hasher(algorithm, file_hash).name


def _targets(fname, datadir, extract, provided):
    """``(download_target, extraction_dir)`` with Keras's cache layout."""
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        stem = fname[:fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _usable(target, file_hash, algorithm):
    if not os.path.isfile(target):
        return False
    if file_hash is None or validate_file(target, file_hash, algorithm):
        return True
    io_utils.print_msg(f"A local file was found, but it seems to be incomplete or outdated "
                       f"because the {_algorithm_name(algorithm, file_hash)} file hash does not "
                       f"match the original value of {file_hash} so we will re-download the "
                       f"data.")
    return False


def _open(origin, offset):
    request = urllib.request.Request(origin, headers={"User-Agent": "numdeep"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    # A fresh opener reads the proxy variables now (urlopen's shared one froze them at its
    # first use).
    return urllib.request.build_opener().open(request, timeout=_TIMEOUT)


def _transfer(origin, part, progress_state):
    """One attempt: append to ``part`` (resuming when the server honours ``Range``)."""
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    with _open(origin, offset) as response:
        status = getattr(response, "status", None)
        resumed = offset and status == 206
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        bar = progress_state.get("bar")
        if bar is None:
            bar = progress_state["bar"] = Progbar(total, unit_name="bytes")
        done = offset
        with open(part, "ab" if resumed else "wb") as f:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                f.write(chunk)
                done += len(chunk)
                bar.update(done)
        if total is not None and done < total:
            raise DownloadError(f"transfer interrupted after {done} of {total} bytes")


def _download(origin, target):
    part = target + ".part"
    state, error = {}, None
    try:
        for attempt in range(_RETRIES):
            try:
                _transfer(origin, part, state)
                error = None
                break
            except urllib.error.HTTPError as e:
                error = f"{e.code} -- {e.reason}"
                if e.code < 500 and e.code != 429:
                    break  # the request itself is wrong: retrying cannot help
            except (OSError, http.client.HTTPException) as e:  # URLError, timeouts, resets
                reason = getattr(e, "reason", None) or e
                error = f"{getattr(reason, 'errno', None)} -- {reason}"
            if attempt + 1 < _RETRIES:
                time.sleep(_BACKOFF * 2 ** attempt)
        if state.get("bar") is not None:
            state["bar"].close()
        if error is not None:
            raise DownloadError(
                f"URL fetch failure on {origin}: {error}. If this machine is offline or cannot "
                f"reach that address, download the file on another machine and put it at "
                f"{target} (the cache folder numdeep and Keras read), or point `cache_dir` / "
                f"$NUMDEEP_HOME at a folder holding it.")
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    return part


def _datadir(cache_dir, cache_subdir):
    if os.path.isabs(cache_subdir):
        return [cache_subdir]
    roots = [cache_dir] if cache_dir is not None else cache_roots()
    return [os.path.join(os.path.expanduser(os.fspath(r)), cache_subdir) for r in roots]


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Download a file from a URL unless it is already in the cache; return its path.

    Args:
        fname: the file's name in the cache (default: the last part of ``origin``); with
            ``extract``, a name without an extension names the extraction folder.
        origin: the URL (``https://``, ``http://`` or ``file://``).
        untar: deprecated, as ``extract=True`` with ``archive_format="tar"``.
        md5_hash: deprecated, as ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest; a cached file that does not match is
            downloaded again, a download that does not match raises ``ValueError``.
        cache_subdir: the sub-folder of the cache (an absolute path is used as it is).
        hash_algorithm: ``"auto"`` (by the hash's length), ``"sha256"`` or ``"md5"``.
        extract: extract the archive (tar or zip, safely) and return the folder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or ``None``.
        cache_dir: the cache root (default: see the module docstring).
        force_download: download even when a cached copy exists.

    Returns:
        The path of the file, or of the extraction folder with ``extract=True``.

    Raises:
        DownloadError: the file could not be fetched; the message names the URL and where to put
            the file by hand.
        ValueError: the download does not match ``file_hash`` (nothing is cached then).
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        file_hash = str(file_hash).lower()
    provided = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                             f"Please specify the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"Paths are no longer accepted as the `fname` argument. To specify the "
                         f"file's parent directory, use the `cache_dir` argument. "
                         f"Received: fname={fname}")
    extract = extract or untar
    if untar:
        archive_format = "tar"
    datadirs = _datadir(cache_dir, cache_subdir)
    if not force_download:
        for datadir in datadirs:
            target, extraction_dir = _targets(fname, datadir, extract, provided)
            if _usable(target, file_hash, hash_algorithm):
                if extract and not os.path.isdir(extraction_dir):
                    _extract(target, extraction_dir, archive_format)
                return extraction_dir if extract else target
            if extract and os.path.isdir(extraction_dir) and not os.path.exists(target):
                return extraction_dir  # extracted earlier (by hand or by Keras), archive removed
    datadir = next((d for d in datadirs if _writable_dir(d)), None)
    if datadir is None:
        datadir = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        os.makedirs(datadir, exist_ok=True)
    target, extraction_dir = _targets(fname, datadir, extract, provided)
    io_utils.print_msg(f"Downloading data from {origin}")
    part = _download(origin, target)
    if file_hash is not None and not validate_file(part, file_hash, hash_algorithm):
        os.remove(part)
        raise ValueError(f"Incomplete or corrupted file detected. The "
                         f"{_algorithm_name(hash_algorithm, file_hash)} file hash does not match "
                         f"the provided value of {file_hash}. Nothing was cached; the file "
                         f"from {origin} is not the expected one.")
    os.replace(part, target)
    if extract:
        _extract(target, extraction_dir, archive_format)
        return extraction_dir
    return target


def _extract(target, extraction_dir, archive_format):
    if not extract_archive(target, extraction_dir, archive_format):
        warnings.warn(f"Could not extract archive {target}.", stacklevel=3)
