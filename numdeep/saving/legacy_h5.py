"""The legacy Keras HDF5 format (``.h5``): ``model_config``/``training_config`` root attributes,
``model_weights/<layer>/<weight name>`` with ``layer_names``/``weight_names`` attributes, and
``optimizer_weights``. Reads files written by Keras 3 and by tf.keras 2; weights load by the
order of the layers that have weights, as Keras does."""

import json
import os

import numpy as np

from numdeep.saving import h5io
from numdeep.saving.atomic import atomic_write
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import LIMITS, load_json
from numdeep.saving.weights_store import all_vars, own_vars, read_store

__all__ = ["FORMAT", "save_h5", "read_h5", "plan_legacy", "legacy_order", "save_model_to_hdf5",
           "load_model_from_hdf5"]

FORMAT = "HDF5 (.h5)"
KERAS_FORMAT_VERSION = "3.6.0"
_ATTR_LIMIT = 64512  # HDF5 object header limit; Keras splits longer name lists


def _save_names(group, key, names):
    data = np.array([n.encode("utf-8") for n in names]) if names else np.zeros((0,))
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[key] = data
        return
    chunks = int(np.ceil(data.nbytes / _ATTR_LIMIT))
    for i, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{key}{i}"] = part


def _load_names(group, key):
    if key in group.attrs:
        raw = list(group.attrs[key])
    else:
        raw, i = [], 0
        while f"{key}{i}" in group.attrs:
            raw += list(group.attrs[f"{key}{i}"])
            i += 1
    out = []
    for n in raw:
        if isinstance(n, bytes):
            n = n.decode("utf-8")
        if not isinstance(n, str):
            raise CorruptFileError(f"attribute {key!r} of {group.name!r} holds {n!r}, not names")
        out.append(n)
    return out


def legacy_order(variables):
    """Keras's legacy weight order of one layer: trainable, then non-trainable."""
    return [v for v in variables if v.trainable] + [v for v in variables if not v.trainable]


def _weight_names(model, layer, variables):
    names, seen = [], set()
    for v in variables:
        name = f"{model.name}/{v.label}"
        base, i = name, 1
        while name in seen:
            name, i = f"{base}_{i}", i + 1
        seen.add(name)
        names.append(name)
    return names


def _write_layers(group, model):
    layers = list(model.layers)
    _save_names(group, "layer_names", [la.name for la in layers])
    group.attrs["backend"] = "numpy"
    group.attrs["keras_version"] = KERAS_FORMAT_VERSION
    for layer in layers:
        variables = legacy_order(all_vars(layer))
        sub = group.create_group(layer.name)
        names = _weight_names(model, layer, variables)
        _save_names(sub, "weight_names", names)
        for name, var in zip(names, variables):
            sub.create_dataset(name, data=var.get())
    top = group.create_group("top_level_model_weights")
    own = own_vars(model)
    names = [f"{model.name}/{v.label}" for v in own]
    _save_names(top, "weight_names", names)
    for name, var in zip(names, own):
        top.create_dataset(name, data=var.get())


def _write_optimizer(h5, model):
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return
    values = [np.asarray(v.numpy()) for v in opt.variables]
    group = h5.create_group("optimizer_weights")
    names = [f"{opt.name}/iteration"]
    if isinstance(opt._learning_rate, float):
        names.append(f"{opt.name}/learning_rate")
    names += [f"{opt.name}/variable_{i}" for i in range(len(values) - len(names))]
    _save_names(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


def save_h5(model, filepath, config=None, training_config=None, include_optimizer=True):
    """Write a legacy ``.h5``: a whole model when ``config`` is given, else weights only (layer
    groups at the root, as Keras's ``save_weights('w.h5')``). Optimizer state is included
    unless ``include_optimizer`` is false."""

    def fill(h5):
        if config is None:
            _write_layers(h5, model)
        else:
            h5.attrs["keras_version"] = KERAS_FORMAT_VERSION
            h5.attrs["backend"] = "numpy"
            h5.attrs["model_config"] = json.dumps(config)
            if training_config is not None:
                h5.attrs["training_config"] = json.dumps(training_config)
            _write_layers(h5.create_group("model_weights"), model)
        if include_optimizer:
            _write_optimizer(h5, model)

    data = h5io.build_h5(fill, checksum=True)
    with atomic_write(filepath, "wb") as f:
        f.write(data)


def _legacy_config(model):
    from numdeep.saving.serialization import serialize_layer

    entry = serialize_layer(model)
    return {"class_name": entry["class_name"], "config": entry["config"]}


def _training_config(model):
    from numdeep.saving.compile_config import get_compile_config

    cc = get_compile_config(model)
    if cc is None:
        return None
    optimizer = cc.pop("optimizer")
    return {**cc, "optimizer_config": {"class_name": optimizer["class_name"],
                                       "config": optimizer["config"]}}


def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Keras's legacy writer: the whole model (config, weights, compile state and, with
    ``include_optimizer``, the optimizer's variables) in one ``.h5``, atomically."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{os.fspath(filepath)!r} exists and overwrite=False.")
    save_h5(model, filepath, _legacy_config(model),
            _training_config(model) if include_optimizer else None,
            include_optimizer=include_optimizer)


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Keras's legacy reader: a model from a ``.h5`` (see ``numdeep.saving.load_model``)."""
    from numdeep.saving.compile_config import compile_from_config
    from numdeep.saving.object_config import deserialize
    from numdeep.saving.weights_plan import assign, build_budget, plan_optimizer

    path = os.fspath(filepath)
    content = read_h5(path)
    if content.model_config is None:
        raise CorruptFileError("no model_config attribute: the file holds weights only; "
                               "use model.load_weights()", path, FORMAT)
    try:
        arrays = [a for _, layer in content.layers for a in layer] + (content.optimizer or [])
        with build_budget(arrays):
            model = deserialize(content.model_config, custom_objects, category="layer")
        if compile and content.training_config:
            compile_from_config(model, content.training_config, custom_objects, legacy=True)
        pairs = plan_legacy(model, content.layers)
        load_optimizer = plan_optimizer(model, content.optimizer, path) if compile else None
    except CorruptFileError as e:
        raise e.located(path, FORMAT) from e
    except ValueError as e:
        raise CorruptFileError(str(e), path, FORMAT) from e
    assign(pairs)
    if load_optimizer is not None:
        load_optimizer()
    return model


class LegacyContent:
    """What a legacy (or Keras 3 layout) ``.h5`` holds, read and checked."""

    def __init__(self):
        self.model_config = None
        self.training_config = None
        self.layers = None  # [(layer name, [arrays])] in file order
        self.optimizer = None  # [arrays] or None
        self.store = None  # {path: [arrays]} when the file uses the Keras 3 layout


def read_h5(filepath):
    """Read a ``.h5``/``.weights.h5`` file of either layout; problems raise
    ``CorruptFileError``/``UnsafeFileError`` naming the file."""
    fmt = "weights (.weights.h5)" if os.fspath(filepath).endswith(".weights.h5") else FORMAT
    try:
        data = h5io.read_file_bytes(filepath)
        with h5io.open_h5(data) as h5:
            return _read_content(h5)
    except CorruptFileError as e:
        raise e.located(os.fspath(filepath), fmt) from e
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as e:  # h5py raises many types on damaged input
        raise CorruptFileError(f"{type(e).__name__}: {e}", os.fspath(filepath), fmt) from e


def _attr_json(h5, key):
    raw = h5.attrs.get(key)
    if raw is None:
        return None
    if isinstance(raw, np.ndarray):
        raw = raw.item() if raw.size == 1 else None
    if not isinstance(raw, str | bytes):
        raise CorruptFileError(f"root attribute {key!r} is not JSON text")
    return load_json(raw, key)


def _read_content(h5):
    out = LegacyContent()
    group = h5["model_weights"] if "model_weights" in h5 else h5
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        if "layers" in h5 or "vars" in h5 or "optimizer" in h5:
            out.store = read_store(h5)
            return out
        raise CorruptFileError("no 'layer_names' attribute and no Keras 3 variable store: "
                               "this is not a Keras weights file")
    out.model_config = _attr_json(h5, "model_config")
    out.training_config = _attr_json(h5, "training_config")
    for key, value in (("model_config", out.model_config),
                       ("training_config", out.training_config)):
        if value is not None and not isinstance(value, dict):
            raise CorruptFileError(f"root attribute {key!r} holds a JSON "
                                   f"{type(value).__name__}, not a config object")
    out.layers = []
    for name in _load_names(group, "layer_names"):
        if name not in group:
            raise CorruptFileError(f"layer group {name!r} listed in layer_names is missing")
        sub = group[name]
        arrays = []
        for wname in _load_names(sub, "weight_names"):
            if wname not in sub or not hasattr(sub[wname], "dtype"):
                raise CorruptFileError(f"weight {wname!r} of layer {name!r} is missing")
            arrays.append(np.asarray(sub[wname][()]))
        out.layers.append((name, arrays))
    if "optimizer_weights" in h5:
        og = h5["optimizer_weights"]
        names = _load_names(og, "weight_names")
        if any(n not in og or not hasattr(og[n], "dtype") for n in names):
            raise CorruptFileError("an optimizer weight listed in weight_names is missing")
        out.optimizer = [np.asarray(og[n][()]) for n in names]
    total = sum(a.nbytes for _, arrays in out.layers for a in arrays)
    if total > LIMITS.max_member_bytes:
        raise CorruptFileError(f"the weights need {total} bytes, more than the limit")
    return out


def plan_legacy(model, layers, skip_mismatch=False, by_name=False):
    """Match legacy per-layer arrays to ``model`` by the order of layers with weights (or, with
    ``by_name``, by layer name: layers absent from the file keep their values).

    Returns ``[(Var, array)]``; raises ``ValueError`` listing every mismatch (expected vs found)
    unless ``skip_mismatch``.
    """
    import warnings

    from numdeep.saving.weights_plan import _compatible, _describe, value_problem

    model_layers = [(la, legacy_order(all_vars(la))) for la in model.layers]
    model_layers = [(la, vs) for la, vs in model_layers if vs]
    file_layers = [(name, arrays) for name, arrays in layers if arrays]
    if by_name:
        stored = dict(file_layers)
        model_layers = [(la, vs) for la, vs in model_layers if la.name in stored]
        file_layers = [(la.name, stored[la.name]) for la, _ in model_layers]
    problems, pairs = [], []
    if len(model_layers) != len(file_layers):
        problems.append(f"the model has {len(model_layers)} layers with weights "
                        f"{[la.name for la, _ in model_layers]}, the file has "
                        f"{len(file_layers)} {[n for n, _ in file_layers]}")
    for (layer, variables), (name, arrays) in zip(model_layers, file_layers):
        local = []
        if len(variables) != len(arrays):
            local.append(f"layer '{layer.name}' (file: '{name}'): expected {len(variables)} "
                         f"weights, found {len(arrays)} [{_describe(arrays)}]")
        else:
            for i, (var, a) in enumerate(zip(variables, arrays)):
                where = f"{var.label} (file: '{name}' #{i})"
                if not _compatible(var, a):
                    local.append(f"{where}: expected shape {tuple(var.shape)} "
                                 f"{np.dtype(var.dtype)}, found {tuple(a.shape)} {a.dtype}")
                elif why := value_problem(var.dtype, a):
                    local.append(f"{where}: {why}")
        problems += local
        if not local:
            pairs += list(zip(variables, arrays))
    if problems:
        message = (f"Cannot load legacy .h5 weights into model '{model.name}': "
                   f"{len(problems)} mismatch(es):\n  " + "\n  ".join(problems))
        if not skip_mismatch:
            raise ValueError(message + "\nNothing was assigned. Pass skip_mismatch=True to "
                                       "load the matching layers only.")
        warnings.warn(message + "\nskip_mismatch=True: these were skipped.", stacklevel=3)
    return pairs
