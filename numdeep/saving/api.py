"""Keras's ``saving_api``: ``save_model``/``load_model``/``save_weights``/``load_weights`` pick
the format from the file name (``.keras`` zip or directory, ``.weights.h5``/``.weights.json``,
legacy ``.h5``), check Keras's arguments, and keep loads all-or-nothing: nothing is assigned
until the whole file has been read and matched."""

import os
import warnings

from numdeep.callbacks import orbax_checkpoint
from numdeep.saving import legacy_h5, saving_lib
from numdeep.saving.compile_config import compile_from_config, get_compile_config
from numdeep.saving.errors import ConfigTypeError, CorruptFileError, MissingFileError
from numdeep.saving.object_config import Reader, deserialize
from numdeep.saving.safety import load_json
from numdeep.saving.weights_plan import assign, plan_optimizer, warn_config_only_state

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_config",
           "model_from_json", "get_compile_config", "compile_from_config"]


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{os.fspath(filepath)!r} exists and overwrite=False.")


# ----- models ------------------------------------------------------------------------------------
def model_from_config(config, custom_objects=None):
    """Build a model (or layer) from its Keras config dict, through the allow-list only.

    Args:
        config: ``{'class_name': ..., 'config': ...}`` (either Keras dialect).
        custom_objects: ``{name: class or function}`` for user objects.

    Returns:
        The model, with fresh weights.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import model_from_config
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> clone = model_from_config({"class_name": "Sequential",
        ...                            "config": model.get_config()})
        >>> clone.output_shape
        (None, 2)

    Raises:
        ConfigTypeError: (a ``TypeError``) ``config`` is not a dict.
    """
    if not isinstance(config, dict):
        hint = (" Did you mean to use `Sequential.from_config(config)`?"
                if isinstance(config, list) else "")
        kind = "a list" if isinstance(config, list) else f"a value of type {type(config).__name__}"
        raise ConfigTypeError(f"`model_from_config` expects a dictionary, not {kind}. "
                              f"Received: config={str(config)[:200]}.{hint}")
    return deserialize(config, custom_objects, category="layer")


def model_from_json(json_string, custom_objects=None):
    """``model_from_config`` on JSON text (size and nesting checked first).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import model_from_json
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> model_from_json(model.to_json()).count_params()
        8
    """
    return model_from_config(load_json(json_string, "JSON config"), custom_objects)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save a whole model: architecture, weights, compile config and optimizer state.

    ``.keras`` writes the Keras 3 zip (``zipped=False``: the same files in a directory whose
    name does not end in ``.keras``); ``.h5`` writes the legacy HDF5 layout (with a warning).
    The write is atomic: a failure (exception, ``KeyboardInterrupt``, full disk) leaves any
    previous file untouched. The model itself is never modified.

    Args:
        model: a ``Sequential``, functional or subclassed ``Model``.
        filepath: path ending in ``.keras`` or ``.h5``.
        overwrite: when false, refuse (``FileExistsError``) to replace an existing file.
        zipped: ``.keras`` only; ``False`` writes a directory.
        **kwargs: Keras's ``include_optimizer`` (legacy ``.h5``) and the deprecated
            ``save_format``.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> from numdeep.saving import load_model, save_model
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> save_model(model, path)
        >>> x = np.ones((1, 3), "float32")
        >>> bool((load_model(path).predict(x, verbose=0) == model.predict(x, verbose=0)).all())
        True
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    path = str(filepath)
    if save_format:
        if not path.endswith((".h5", ".hdf5", ".keras")):
            raise ValueError(f"The `save_format` argument is deprecated in Keras 3. Please remove "
                             f"this argument and pass a file path with either `.keras` or `.h5` "
                             f"extension.Received: save_format={save_format}")
        warnings.warn(f"The `save_format` argument is deprecated in Keras 3. We recommend "
                      f"removing this argument as it can be inferred from the file path. "
                      f"Received: save_format={save_format}", stacklevel=2)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if path.endswith((".h5", ".hdf5")):
        warnings.warn("You are saving your model as an HDF5 file via `model.save()` or "
                      "`keras.saving.save_model(model)`. This file format is considered legacy. "
                      "We recommend using instead the native Keras format, e.g. "
                      "`model.save('my_model.keras')` or "
                      "`keras.saving.save_model(model, 'my_model.keras')`. ", stacklevel=2)
    zipped = True if zipped is None else zipped
    _check_overwrite(filepath, overwrite)
    if not zipped or path.endswith(".keras"):
        return saving_lib.save_model(model, filepath, zipped=zipped)
    if path.endswith((".h5", ".hdf5")):
        return legacy_h5.save_model_to_hdf5(model, filepath, overwrite, include_optimizer)
    raise ValueError(f"Invalid filepath extension for saving. Please add either a `.keras` "
                     f"extension for the native Keras format (recommended) or a `.h5` extension. "
                     f"Received: filepath={filepath}.")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved as ``.keras`` (file, directory or file object) or legacy ``.h5``
    (Keras 3 or tf.keras 2 dialects), by numdeep or by Keras.

    Loading is always safe: classes and functions resolve only through the allow-list (numdeep
    built-ins, ``register_keras_serializable``, ``custom_objects``), no module is imported and no
    code or pickle is ever loaded. ``safe_mode=False`` does not change that: a lambda in a file
    is refused either way (the message says how to pass the function instead).

    Args:
        filepath: the file (or ``.keras`` directory).
        custom_objects: ``{name: class or function}`` for user objects, including the
            functions of ``Lambda`` layers.
        compile: restore the compile state (optimizer and its slots, loss, metrics).
        safe_mode: Keras's flag (see above).

    Returns:
        The model.

    Raises:
        CorruptFileError: the file is damaged or inconsistent (names the file and format).
        UnsafeFileError: the file asks for something safe loading refuses.
        ValueError: a missing ``.keras`` file (also a ``FileNotFoundError``) or an unsupported
            file name.

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> from numdeep.saving import CorruptFileError, load_model
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> model.save(path)
        >>> type(load_model(path).optimizer).__name__
        'Adam'
        >>> with open(path, "r+b") as f:  # one damaged byte in the weights
        ...     _ = f.seek(os.path.getsize(path) - 2000)
        ...     _ = f.write(b"?")
        >>> try:
        ...     load_model(path)
        ... except CorruptFileError as e:
        ...     print(type(e).__name__)
        CorruptFileError
    """
    if hasattr(filepath, "read"):
        return saving_lib.load_model(filepath, custom_objects, compile, safe_mode)
    path = orbax_checkpoint.latest_model_path(os.fspath(filepath))  # newest OrbaxCheckpoint step
    if not os.path.lexists(path):  # a directory save killed between its two renames
        saving_lib.keras_zip.recover_directory(path)
    is_dir = os.path.isdir(path) and os.path.exists(os.path.join(path, "config.json"))
    if is_dir or (path.endswith(".keras") and os.path.exists(path)):
        return saving_lib.load_model(path, custom_objects, compile, safe_mode)
    if path.endswith((".h5", ".hdf5")) or (os.path.isfile(path) and not path.endswith(".keras")
                                           and _magic(path) != b"PK"):
        return legacy_h5.load_model_from_hdf5(path, custom_objects, compile)
    if path.endswith(".keras"):
        raise MissingFileError(path, f"File not found: filepath={path}. Please ensure the file "
                                     f"is an accessible `.keras` zip file.")
    if os.path.isfile(path):  # a .keras zip under another name
        return saving_lib.load_from_content(saving_lib.keras_zip.read_keras(path), path,
                                            custom_objects, compile, safe_mode)
    raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 "
                     f"`.keras` files, legacy H5 format files (`.h5` extension).")


def _magic(path):
    with open(path, "rb") as f:
        return f.read(2)


# ----- weights -----------------------------------------------------------------------------------
def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Save the weights (and the optimizer state, when compiled) atomically.

    ``.weights.h5`` uses the Keras 3 variable store layout
    (``layers/<snake_case class>/vars/<i>``, ``optimizer/vars/<i>``); with ``max_shard_size``
    (GB) the variables are split over ``.weights.h5`` shards indexed by a ``.weights.json``;
    any other ``.h5`` gets the legacy layout. Files carry a SHA-256 of their content in the
    HDF5 user block, which ``load_weights`` checks before parsing.

    Args:
        model: a built model.
        filepath: path ending in ``.weights.h5`` (``.weights.json`` when sharded, or a legacy
            ``.h5``).
        overwrite: when false, refuse (``FileExistsError``) to replace an existing file.
        max_shard_size: the largest shard in GB.
        **kwargs: ``objects_to_skip``: layers (with their sub-layers) to leave out.

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> from numdeep.saving import load_weights, save_weights
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
        >>> save_weights(model, path)
        >>> other = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> load_weights(other, path)
        >>> all((a == b).all() for a, b in zip(other.get_weights(), model.get_weights()))
        True
    """
    path = os.fspath(filepath)
    legacy = max_shard_size is None and path.endswith((".h5", ".hdf5")) and \
        not path.endswith(".weights.h5")
    if not legacy and max_shard_size is None and not path.endswith(".weights.h5"):
        raise ValueError(f"Invalid filepath extension for save_weights: the filename must end in "
                         f"`.weights.h5`. Received: filepath={path}")
    if kwargs.keys() - {"objects_to_skip"}:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    _check_overwrite(filepath, overwrite)
    if not legacy:
        return saving_lib.save_weights_only(model, filepath, max_shard_size, **kwargs)
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    warn_config_only_state(model)
    legacy_h5.save_h5(model, filepath)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights (and optimizer state, when the model is compiled) from ``.weights.h5``,
    ``.weights.json``, ``.keras`` or legacy ``.h5``. All-or-nothing: a damaged file raises
    ``CorruptFileError`` and a mismatch raises ``ValueError`` listing every mismatched variable,
    before anything changes.

    Args:
        model: a built model; a compiled one also gets the optimizer state (its optimizer is
            built on ``model.trainable_weights`` first when needed).
        filepath: the file.
        skip_mismatch: load the layers that match and skip the others (with a warning).
        **kwargs: ``objects_to_skip`` (``.weights.h5``: layers left as they are) and
            ``by_name`` (legacy ``.h5``: match layers by name rather than order).

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> from numdeep.saving import load_weights
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
        >>> nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)]).save_weights(path)
        >>> wider = nd.Sequential([nd.Input((3,)), nd.layers.Dense(4)])
        >>> try:
        ...     load_weights(wider, path)
        ... except ValueError as e:
        ...     print(str(e).splitlines()[1])
          layers/dense/vars/0 (...): expected shape (3, 4) float32, found (3, 2) float32 (...)
    """
    filepath = path = orbax_checkpoint.latest_weights_path(os.fspath(filepath))
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    weights_file = path.endswith((".weights.h5", ".weights.json"))
    if objects_to_skip is not None and not weights_file:
        raise ValueError(f"`objects_to_skip` only supports loading '.weights.h5' files."
                         f"Received: {filepath}")
    if by_name is not None and (weights_file or path.endswith(".keras")):
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
                         f"Received: {filepath}")
    if not path.endswith((".keras", ".weights.h5", ".weights.json", ".h5", ".hdf5")) and \
            not os.path.isfile(path):
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 "
                         f"`.keras` files, `.weights.h5` files, legacy H5 format files (`.h5` "
                         f"extension).")
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try "
                         "building the model first by calling it on some data or by using "
                         "`build()`.")
    if weights_file or path.endswith(".keras") or _magic(path) == b"PK":
        return saving_lib.load_weights_only(model, filepath, skip_mismatch, objects_to_skip)
    content = legacy_h5.read_h5(path)
    if content.store is not None:
        return saving_lib.load_weights_only(model, filepath, skip_mismatch)
    pairs = legacy_h5.plan_legacy(model, content.layers, skip_mismatch, by_name=bool(by_name))
    try:
        load_optimizer = plan_optimizer(model, content.optimizer, path)
    except CorruptFileError as e:
        raise e.located(path, legacy_h5.FORMAT) from e
    assign(pairs)
    if load_optimizer is not None:
        load_optimizer()


def model_class_from_config(cls, config, custom_objects=None):
    """``cls.from_config`` for models: a layer graph config builds through the allow-list."""
    from numdeep.saving.model_config import model_from_config as build

    if isinstance(config, list) or (isinstance(config, dict) and "layers" in config):
        build(Reader(custom_objects, build=False), cls, config, "config")
        return build(Reader(custom_objects, build=True), cls, config, "config")
    return cls(**config)
