"""Keras's ``saving_lib`` names: the ``.keras`` format's writer and reader
(``save_model``/``load_model``, file objects included), weights-only files
(``save_weights_only``/``load_weights_only``, ``objects_to_skip``, sharding), the store
classes, and Keras's guards against zip decompression bombs (whose limits tests may lower).

``.keras`` files are read whole into memory after their members are checked (sizes, ratios,
names); ``_MEMORY_UPPER_BOUND`` is kept for Keras's API but numdeep never extracts weights to
disk to read them.
"""

import io
import os
import tempfile
import warnings
import zipfile

from numdeep.saving import h5io, keras_zip
from numdeep.saving.atomic import atomic_write
from numdeep.saving.disk_stores import DiskIOStore, NpzIOStore
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.object_config import deserialize
from numdeep.saving.serialization import serialize_layer
from numdeep.saving.sharing import ObjectSharingScope
from numdeep.saving.stores import (
    H5IOStore,
    ShardedH5IOStore,
    readable_memory_size,
    safe_get_h5_dataset,
    safe_get_h5_group,
)
from numdeep.saving.weights_plan import (
    apply_plan,
    build_budget,
    plan_assignment,
    plan_optimizer,
    warn_config_only_state,
)
from numdeep.saving.weights_store import collect, write_store

__all__ = ["save_model", "load_model", "save_weights_only", "load_weights_only", "H5IOStore",
           "ShardedH5IOStore", "NpzIOStore", "DiskIOStore", "safe_get_h5_group",
           "safe_get_h5_dataset", "get_temp_dir", "load_from_content"]

_CONFIG_FILENAME = keras_zip.CONFIG
_METADATA_FILENAME = keras_zip.METADATA
_VARS_FNAME = "model.weights"
_VARS_FNAME_H5 = keras_zip.WEIGHTS_H5
_VARS_FNAME_NPZ = keras_zip.WEIGHTS_NPZ
_ASSETS_DIRNAME = keras_zip.ASSETS
_MEMORY_UPPER_BOUND = 0.5
# Keras's decompression-bomb guards (CWE-409): a member above the floor that expands more than
# `_ZIP_MEMBER_MAX_EXPANSION` times its stored size is refused. numdeep's `LIMITS` apply too.
_ZIP_MEMBER_BOMB_FLOOR_BYTES = 1 << 32
_ZIP_MEMBER_MAX_EXPANSION = 100
_ZIP_EXTRACT_BOMB_FLOOR_BYTES = 1 << 28


def get_temp_dir():
    """A new temporary directory."""
    return tempfile.mkdtemp()


# ----- zip guards --------------------------------------------------------------------------------
def _bomb(info, floor):
    return info.file_size > floor and \
        info.file_size > _ZIP_MEMBER_MAX_EXPANSION * info.compress_size


def _reject_zip_bomb(archive, name):
    """Refuse a member that declares far more bytes than it stores."""
    info = archive.getinfo(name)
    if _bomb(info, _ZIP_MEMBER_BOMB_FLOOR_BYTES):
        raise ValueError(f"Not allowed: ZIP member '{name}' declares "
                         f"{readable_memory_size(info.file_size)} but only "
                         f"{readable_memory_size(info.compress_size)} are stored on disk; "
                         f"refusing to load a potential decompression bomb.")


def _safe_zip_read(archive, name):
    """A zip member's bytes, after ``_reject_zip_bomb``."""
    _reject_zip_bomb(archive, name)
    with archive.open(name, "r") as f:
        return f.read()


def _reject_zip_extract_bomb(archive):
    """Refuse an archive any member of which would expand far beyond its stored size."""
    if not isinstance(archive, zipfile.ZipFile):
        return
    for info in archive.infolist():
        if _bomb(info, _ZIP_EXTRACT_BOMB_FLOOR_BYTES):
            raise ValueError(f"Not allowed: archive member '{info.filename}' declares "
                             f"{readable_memory_size(info.file_size)} but only "
                             f"{readable_memory_size(info.compress_size)} are stored on disk; "
                             f"refusing to extract a potential decompression bomb.")


def _check_archive(source):
    """Keras's checks of a ``.keras`` archive, before numdeep's reader opens it."""
    if hasattr(source, "seek"):
        source.seek(0)
    with zipfile.ZipFile(source) as zf:
        names = zf.namelist()
        for name in (_CONFIG_FILENAME, _VARS_FNAME_H5, _VARS_FNAME_NPZ):
            if name in names:
                _reject_zip_bomb(zf, name)
        if len(names) > 3:
            _reject_zip_extract_bomb(zf)
    if hasattr(source, "seek"):
        source.seek(0)


# ----- whole models ------------------------------------------------------------------------------
def save_model(model, filepath, weights_format="h5", zipped=True):
    """Write ``model`` as a ``.keras`` archive: to a path (atomically), to a directory
    (``zipped=False``) or to a writable file object.

    Example:
        >>> import io
        >>> import numdeep as nd
        >>> from numdeep.saving import saving_lib
        >>> model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(1)])
        >>> buffer = io.BytesIO()
        >>> saving_lib.save_model(model, buffer)
        >>> saving_lib.load_model(io.BytesIO(buffer.getvalue())).count_params()
        3
    """
    if weights_format != "h5":
        raise ValueError(f"numdeep writes the weights as HDF5 only ('h5'). Received: "
                         f"weights_format={weights_format}")
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain "
                      "any weights yet. Consider building the model first by calling it on some "
                      "data.", stacklevel=2)
    is_file = isinstance(filepath, io.IOBase)
    if not is_file:
        filepath = os.fspath(filepath)
        if zipped and not str(filepath).endswith(".keras"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.keras` extension. "
                             f"Received: filepath={filepath}")
        if not zipped and str(filepath).endswith(".keras"):
            raise ValueError(f"When using `zipped=False`, the `filepath` argument should not end "
                             f"in `.keras`. Received: filepath={filepath}")
    with ObjectSharingScope():
        config = serialize_layer(model)
    keras_zip.save_keras(model, filepath, config, zipped=zipped or is_file)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Read a ``.keras`` archive (path, directory or readable file object) through the safe
    reader; see ``numdeep.saving.load_model``."""
    if isinstance(filepath, io.IOBase):
        source, name = filepath, "<file object>"
    else:
        source = name = os.fspath(filepath)
        if not os.path.lexists(source):  # a directory save killed between its two renames
            keras_zip.recover_directory(source)
        if not str(source).endswith(".keras"):
            if not (os.path.isdir(source) and
                    os.path.exists(os.path.join(source, _CONFIG_FILENAME))):
                raise ValueError(f"Invalid filename: expected a `.keras` extension. Received: "
                                 f"filepath={source}")
    if hasattr(source, "read") or os.path.isfile(source):
        try:
            _check_archive(source)
        except zipfile.BadZipFile:
            pass  # numdeep's reader names the problem
    content = keras_zip.read_keras(source)
    return load_from_content(content, name, custom_objects, compile, safe_mode)


def load_from_content(content, name, custom_objects=None, compile=True, safe_mode=True):
    """Build the model a read ``.keras`` file describes, then load its variables and assets
    (nothing is assigned unless every variable matches)."""
    config = dict(content.config)
    if not compile:
        config.pop("compile_config", None)
    try:
        arrays = [a for entry in content.store.values() for a in entry.values()]
        with ObjectSharingScope(), build_budget(arrays):
            model = deserialize(config, custom_objects, category="layer", safe_mode=safe_mode)
        plan = plan_assignment(model, content.store, what="the saved weights")
        load_optimizer = plan_optimizer(model, plan.optimizer_arrays, name) if compile else None
    except CorruptFileError as e:
        raise e.located(name, keras_zip.FORMAT) from e
    except ValueError as e:
        raise CorruptFileError(str(e), name, keras_zip.FORMAT) from e
    apply_plan(plan)
    if load_optimizer is not None:
        load_optimizer()
    keras_zip.load_assets(model, content.assets)
    return model


# ----- weights -----------------------------------------------------------------------------------
def save_weights_only(model, filepath, max_shard_size=None, objects_to_skip=None):
    """Write the variables of ``model`` (and its optimizer) to ``.weights.h5``, or to shards of
    at most ``max_shard_size`` GB with a ``.weights.json`` index; ``objects_to_skip`` are left
    out.

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> from numdeep.saving import saving_lib
        >>> model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(2), nd.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
        >>> saving_lib.save_weights_only(model, path, objects_to_skip=[model.layers[0]])
        >>> other = nd.Sequential([nd.Input((2,)), nd.layers.Dense(2), nd.layers.Dense(1)])
        >>> saving_lib.load_weights_only(other, path, objects_to_skip=[other.layers[0]])
        >>> bool((other.layers[1].kernel.numpy() == model.layers[1].kernel.numpy()).all())
        True
    """
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    path = os.fspath(filepath)
    if max_shard_size is None and not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if max_shard_size is not None and not path.endswith(("weights.h5", "weights.json")):
        raise ValueError(f"The filename must end in `.weights.json` when `max_shard_size` is "
                         f"specified. Received: filepath={path}")
    warn_config_only_state(model)
    skip = list(objects_to_skip or ())
    if max_shard_size is not None:
        store = ShardedH5IOStore(path, max_shard_size, mode="w")
        try:
            for key, (_, entry) in collect(model, skip).items():
                store.make(key.rsplit("/vars", 1)[0] if key != "vars" else "")
                for k, value in entry.items():
                    store[k] = value
        except BaseException:
            store.discard()
            raise
        store.close()
        return
    data = h5io.build_h5(lambda f: write_store(f, model, objects_to_skip=skip), checksum=True)
    with atomic_write(path, "wb") as f:
        f.write(data)


def read_weights(filepath):
    """``{store path: {key: array}}`` of a ``.weights.h5``, ``.weights.json`` or ``.keras``."""
    path = os.fspath(filepath)
    if path.endswith(".weights.json"):
        try:
            store = ShardedH5IOStore(path, mode="r")
            try:
                return store.entries()
            finally:
                store.close()
        except CorruptFileError as e:
            raise e.located(path, "sharded weights (.weights.json)") from e
    if path.endswith(".keras") or (os.path.isfile(path) and zipfile.is_zipfile(path)):
        if os.path.isfile(path):
            _check_archive(path)
        return keras_zip.read_keras(path).store
    from numdeep.saving import legacy_h5

    content = legacy_h5.read_h5(path)
    if content.store is None:
        raise CorruptFileError("the file uses the legacy layer layout", path, legacy_h5.FORMAT)
    return content.store


def load_weights_only(model, filepath, skip_mismatch=False, objects_to_skip=None):
    """Load the variables of ``.weights.h5``, ``.weights.json`` or ``.keras`` into ``model``,
    all or nothing (``skip_mismatch``: the matching objects only)."""
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try "
                         "building the model first by calling it on some data or by using "
                         "`build()`.")
    stored = read_weights(filepath)
    try:
        plan = plan_assignment(model, stored, skip_mismatch,
                               objects_to_skip=objects_to_skip or ())
        load_optimizer = plan_optimizer(model, plan.optimizer_arrays, os.fspath(filepath))
    except CorruptFileError as e:
        raise e.located(os.fspath(filepath), "weights (.weights.h5)") from e
    apply_plan(plan, skip_mismatch)
    if load_optimizer is not None:
        load_optimizer()
