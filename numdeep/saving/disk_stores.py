"""Keras's two other stores: ``NpzIOStore`` (variables in a NumPy ``.npz``, never pickled) and
``DiskIOStore`` (the folder layers write their assets into, kept inside the store's root)."""

import os
import shutil
import tempfile

import numpy as np

from numdeep.saving.safety import check_zip_members
from numdeep.saving.stores import _NPZ_MAX_EXPANSION, _declared_too_big, readable_memory_size

__all__ = ["NpzIOStore", "DiskIOStore"]


class NpzIOStore:
    """Variables in an ``.npz`` (a file, or the member ``root_path`` of a zip ``archive``),
    keyed ``<path>/<key>``; object arrays (pickles) are refused.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from numdeep.saving.disk_stores import NpzIOStore
        >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
        >>> store = NpzIOStore(path, mode="w")
        >>> store.make("layers/dense")["0"] = np.arange(3.0)
        >>> store.close()
        >>> NpzIOStore(path, mode="r").get("layers/dense")["0"].tolist()
        [0.0, 1.0, 2.0]
    """

    def __init__(self, root_path, archive=None, mode="r"):
        self.root_path, self.archive, self.mode = root_path, archive, mode
        if mode == "w":
            self.contents = {}
            return
        self.f = archive.open(root_path, "r") if archive else open(root_path, "rb")
        self.contents = np.load(self.f, allow_pickle=False)

    def make(self, path, metadata=None):
        """A dict the caller fills with the arrays of ``path``."""
        self.contents[path or "__root__"] = {}
        return self.contents[path or "__root__"]

    def get(self, path):
        """The arrays stored for ``path`` (a whole array when ``path`` names one)."""
        names = list(self.contents.keys()) if hasattr(self.contents, "keys") else []
        if path in names:
            self._reject_npz_bomb(path)
            return self.contents[path].tolist()
        prefix = f"{path or '__root__'}/"
        out = {}
        for name in names:
            if name.startswith(prefix):
                self._reject_npz_bomb(name)
                out[name[len(prefix):]] = self.contents[name]
        return out

    def _reject_npz_bomb(self, name):
        zip_file = getattr(self.contents, "zip", None)
        if zip_file is None:
            return
        try:
            info = zip_file.getinfo(f"{name}.npy")
        except KeyError:
            return
        with zip_file.open(info) as member:
            major, _ = np.lib.format.read_magic(member)
            read = np.lib.format.read_array_header_1_0 if major == 1 else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read(member)
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if dtype.hasobject:
            raise ValueError(f"Refusing to load npz weight '{name}': it holds Python objects "
                             f"(a pickle), which are never loaded.")
        if _declared_too_big(declared, info.compress_size, _NPZ_MAX_EXPANSION):
            raise ValueError(f"Refusing to load npz weight '{name}': its header declares "
                             f"{readable_memory_size(declared)} but only "
                             f"{readable_memory_size(info.compress_size)} is stored on disk; "
                             f"refusing to load a potential decompression bomb.")

    def has_path(self, path):
        """Whether ``path`` is stored."""
        return any(k == path or k.startswith(f"{path}/") for k in self.contents)

    def close(self):
        """Write the arrays (write mode) and close the file."""
        if self.mode == "w":
            flat = {f"{path}/{key}": np.asarray(value) for path, entry in self.contents.items()
                    for key, value in entry.items()}
            if self.archive:
                with self.archive.open(self.root_path, "w", force_zip64=True) as f:
                    np.savez(f, **flat)
            else:
                with open(self.root_path, "wb") as f:
                    np.savez(f, **flat)
            return
        self.f.close()


def _is_remote(path):
    return "://" in str(path)


def _inside(base, path):
    """``path`` resolved below ``base``, or ``None`` when it leaves it."""
    base = os.path.realpath(base)
    resolved = os.path.realpath(os.path.join(base, path))
    return resolved if resolved == base or resolved.startswith(base + os.sep) else None


class DiskIOStore:
    """The asset folder of a save: ``make(path)``/``get(path)`` give a directory below the
    store's root (a temporary one when writing into a zip ``archive``); a path that would leave
    the root is refused.

    Example:
        >>> from numdeep.saving.disk_stores import DiskIOStore
        >>> store = DiskIOStore("assets", mode="w")
        >>> store.make("layers/dense").endswith("layers/dense")
        True
        >>> store.make("../escape")
        Traceback (most recent call last):
        ...
        ValueError: Invalid asset path: '../escape' escapes the asset directory.
        >>> store.close()
    """

    def __init__(self, root_path, archive=None, mode=None):
        self.root_path, self.archive, self.mode, self.tmp_dir = root_path, archive, mode, None
        if archive is not None:
            self.tmp_dir = tempfile.mkdtemp()
            if mode == "r":
                check_zip_members(archive.infolist())  # names, links, sizes, ratios
                archive.extractall(self.tmp_dir)
            self.working_dir = os.path.join(self.tmp_dir, root_path).replace("\\", "/")
            if mode == "w":
                os.makedirs(self.working_dir, exist_ok=True)
        elif mode == "r":
            self.working_dir = root_path
        else:
            self.tmp_dir = tempfile.mkdtemp()
            self.working_dir = os.path.join(self.tmp_dir, root_path).replace("\\", "/")
            os.makedirs(self.working_dir, exist_ok=True)

    def _full_path(self, path):
        path = path.replace("\\", "/")
        if _is_remote(self.working_dir):
            if path.startswith("/") or "://" in path or ".." in path.split("/"):
                raise ValueError(f"Invalid asset path: '{path}' escapes the asset directory.")
            return f"{self.working_dir.rstrip('/')}/{path}"
        resolved = _inside(self.working_dir, path)
        if resolved is None:
            raise ValueError(f"Invalid asset path: '{path}' escapes the asset directory.")
        return resolved.replace("\\", "/")

    def make(self, path):
        """The directory for ``path`` (created)."""
        if not path:
            return self.working_dir
        full = self._full_path(path)
        os.makedirs(full, exist_ok=True)
        return full

    def get(self, path):
        """The directory for ``path``, or ``None`` when there is none."""
        if not path:
            return self.working_dir
        full = self._full_path(path)
        return full if os.path.exists(full) else None

    def has_path(self, path):
        """Whether ``path`` exists below the root (``False`` for one that would leave it)."""
        if not path:
            return os.path.exists(self.working_dir)
        try:
            return os.path.exists(self._full_path(path))
        except ValueError:
            return False

    def close(self):
        """Write the folder into the archive (write mode) and remove the temporary copy."""
        if self.mode == "w" and self.archive is not None:
            for base, _, files in os.walk(self.working_dir):
                for name in files:
                    full = os.path.join(base, name)
                    rel = os.path.relpath(full, self.working_dir).replace(os.sep, "/")
                    self.archive.write(full, f"{self.root_path}/{rel}")
        if self.tmp_dir and os.path.exists(self.tmp_dir):
            shutil.rmtree(self.tmp_dir, ignore_errors=True)


