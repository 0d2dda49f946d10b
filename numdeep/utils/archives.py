"""Safe extraction of tar and zip archives (Keras's ``extract_archive`` and its filters).

A member is extracted only when its path stays inside the target folder once resolved (no
absolute paths, no ``..`` escapes, no route through a symlink), links point inside the folder,
and it is a regular file, folder or link (no devices or FIFOs); unsafe members are skipped with a
warning. The archive's total size and member count are checked against limits before anything
is written, and extraction goes to a temporary folder that is renamed into place only when it
succeeded, so an interrupted or failed extraction leaves nothing behind.

Example:
    >>> import io, os, tarfile, tempfile
    >>> from numdeep.utils.archives import extract_archive
    >>> d = tempfile.mkdtemp()
    >>> with tarfile.open(os.path.join(d, "a.tar"), "w") as tar:
    ...     info = tarfile.TarInfo("hello.txt"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"hi"))
    >>> extract_archive(os.path.join(d, "a.tar"), os.path.join(d, "out"))
    True
    >>> open(os.path.join(d, "out", "hello.txt")).read()
    'hi'
"""

import os
import shutil
import tarfile
import tempfile
import warnings
import zipfile

__all__ = ["extract_archive", "filter_safe_tarinfos", "filter_safe_zipinfos", "is_link_in_dir",
           "resolve_path", "resolve_sub_path", "MAX_EXTRACT_BYTES", "MAX_MEMBERS"]

#: Refuse archives that would unpack to more than this many bytes (zip bombs, corrupt headers).
MAX_EXTRACT_BYTES = 64 << 30
#: ... or that hold more members than this.
MAX_MEMBERS = 2_000_000


def resolve_path(path):
    """The canonical absolute path (symlinks resolved)."""
    return os.path.realpath(path)


def resolve_sub_path(base_dir, relative_path):
    """``base_dir/relative_path`` resolved, or ``None`` when it lies outside ``base_dir``
    (which must already be resolved)."""
    path = resolve_path(os.path.join(base_dir, relative_path))
    try:
        return path if os.path.commonpath([path, base_dir]) == base_dir else None
    except ValueError:  # different drives
        return None


def is_link_in_dir(info, base_dir):
    """Whether a tar link member and its target both stay inside ``base_dir``."""
    if info.islnk():
        # Hard-link targets are relative to the archive root.
        return (resolve_sub_path(base_dir, info.name) is not None
                and resolve_sub_path(base_dir, info.linkname) is not None)
    destination = resolve_sub_path(base_dir, info.name)
    if destination is None:
        return False
    # Symlink targets are relative to the link's own folder.
    link = resolve_path(os.path.join(os.path.dirname(destination), info.linkname))
    try:
        return os.path.commonpath([link, base_dir]) == base_dir
    except ValueError:
        return False


def _skip(name):
    warnings.warn(f"Skipping invalid path during archive extraction: '{name}'.", stacklevel=2)


def _escapes_lexically(name):
    # `link/../x` resolves inside only because of a symlink the archive may itself create.
    parts = name.replace("\\", "/").split("/")
    return os.path.isabs(name) or ".." in parts


def filter_safe_tarinfos(members, base_dir):
    """Yield the tar members that are safe to extract into ``base_dir``; warn about the rest."""
    base_dir = resolve_path(base_dir)
    for info in members:
        if info.issym() or info.islnk():
            safe = is_link_in_dir(info, base_dir) and not _escapes_lexically(info.name)
        elif info.isfile() or info.isdir():
            safe = (resolve_sub_path(base_dir, info.name) is not None
                    and not _escapes_lexically(info.name))
        else:
            safe = False  # devices, FIFOs
        if safe:
            yield info
        else:
            _skip(info.name)


def filter_safe_zipinfos(members, base_dir):
    """Yield the zip members that are safe to extract into ``base_dir``; warn about the rest."""
    base_dir = resolve_path(base_dir)
    for info in members:
        if resolve_sub_path(base_dir, info.filename) is not None and not _escapes_lexically(
                info.filename):
            yield info
        else:
            _skip(info.filename)


def _check_limits(sizes, path, max_bytes, max_members):
    count, total = 0, 0
    for size in sizes:
        count += 1
        total += size
        if count > max_members:
            raise ValueError(f"Archive {path} holds more than {max_members} members; refusing "
                             f"to extract it (corrupt or hostile archive?).")
        if total > max_bytes:
            raise ValueError(f"Archive {path} would unpack to more than {max_bytes} bytes; "
                             f"refusing to extract it (corrupt or hostile archive?).")


def _extract_open(archive, path, max_bytes, max_members, source):
    if isinstance(archive, zipfile.ZipFile):
        infos = archive.infolist()
        _check_limits((i.file_size for i in infos), source, max_bytes, max_members)
        archive.extractall(path, members=list(filter_safe_zipinfos(infos, path)))
        return
    infos = archive.getmembers()
    _check_limits((i.size for i in infos if i.isfile()), source, max_bytes, max_members)
    kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    archive.extractall(path, members=list(filter_safe_tarinfos(infos, path)), **kwargs)


def extract_archive(file_path, path=".", archive_format="auto", max_bytes=None,
                    max_members=None):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive safely.

    Args:
        file_path: the archive.
        path: the folder to extract into (created; replaced only on success).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of those, or
            ``None`` (extract nothing).
        max_bytes: the most bytes the archive may unpack to (default ``MAX_EXTRACT_BYTES``).
        max_members: the most members it may hold (default ``MAX_MEMBERS``).

    Returns:
        ``True`` when the archive matched a format and was extracted, else ``False``.

    Raises:
        FileNotFoundError: ``file_path`` does not exist.
        ValueError: the archive exceeds the size or member limits.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    file_path, path = os.fspath(file_path), os.fspath(path)
    if not os.path.exists(file_path):
        raise FileNotFoundError(f"No archive at {file_path}.")
    max_bytes = MAX_EXTRACT_BYTES if max_bytes is None else max_bytes
    max_members = MAX_MEMBERS if max_members is None else max_members
    openers = {"tar": (tarfile.is_tarfile, tarfile.open), "zip": (zipfile.is_zipfile,
                                                                  zipfile.ZipFile)}
    for kind in formats:
        if kind not in openers:
            raise NotImplementedError(f"Unknown archive_format {kind!r}; expected 'tar' or "
                                      f"'zip'.")
        is_match, opener = openers[kind]
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".extracting-", dir=parent)
        try:
            with opener(file_path) as archive:
                _extract_open(archive, staging, max_bytes, max_members, file_path)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
            os.replace(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True
    return False
