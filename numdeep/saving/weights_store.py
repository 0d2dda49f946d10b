"""The Keras 3 variable store (``model.weights.h5`` inside ``.keras`` files and standalone
``*.weights.h5``): ``layers/<snake_case class name>[_n]/vars/<i>`` for the layers of a model
(attribute names for sub-layers held by a layer), ``optimizer/vars/<i>``, ``vars`` for the
model's own variables. Paths never use layer names, so files move between models and tools."""

import re
import warnings

import numpy as np

from numdeep.backend import to_numpy, xp_of
from numdeep.saving.errors import CorruptFileError

__all__ = ["layout", "all_vars", "write_store", "read_store", "plan_assignment", "assign",
           "keras_snake_case"]

_SKIP_ATTRS = {"_layers", "_seq", "_input_layer", "_graph", "_inbound_nodes", "_outbound"}


def keras_snake_case(name):
    """Keras's ``to_snake_case`` (``Conv2D`` -> ``conv2d``, ``ReLU`` -> ``re_lu``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class Var:
    """One stored variable: a weight Tensor (or a constant placeholder) with get/set."""

    def __init__(self, tensor=None, label="", trainable=True, constant=None):
        self.tensor, self.label, self.trainable, self.constant = tensor, label, trainable, constant

    @property
    def shape(self):
        return self.tensor.shape if self.tensor is not None else np.shape(self.constant)

    @property
    def dtype(self):
        return self.tensor.dtype if self.tensor is not None else np.asarray(self.constant).dtype

    def get(self):
        if self.tensor is None:
            return np.asarray(self.constant)
        return np.array(to_numpy(self.tensor.data))

    def set(self, value):
        if self.tensor is not None:
            data = self.tensor.data
            data[...] = xp_of(data).asarray(np.asarray(value), dtype=data.dtype)


def own_vars(layer):
    """The variables a layer stores itself, in Keras order (trainable, then non-trainable, in
    creation order), with the few layout adaptations Keras needs."""
    from numdeep.layers import Normalization

    label = layer.name
    weights = [Var(w, f"{label}/{w.name}", True) for w in layer._trainable_weights]
    weights += [Var(w, f"{label}/{w.name}", False) for w in layer._non_trainable_weights]
    if isinstance(layer, Normalization):
        if layer.input_mean is not None:
            return []  # Keras keeps given statistics in the config only
        # Keras also stores the sample count (unused after adapt); numdeep writes 0.
        return weights + [Var(None, f"{label}/count", False, constant=np.int64(0))]
    if not layer.trainable:
        for v in weights:
            v.trainable = False
    return weights


def warn_config_only_state(model):
    """Warn when a weights-only file cannot hold some state: a ``Normalization`` created with
    ``mean``/``variance`` keeps them in its config (as in Keras), so values changed since then
    (``set_weights``) are only saved by ``model.save``."""
    from numdeep.layers import Normalization

    stack, seen = [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        stack.extend(layer._layers)
        if isinstance(layer, Normalization) and layer.input_mean is not None and layer.built:
            given = [np.broadcast_to(np.asarray(v, layer.dtype), w.shape) for v, w in
                     ((layer.input_mean, layer.mean), (layer.input_variance, layer.variance))]
            if not all(np.array_equal(g, to_numpy(w.data)) for g, w in
                       zip(given, (layer.mean, layer.variance))):
                warnings.warn(f"Normalization layer '{layer.name}' was created with fixed "
                              f"mean/variance, which weights files do not store (Keras keeps "
                              f"them in the config); its changed statistics are saved only by "
                              f"model.save().", stacklevel=3)


def all_vars(layer):
    """A layer's variables including its sub-layers' (the legacy ``.h5`` unit)."""
    out, seen = [], set()

    def walk(la):
        if id(la) in seen:
            return
        seen.add(id(la))
        out.extend(own_vars(la))
        for sub in la._layers:
            walk(sub)

    walk(layer)
    return out


def _keeps_cell(layer):
    import numdeep.layers as L

    cells = tuple(c for c in (getattr(L, n, None) for n in ("SimpleRNN", "LSTM", "GRU"))
                  if isinstance(c, type))
    return isinstance(layer, cells) and not any(
        getattr(layer, "cell", None) is sub for sub in layer._layers)


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _children(obj):
    from numdeep.layers import Layer
    from numdeep.models import Model, Sequential

    graph_model = isinstance(obj, Sequential) or (isinstance(obj, Model) and
                                                   obj._graph is not None)
    first = [("layers", obj.layers)] if graph_model else []
    found = {}
    for attr, value in vars(obj).items():
        if attr.startswith("__") or attr in _SKIP_ATTRS:
            continue
        if isinstance(value, Layer) or (isinstance(value, list | tuple | dict) and value and
                                        any(isinstance(v, Layer) for v in _values(value))):
            found[attr] = value
    if isinstance(obj, Model):
        if not graph_model:
            found["layers"] = obj.layers
        if obj.optimizer is not None:
            found["optimizer"] = obj.optimizer
    return first + sorted(found.items(), key=lambda kv: _name_key(kv[0]))


def _values(container):
    return list(container.values()) if isinstance(container, dict) else list(container)


def layout(model):
    """``{store path: (object, [Var...])}`` in Keras traversal order; the optimizer (when the
    model has one) maps to ``(optimizer, None)`` under ``optimizer/vars``."""
    from numdeep.layers import Layer
    from numdeep.optimizers import Optimizer

    out, visited = {}, set()

    def join(a, b):
        return f"{a}/{b}" if a else b

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        if isinstance(obj, Optimizer):
            out[join(path, "vars")] = (obj, None)
            return
        if _keeps_cell(obj):
            # Keras keeps an RNN's weights in its cell: layers/lstm/cell/vars.
            out[join(path, "vars")] = (obj, [])
            out[join(path, "cell/vars")] = (obj, own_vars(obj))
        else:
            out[join(path, "vars")] = (obj, own_vars(obj))
        for attr, child in _children(obj):
            if isinstance(child, Layer | Optimizer):
                visit(child, join(path, attr))
            else:
                visit_list(_values(child), join(path, attr))

    def visit_list(items, path):
        used = {}
        for item in items:
            if not isinstance(item, Layer | Optimizer):
                continue
            name = keras_snake_case(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            visit(item, join(path, name))

    visit(model, "")
    return out


def write_store(h5, model, include_optimizer=True):
    """Write every variable of ``model`` (and its optimizer's state) into an open h5py file."""
    for path, (obj, variables) in layout(model).items():
        if variables is None:
            if not include_optimizer:
                continue
            arrays = obj.variables()
        else:
            arrays = [v.get() for v in variables]
        group = h5.require_group(path)
        group.attrs["name"] = str(obj.name)
        for i, value in enumerate(arrays):
            group.create_dataset(str(i), data=value)


def read_store(h5):
    """``{path: [arrays]}`` of every ``vars`` group of a scanned h5py file (read by integer
    index: HDF5 lists ``0, 1, 10, 11, 2``)."""
    import h5py

    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.rsplit("/", 1)[-1] == "vars":
            out[name] = _read_vars(obj, name)

    h5.visititems(visit)
    return out


def _read_vars(group, path):
    keys = list(group.keys())
    if any(not k.isdigit() or (k != "0" and k.startswith("0")) for k in keys):
        raise CorruptFileError(f"variable group {path!r} holds non-numeric keys {keys[:5]}")
    count = len(keys)
    if sorted(int(k) for k in keys) != list(range(count)):
        raise CorruptFileError(f"variable group {path!r} has keys {sorted(keys)}, not 0..{count}")
    arrays = []
    for i in range(count):
        ds = group[str(i)]
        if not hasattr(ds, "dtype"):
            raise CorruptFileError(f"{path}/{i} is not a dataset")
        if ds.attrs.get("dtype") == "bfloat16":
            raise CorruptFileError(f"{path}/{i} is bfloat16, which numdeep does not support")
        arrays.append(np.asarray(ds[()]))
    return arrays


def _compatible(var, value):
    if tuple(var.shape) != tuple(value.shape):
        return False
    return (np.dtype(var.dtype).kind == "f") == (value.dtype.kind == "f")


def _describe(arrays):
    return ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays) or "nothing"


def plan_assignment(model, stored, skip_mismatch=False, what="weights"):
    """Match stored arrays to the model's variables without changing anything.

    Returns:
        ``(pairs, optimizer_arrays)``: ``[(Var, array)]`` to assign and the stored optimizer
        arrays (``None`` when absent).

    Raises:
        ValueError: listing every mismatched variable (expected vs found), unless
            ``skip_mismatch`` (then mismatched layers are skipped with a warning).
    """
    pairs, problems, expected_paths, optimizer_arrays = [], [], set(), None
    for path, (obj, variables) in layout(model).items():
        if variables is None:
            optimizer_arrays = stored.get(path)
            expected_paths.add(path)
            continue
        expected_paths.add(path)
        found = stored.get(path, [])
        layer_problems = []
        if len(found) != len(variables):
            layer_problems.append(
                f"{path} (layer '{obj.name}'): expected {len(variables)} variables "
                f"[{_describe([np.empty(v.shape, v.dtype) for v in variables])}], found "
                f"{len(found)} [{_describe(found)}]")
        else:
            for i, (var, value) in enumerate(zip(variables, found)):
                if not _compatible(var, value):
                    layer_problems.append(
                        f"{path}/{i} ({var.label}): expected shape {tuple(var.shape)} "
                        f"{np.dtype(var.dtype)}, found {tuple(value.shape)} {value.dtype}")
        if layer_problems:
            problems += layer_problems
        else:
            pairs += list(zip(variables, found))
    extra = sorted(p for p, arrays in stored.items() if p not in expected_paths and arrays
                   and not p.startswith("optimizer/"))  # optimizer state of an uncompiled model
    problems += [f"{p}: {len(stored[p])} stored variables match no layer of the model"
                 for p in extra]
    if problems:
        message = (f"Cannot load {what} into model '{model.name}': "
                   f"{len(problems)} mismatch(es):\n  " + "\n  ".join(problems))
        if not skip_mismatch:
            raise ValueError(message + "\nNothing was assigned. Pass skip_mismatch=True to "
                                       "load the matching layers only.")
        warnings.warn(message + "\nskip_mismatch=True: these were skipped.", stacklevel=3)
    return pairs, optimizer_arrays


def assign(pairs):
    for var, value in pairs:
        var.set(value)


def restore_optimizer(model, arrays, source):
    """Load stored optimizer arrays into ``model.optimizer`` (built on the model's trainable
    weights first). A count or shape mismatch skips the optimizer with a warning, as Keras."""
    opt = getattr(model, "optimizer", None)
    if opt is None or arrays is None:
        return
    if not opt.built and len(arrays) == len(opt.variables()):
        # Only iterations (and the learning rate) were saved: the optimizer had not run yet.
        opt.iterations = int(np.asarray(arrays[0]))
        if len(arrays) > 1 and isinstance(opt._learning_rate, float):
            saved = float(np.asarray(arrays[1]))
            if float(np.float32(opt._learning_rate)) != saved:
                opt._learning_rate = saved
        return
    if not opt.built:
        opt.build(model.trainable_weights)
    expected = [np.shape(v) for v in opt.variables()]
    found = [np.shape(a) for a in arrays]
    if expected != found:
        warnings.warn(f"Skipping the optimizer state in {source}: optimizer '{opt.name}' has "
                      f"{len(expected)} variables {expected[:4]}..., the file has {len(found)} "
                      f"{found[:4]}...", stacklevel=3)
        return
    opt.set_variables(arrays)
