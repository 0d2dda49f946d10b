"""Keras's HDF5 store classes (``keras.saving.saving_lib``): ``H5IOStore`` and
``ShardedH5IOStore``, variables in one HDF5 file or in several with a ``.json`` index
(``disk_stores`` has the ``.npz`` and asset-folder ones). Each ``make(path)``/``get(path)``
returns an entry used like a dict of arrays: what ``save_own_variables``/``load_own_variables``
receive.

Reading is guarded like the rest of ``numdeep.saving``: links and external or virtual datasets
are refused, and arrays whose declared size the file cannot justify are refused before anything
is allocated.
"""

import io
import json
import math
import pathlib
import warnings

import numpy as np

from numdeep.backend import to_numpy
from numdeep.saving import h5io
from numdeep.saving.atomic import atomic_write
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import LIMITS, check_zip_members, load_json

__all__ = ["H5IOStore", "ShardedH5IOStore", "safe_get_h5_group", "safe_get_h5_dataset",
           "readable_memory_size"]

_BOMB_FLOOR_BYTES = 1 << 32  # Keras's floor above which the expansion ratio is checked
_H5_MAX_EXPANSION = 1000
_NPZ_MAX_EXPANSION = 100


def readable_memory_size(nbytes):
    """``1536`` -> ``'1.50 KB'``."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if nbytes < 1024 or unit == "PB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _declared_too_big(declared, stored, ratio):
    return declared > LIMITS.max_array_bytes or (
        declared > _BOMB_FLOOR_BYTES and declared > ratio * max(stored, 1))


# ----- HDF5 guards -------------------------------------------------------------------------------
def safe_get_h5_group(parent, name):
    """The group ``name`` (``'a/b'``) below ``parent``, refusing soft and external links."""
    import h5py

    current = parent
    for part in name.split("/"):
        if not part:
            raise ValueError(f"Invalid path in H5 file: {name}")
        if part not in current:
            raise KeyError(name)
        if not isinstance(current, dict):
            kind = current.get(part, default=None, getclass=True, getlink=True)
            if kind in (h5py.ExternalLink, h5py.SoftLink):
                raise ValueError(f"Not allowed: H5 file with {kind.__name__}")
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise ValueError(f"Invalid H5 file, expected Group but received {type(current)}")
    return current


def safe_get_h5_dataset(group, name):
    """The dataset ``name`` of ``group``, refusing links, external or virtual storage, and
    "shape bombs" (a declared size far beyond what the file stores)."""
    import h5py

    if "/" in name:
        group_name, name = name.rsplit("/", 1)
        group = safe_get_h5_group(group, group_name)
    if name not in group:
        raise KeyError(name)
    kind = group.get(name, default=None, getclass=True, getlink=True)
    if kind in (h5py.ExternalLink, h5py.SoftLink):
        raise ValueError(f"Not allowed: H5 file with {kind.__name__}")
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"Invalid H5 file, expected Dataset, received {type(dataset)}")
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file with external Dataset: {dataset.external}")
    if dataset.is_virtual:
        raise ValueError("Not allowed: H5 file with virtual Dataset")
    declared = math.prod(dataset.shape or ()) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if _declared_too_big(declared, stored, _H5_MAX_EXPANSION):
        raise ValueError(f"Not allowed: H5 dataset '{name}' declares "
                         f"{readable_memory_size(declared)} but only "
                         f"{readable_memory_size(stored)} are stored on disk; refusing to load "
                         f"a potential decompression/shape bomb.")
    return dataset


# ----- one HDF5 file -----------------------------------------------------------------------------
class H5IOStore:
    """Variables in one HDF5 file (or a member of a zip ``archive``): ``make(path)`` (write
    mode) and ``get(path)`` (read mode) select the group ``<path>/vars``, then the store reads
    and writes it like a dict. Writes land atomically when the store is closed.

    Args:
        path_or_io: a path or an ``io.BytesIO``.
        archive: optional open ``zipfile.ZipFile``; ``path_or_io`` is then the member name.
        mode: ``'r'`` or ``'w'``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from numdeep.saving.stores import H5IOStore
        >>> path = os.path.join(tempfile.mkdtemp(), "store.h5")
        >>> store = H5IOStore(path, mode="w")
        >>> store.make("layers/dense")["0"] = np.ones(3)
        >>> store.close()
        >>> H5IOStore(path, mode="r").get("layers/dense")["0"].tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, path_or_io, archive=None, mode="r"):
        if mode not in ("w", "r"):
            raise ValueError(f"`mode` should be either 'w' or 'r'. Received: {mode}")
        if isinstance(path_or_io, str | pathlib.Path):
            self.path_or_io = pathlib.Path(path_or_io)
        elif isinstance(path_or_io, io.BytesIO):
            if archive is not None:
                raise ValueError("When `path_or_io` is an `io.BytesIO` object, `archive` should "
                                 "be `None`.")
            self.path_or_io = path_or_io
        else:
            raise TypeError(f"`path_or_io` should be a `str`, `pathlib.Path` or `io.BytesIO` "
                            f"object. Received: path_or_io={path_or_io} of type "
                            f"{type(path_or_io)}.")
        self.mode, self.archive = mode, archive
        self.h5_file = self._open(self.path_or_io)
        self._group, self._group_path, self._initialized = {}, None, False

    def _open(self, source):
        import h5py

        if self.mode == "w":
            self._buffer = io.BytesIO()
            return h5py.File(self._buffer, "w")
        if self.archive is not None:
            info = self.archive.getinfo(str(source))
            check_zip_members([info])
            data = self.archive.read(info)
        elif isinstance(source, io.BytesIO):
            data = source.getvalue()
        else:
            data = h5io.read_file_bytes(source)
        return h5io.open_h5(data)

    def __bool__(self):
        return bool(self.h5_file)

    def make(self, path, metadata=None):
        """Select (and later create) the group of ``path`` for writing."""
        if self.mode != "w":
            raise ValueError("`make` is only allowed in write mode.")
        if not isinstance(metadata, dict | type(None)):
            raise ValueError(f"`metadata` should be a dict or `None`. Received: {metadata}")
        self._group_path, self._group, self._initialized = path, {}, False
        if metadata:
            self._create_group(metadata)
        return self

    def get(self, path):
        """Select the group of ``path`` for reading (empty when the file has none)."""
        if self.mode != "r":
            raise ValueError("`get` is only allowed in read mode.")
        self._group_path, self._group, self._initialized = path, {}, True
        full = f"{path}/vars" if path else "vars"
        try:
            self._group = safe_get_h5_group(self.h5_file, full)
        except KeyError:
            pass
        return self

    def has_path(self, path):
        """Whether the file has a group at ``path``."""
        return path in self.h5_file

    def _create_group(self, metadata=None):
        full = f"{self._group_path}/vars" if self._group_path else "vars"
        self._group = self.h5_file.require_group(full)
        for key, value in (metadata or {}).items():
            self._group.attrs[key] = value
        self._initialized = True

    def close(self):
        """Close the file; in write mode, write it (to its path, archive or BytesIO)."""
        self.h5_file.close()
        if self.mode != "w":
            return
        data = self._buffer.getvalue()
        if self.archive is not None:
            self.archive.writestr(str(self.path_or_io), data)
        elif isinstance(self.path_or_io, io.BytesIO):
            self.path_or_io.write(data)
        else:
            with atomic_write(self.path_or_io, "wb") as f:
                f.write(data)

    # ----- the selected group, as a dict ---------------------------------------------------
    def __len__(self):
        return len(self._group)

    def keys(self):
        return self._group.keys()

    def __getitem__(self, key):
        return np.array(safe_get_h5_dataset(self._group, key))

    def __setitem__(self, key, value):
        if self.mode != "w":
            raise ValueError("Setting a value is only allowed in write mode.")
        if not self._initialized:
            self._create_group()
        self._group[key] = np.asarray(to_numpy(getattr(value, "data", value)))

    def __delitem__(self, key):
        if self.mode != "w":
            raise ValueError("Deleting a value is only allowed in write mode.")
        del self._group[key]

    def __contains__(self, key):
        return key in self._group


# ----- several HDF5 files ------------------------------------------------------------------------
class ShardedH5IOStore:
    """Variables spread over HDF5 shards of at most ``max_shard_size`` GB
    (``<name>_00000.weights.h5``, ...) next to a ``<name>.json`` index (``weight_map``: group
    -> shard file names).

    Args:
        path_or_io: the ``.json`` path (another suffix is replaced, with a warning).
        max_shard_size: the largest shard, in GB.
        archive: unsupported (kept for Keras's signature).
        mode: ``'r'`` or ``'w'``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from numdeep.saving.stores import ShardedH5IOStore
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.json")
        >>> store = ShardedH5IOStore(path, max_shard_size=2e-6, mode="w")  # about 2 KB a shard
        >>> entry = store.make("layers/dense")
        >>> entry["0"], entry["1"] = np.zeros(200), np.ones(200)  # 1.6 KB each
        >>> store.close()
        >>> sorted(n for n in os.listdir(os.path.dirname(path)) if n.endswith(".h5"))
        ['w_00000.weights.h5', 'w_00001.weights.h5']
        >>> ShardedH5IOStore(path, mode="r").get("layers/dense")["1"].sum()
        np.float64(200.0)
    """

    def __init__(self, path_or_io, max_shard_size=5, archive=None, mode="r"):
        if mode not in ("w", "r"):
            raise ValueError(f"`mode` should be either 'w' or 'r'. Received: {mode}")
        if not isinstance(path_or_io, str | pathlib.Path):
            raise TypeError(f"`path_or_io` should be a `str`, `pathlib.Path` object. Received: "
                            f"path_or_io={path_or_io} of type {type(path_or_io)}.")
        self.path, self.mode, self.archive = pathlib.Path(path_or_io), mode, archive
        self.max_shard_size = float(max_shard_size) * 1024 ** 3
        self.base_name = self.path.stem.replace(".weights", "")
        if self.path.suffix != ".json":
            new = self.path.with_suffix(".json")
            warnings.warn(f"{'Saving' if mode == 'w' else 'Loading'} sharded weights requires "
                          f"`*.json` as the extension. The original path: {self.path} will be "
                          f"renamed to {new}.", stacklevel=2)
            self.path = new
        self._files = {}  # shard file name -> open h5py.File
        self._buffers = {}  # shard file name -> its bytes, until written (write mode)
        self._group_name, self._group_path = None, None
        self.total_shard_size = self.current_shard_size = 0
        if mode == "w":
            self.sharding_config = {"metadata": {"total_size": 0}, "weight_map": {}}
            self.current_shard_index = 0
            self._new_shard()
        else:
            raw = h5io.read_file_bytes(self.path, LIMITS.max_config_bytes)
            self.sharding_config = load_json(raw, self.path.name)

    # ----- shards -------------------------------------------------------------------------
    def _new_shard(self):
        import h5py

        name = f"{self.base_name}_{self.current_shard_index:05}.weights.h5"
        self.current_shard_index += 1
        self.current_shard = name
        # Shards are built in memory and written when the store closes: a failed save leaves
        # the files of a previous one as they were.
        self._buffers[name] = io.BytesIO()
        self._files[name] = h5py.File(self._buffers[name], "w")
        self.current_shard_size = 0

    def _file(self, name):
        if name not in self._files:
            if pathlib.Path(name).name != name:
                raise ValueError(f"Invalid shard file name {name!r} in {self.path.name}")
            shard = self.path.with_name(name)
            try:
                self._files[name] = h5io.open_h5(h5io.read_file_bytes(shard))
            except CorruptFileError as e:
                raise e.located(str(shard), "weights shard (.weights.h5)") from e
        return self._files[name]

    def _shards(self):
        """The shard files holding the selected group, in order."""
        names = self.sharding_config["weight_map"].get(self._group_name, [])
        return [names] if isinstance(names, str) else list(names)

    def _groups(self):
        out = []
        for name in self._shards():
            f = self._file(name)
            if self._group_name.lstrip("/") in f:
                out.append(safe_get_h5_group(f, self._group_name.lstrip("/")))
        return out

    # ----- selecting a group --------------------------------------------------------------
    def _select(self, path):
        self._group_path = path
        self._group_name = f"/{path}/vars" if path else "/vars"

    def make(self, path, metadata=None):
        """Select the group of ``path`` for writing."""
        if self.mode != "w":
            raise ValueError("`make` is only allowed in write mode.")
        if not isinstance(metadata, dict | type(None)):
            raise ValueError(f"`metadata` should be a dict or `None`. Received: {metadata}")
        self._select(path)
        return self

    def get(self, path):
        """Select the group of ``path`` for reading."""
        if self.mode != "r":
            raise ValueError("`get` is only allowed in read mode.")
        self._select(path)
        return self

    def has_path(self, path):
        """Whether any shard holds a group below ``path``."""
        lead = f"/{path}"
        return any(k == lead or k.startswith(lead + "/") for k in
                   self.sharding_config.get("weight_map", {}))

    def close(self):
        """Close the shards; in write mode, write them (each atomically), then the ``.json``
        index."""
        for f in self._files.values():
            f.close()
        self._files = {}
        if self.mode != "w":
            return
        for name, buffer in self._buffers.items():
            with atomic_write(self.path.with_name(name), "wb") as f:
                f.write(buffer.getvalue())
        self._buffers = {}
        self.sharding_config["metadata"]["total_size"] = self.total_shard_size
        with atomic_write(self.path, "w") as f:
            f.write(json.dumps(self.sharding_config, indent=4))

    def discard(self):
        """Close without writing anything (a save that failed)."""
        for f in self._files.values():
            f.close()
        self._files, self._buffers = {}, {}

    # ----- the selected group, as a dict --------------------------------------------------
    def __len__(self):
        return sum(len(g) for g in self._groups())

    def keys(self):
        return [k for g in self._groups() for k in g.keys()]

    def __getitem__(self, key):
        for group in self._groups():
            if key in group:
                return np.array(safe_get_h5_dataset(group, key))
        raise KeyError(f"Key '{key}' not found in any of the shards: {self._shards()}")

    def __setitem__(self, key, value):
        if self.mode != "w":
            raise ValueError("Setting a value is only allowed in write mode.")
        value = np.asarray(to_numpy(getattr(value, "data", value)))
        size = value.nbytes
        if size > self.max_shard_size:
            raise ValueError(f"The size of {key} is {readable_memory_size(size)} which exceeds "
                             f"the maximum shard size {readable_memory_size(self.max_shard_size)}"
                             f". You can increase the `max_shard_size` parameter to accommodate "
                             f"the size.")
        self.total_shard_size += size
        if self.current_shard_size + size > self.max_shard_size:
            self._new_shard()
        self.current_shard_size += size
        group = self._files[self.current_shard].require_group(self._group_name.lstrip("/"))
        group[key] = value
        shards = self._shards()
        if self.current_shard not in shards:
            shards.append(self.current_shard)
        weight_map = self.sharding_config["weight_map"]
        weight_map[self._group_name] = shards[0] if len(shards) == 1 else shards

    def __delitem__(self, key):
        if self.mode != "w":
            raise ValueError("Deleting a value is only allowed in write mode.")
        for group in self._groups():
            if key in group:
                del group[key]
                return
        raise KeyError(f"Key '{key}' not found in any of the shards: {self._shards()}")

    def __contains__(self, key):
        return any(key in g for g in self._groups())

    def entries(self):
        """``{store path: {key: array}}`` of every group in the index (read mode)."""
        out = {}
        for name in self.sharding_config.get("weight_map", {}):
            path = name.strip("/")
            self._select(path[:-len("/vars")] if path.endswith("/vars") else "")
            out[path] = {k: self[k] for k in sorted(self.keys(), key=_index_key)}
        return out


def _index_key(key):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
