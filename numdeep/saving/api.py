"""``save_model``/``load_model``/``save_weights``/``load_weights``: pick the format from the file
name, restore the compile state (optimizer with its slots, loss, metrics) and keep loads
all-or-nothing: nothing is assigned until the whole file has been read and matched."""

import os

from numdeep.saving import h5io, keras_zip, legacy_h5
from numdeep.saving.atomic import atomic_write
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.object_config import Reader
from numdeep.saving.safety import load_json
from numdeep.saving.serialization import function_entry, serialize, serialize_layer
from numdeep.saving.weights_store import (
    assign,
    plan_assignment,
    restore_optimizer,
    warn_config_only_state,
    write_store,
)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_config",
           "model_from_json", "get_compile_config"]


def _kind(filepath, weights=False):
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):
        return "store"
    if path.endswith(".keras"):
        return "keras"
    if path.endswith((".h5", ".hdf5")):
        return "h5"
    if not weights and os.path.isdir(path):
        return "keras"
    return None


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{os.fspath(filepath)!r} exists and overwrite=False.")


# ----- compile config ----------------------------------------------------------------------------
def _loss_entry(loss):
    from numdeep import losses

    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, list | tuple):
        return [_loss_entry(x) for x in loss]
    if isinstance(loss, dict):
        return {k: _loss_entry(v) for k, v in loss.items()}
    if isinstance(loss, losses.LossFunctionWrapper):
        return function_entry(loss.fn)
    return serialize(loss)


def _metric_entry(metric):
    from numdeep import metrics

    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, list | tuple):
        return [_metric_entry(x) for x in metric]
    if isinstance(metric, dict):
        return {k: _metric_entry(v) for k, v in metric.items()}
    if type(metric) is metrics.MeanMetricWrapper:
        return function_entry(metric._fn)
    return serialize(metric)


def get_compile_config(model):
    """The Keras ``compile_config`` of a compiled model (``None`` when not compiled). Reads the
    live model without changing it (Keras's legacy save pops the optimizer; numdeep does not).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import get_compile_config
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        >>> config = get_compile_config(model)
        >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
        ('Adam', 'mse', ['mae'])
    """
    cc = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or cc is None:
        return None
    return {
        "optimizer": serialize(model.optimizer),
        "loss": _loss_entry(cc.get("loss")),
        "loss_weights": serialize(cc.get("loss_weights")),
        "metrics": _metric_entry(cc.get("metrics")),
        "weighted_metrics": _metric_entry(cc.get("weighted_metrics")),
        "run_eagerly": bool(cc.get("run_eagerly", False)),
        "steps_per_execution": cc.get("steps_per_execution", 1),
        "jit_compile": False,
    }


def _resolve_names(reader, value, where, category):
    """Check (and build) loss/metric entries: strings must be known names."""
    from numdeep import losses, metrics

    if isinstance(value, str):
        try:
            (losses.get if category == "loss" else metrics.get)(value)
        except ValueError:
            if reader.custom_objects.get(value) is None:
                reader.fail(where, f"{category} {value!r} is not on the allow-list")
            return reader.custom_objects[value]
        return value
    if isinstance(value, list):
        return [_resolve_names(reader, v, f"{where}[{i}]", category)
                for i, v in enumerate(value)]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _resolve_names(reader, v, f"{where}.{k}", category) for k, v in value.items()}
    return reader.value(value, where, category)


def _compile_args(reader, cc, legacy):
    from numdeep import optimizers

    opt = cc.get("optimizer_config") if legacy else cc.get("optimizer")
    where = "training_config" if legacy else "compile_config"
    reader.check_keys(cc, where)
    if isinstance(opt, str):
        try:
            optimizers.get(opt)
        except ValueError:
            reader.fail(f"{where}.optimizer", f"optimizer {opt!r} is not on the allow-list")
        optimizer = optimizers.get(opt) if reader.build else None
    elif isinstance(opt, dict):
        optimizer = reader.value(opt, f"{where}.optimizer", "optimizer")
    else:
        optimizer = "rmsprop" if reader.build else None
    args = {"optimizer": optimizer}
    for key, cat in (("loss", "loss"), ("metrics", "metric"), ("weighted_metrics", "metric")):
        args[key] = _resolve_names(reader, cc.get(key), f"{where}.{key}", cat)
    args["loss_weights"] = reader.value(cc.get("loss_weights"), f"{where}.loss_weights")
    return args


def compile_from_config(model, cc, custom_objects=None, legacy=False):
    """Compile ``model`` from a Keras compile/training config (checked first, then built)."""
    if not isinstance(cc, dict) or not cc:
        return
    _compile_args(Reader(custom_objects, build=False), cc, legacy)
    args = _compile_args(Reader(custom_objects, build=True), cc, legacy)
    outputs = model.outputs
    for key in ("metrics", "weighted_metrics"):
        value = args[key]
        if (outputs is None or len(outputs) == 1) and isinstance(value, list) and \
                len(value) == 1 and isinstance(value[0], list):
            args[key] = value[0]  # Keras 2 writes one metrics list per output
    try:
        model.compile(**args)
    except (ValueError, TypeError) as e:
        raise CorruptFileError(f"compile() from the saved config failed ({e})") from e


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
    """
    Reader(custom_objects, build=False).value(config, "config", "layer")
    return Reader(custom_objects, build=True).value(config, "config", "layer")


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


def _full_config(model):
    entry = serialize_layer(model)
    cc = get_compile_config(model)
    if cc is not None:
        entry["compile_config"] = cc
    return entry


def _training_config(model):
    cc = get_compile_config(model)
    if cc is None:
        return None
    optimizer = cc.pop("optimizer")
    return {**cc, "optimizer_config": {"class_name": optimizer["class_name"],
                                       "config": optimizer["config"]}}


def save_model(model, filepath, overwrite=True, zipped=None):
    """Save a whole model: architecture, weights, compile config and optimizer state.

    ``.keras`` writes the Keras 3 zip (``zipped=False``: the same files in a directory);
    ``.h5`` writes the legacy HDF5 layout. The write is atomic: a failure (exception,
    ``KeyboardInterrupt``, full disk) leaves any previous file untouched. The model itself is
    never modified.

    Args:
        model: a ``Sequential`` or functional ``Model``.
        filepath: path ending in ``.keras`` or ``.h5``.
        overwrite: when false, refuse (``FileExistsError``) to replace an existing file.
        zipped: ``.keras`` only; ``False`` writes a directory.

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
    kind = _kind(filepath)
    if kind not in ("keras", "h5"):
        raise ValueError(f"Invalid filepath extension for saving {os.fspath(filepath)!r}: use "
                         f"'.keras' (the native zip format) or '.h5' (legacy HDF5).")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: give it an input shape or call "
                         f"it on data before saving.")
    _check_overwrite(filepath, overwrite)
    if kind == "keras":
        keras_zip.save_keras(model, filepath, _full_config(model), zipped=zipped is not False)
    else:
        entry = serialize_layer(model)
        config = {"class_name": entry["class_name"], "config": entry["config"]}
        legacy_h5.save_h5(model, filepath, config, _training_config(model))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved as ``.keras`` (file or directory) or legacy ``.h5`` (Keras 3 or
    tf.keras 2 dialects), by numdeep or by Keras.

    Safe loading is always on: classes and functions resolve only through the allow-list
    (numdeep built-ins, ``register_serializable``, ``custom_objects``), no module is imported
    and no bytecode or pickle is ever loaded. ``safe_mode`` is accepted for Keras compatibility;
    ``False`` does not enable anything unsafe.

    Args:
        filepath: the file (or ``.keras`` directory).
        custom_objects: ``{name: class or function}`` for user objects, including the
            functions of ``Lambda`` layers.
        compile: restore the compile state (optimizer and its slots, loss, metrics).
        safe_mode: ignored (always safe).

    Returns:
        The model.

    Raises:
        CorruptFileError: the file is damaged or inconsistent (names the file and format).
        UnsafeFileError: the file asks for something safe loading refuses.

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> from numdeep.saving import CorruptFileError, load_model
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
        >>> model.save(path)
        >>> type(load_model(path).optimizer).__name__
        'Adam'
        >>> with open(path, "r+b") as f:  # one damaged byte
        ...     _ = f.seek(1000)
        ...     _ = f.write(b"?")
        >>> try:
        ...     load_model(path)
        ... except CorruptFileError as e:
        ...     print(e.problem[:48])
        the content does not match its SHA-256 checksum
    """
    del safe_mode
    kind = _kind(filepath)
    if kind is None:
        kind = "keras" if _magic(filepath) == b"PK" else "h5"
    if kind == "keras":
        config, store = keras_zip.read_keras(filepath)
        fmt, training, legacy = keras_zip.FORMAT, config.get("compile_config"), False
    else:
        content = legacy_h5.read_h5(filepath)
        if content.model_config is None:
            raise CorruptFileError("no model_config attribute: the file holds weights only; "
                                   "use model.load_weights()", os.fspath(filepath),
                                   legacy_h5.FORMAT)
        config, training, legacy = content.model_config, content.training_config, True
        fmt = legacy_h5.FORMAT
    try:
        model = model_from_config(config, custom_objects)
        if compile and training:
            compile_from_config(model, training, custom_objects, legacy=legacy)
        if kind == "keras":
            pairs, opt_arrays = plan_assignment(model, store, what="the saved weights")
        else:
            pairs, opt_arrays = legacy_h5.plan_legacy(model, content.layers), content.optimizer
    except CorruptFileError as e:
        raise e.located(os.fspath(filepath), fmt) from e
    except ValueError as e:
        raise CorruptFileError(str(e), os.fspath(filepath), fmt) from e
    assign(pairs)
    if compile:
        restore_optimizer(model, opt_arrays, os.fspath(filepath))
    return model


def _magic(filepath):
    try:
        with open(filepath, "rb") as f:
            return f.read(2)
    except IsADirectoryError:
        return b"PK"


# ----- weights -----------------------------------------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    """Save the weights (and the optimizer state, when compiled) atomically.

    ``.weights.h5`` uses the Keras 3 variable store layout
    (``layers/<snake_case class>/vars/<i>``, ``optimizer/vars/<i>``); any other ``.h5`` the
    legacy layout. Files carry a SHA-256 of their content in the HDF5 user block, which
    ``load_weights`` checks before parsing.

    Args:
        model: a built model.
        filepath: path ending in ``.weights.h5`` (or ``.h5``).
        overwrite: when false, refuse (``FileExistsError``) to replace an existing file.

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
    kind = _kind(filepath, weights=True)
    if kind not in ("store", "h5"):
        raise ValueError(f"Invalid filepath extension for save_weights "
                         f"{os.fspath(filepath)!r}: use '.weights.h5' (or a legacy '.h5').")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet, so it has no weights to save.")
    _check_overwrite(filepath, overwrite)
    warn_config_only_state(model)
    if kind == "h5":
        legacy_h5.save_h5(model, filepath)
        return
    data = h5io.build_h5(lambda f: write_store(f, model), checksum=True)
    with atomic_write(filepath, "wb") as f:
        f.write(data)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights (and optimizer state, when the model is compiled) from ``.weights.h5``,
    ``.keras`` or legacy ``.h5``. All-or-nothing: a damaged file raises ``CorruptFileError`` and a
    mismatch raises ``ValueError`` listing every mismatched variable, before anything changes.

    Args:
        model: a built model; a compiled one also gets the optimizer state (its optimizer is
            built on ``model.trainable_weights`` first when needed).
        filepath: the file.
        skip_mismatch: load the layers that match and skip the others (with a warning).

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
          layers/dense/vars/0 (...): expected shape (3, 4) float32, found (3, 2) float32
    """
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: build it (give it an input "
                         f"shape or call it on data) before load_weights().")
    kind = _kind(filepath, weights=True)
    if kind == "keras" or (kind is None and _magic(filepath) == b"PK"):
        _, store = keras_zip.read_keras(filepath)
        pairs, opt_arrays = plan_assignment(model, store, skip_mismatch)
    else:
        content = legacy_h5.read_h5(filepath)
        if content.store is not None:
            pairs, opt_arrays = plan_assignment(model, content.store, skip_mismatch)
        else:
            pairs = legacy_h5.plan_legacy(model, content.layers, skip_mismatch)
            opt_arrays = content.optimizer
    assign(pairs)
    restore_optimizer(model, opt_arrays, os.fspath(filepath))



def model_class_from_config(cls, config, custom_objects=None):
    """``cls.from_config`` for models: a layer graph config builds through the allow-list."""
    from numdeep.saving.model_config import model_from_config as build

    if isinstance(config, list) or (isinstance(config, dict) and "layers" in config):
        build(Reader(custom_objects, build=False), cls, config, "config")
        return build(Reader(custom_objects, build=True), cls, config, "config")
    return cls(**config)
