"""The Keras 3 variable store (``model.weights.h5`` inside ``.keras`` files and standalone
``*.weights.h5``): where each object of a model keeps its variables.

A model is walked as Keras walks it: the layers of a ``Sequential``/functional model first, then
its attributes by name (private ones last), each layer or optimizer at
``<attribute>/vars`` and the items of lists, tuples and dicts at
``<attribute>/<snake_case class name>[_n]`` (nested containers at ``container[_n]``); the
optimizer keeps ``optimizer/vars``, the model's own variables ``vars``. Paths never use layer
names, so files move between models and tools. An object that defines its own
``save_own_variables``/``load_own_variables`` (or ``save_assets``/``load_assets``) writes and
reads its entry itself.
"""

import re

import numpy as np

from numdeep.backend import to_numpy, xp_of
from numdeep.layers.auto_config import is_library_function
from numdeep.saving.errors import CorruptFileError

__all__ = ["Slot", "Var", "layout", "all_vars", "own_vars", "write_store", "read_store",
           "keras_snake_case", "StoreEntry", "HOOK", "SKIP"]

_SKIP_ATTRS = {"_layers", "_seq", "_input_layer", "_graph", "_inbound_nodes", "_outbound",
               "_trainable_weights", "_non_trainable_weights", "_seed_generators", "_metrics",
               "_losses", "_tracking"}
HOOK = "hook"  # the object reads and writes its own entry
SKIP = "skip"  # objects_to_skip: neither written nor read


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


class Slot:
    """One saveable object of a model: its store ``path``, the ``Var``s numdeep reads and
    writes for it (``None`` for the optimizer, ``HOOK`` when the object does it itself,
    ``SKIP`` when excluded) and the other paths it is reachable by (``aliases``)."""

    def __init__(self, path, obj, variables):
        self.path, self.obj, self.variables, self.aliases = path, obj, variables, []

    @property
    def paths(self):
        return [self.path] + self.aliases


class StoreEntry(dict):
    """The ``store`` a ``save_own_variables``/``load_own_variables`` hook receives: a dict of
    NumPy arrays by key (``'0'``, ``'1'``, ... or names the hook chooses)."""

    def __setitem__(self, key, value):
        super().__setitem__(str(key), np.asarray(to_numpy(getattr(value, "data", value))))


def _user_override(obj, name):
    owner = next((k for k in type(obj).__mro__ if name in vars(k)), None)
    return owner is not None and not is_library_function(vars(owner)[name])


def has_hooks(obj):
    """Whether ``obj`` reads and writes its variables itself: a user class overriding
    ``save_own_variables``/``load_own_variables``, or a layer with LoRA on (whose file holds the
    merged weight). numdeep's other layers follow the layout below, which lets a load check
    every variable before assigning any."""
    from numdeep.layers import Layer

    if not isinstance(obj, Layer):
        return False
    return _user_override(obj, "save_own_variables") or \
        _user_override(obj, "load_own_variables") or bool(getattr(obj, "lora_enabled", False)) \
        or bool(getattr(obj, "_saves_own_variables", False))  # e.g. lookups' `idf_weights`


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


def _saveable(value):
    from numdeep.layers import Layer
    from numdeep.optimizers import Optimizer

    return isinstance(value, Layer | Optimizer)


def _user_properties(obj):
    """Properties that classes outside numdeep define (Keras walks them too, so a layer
    reachable under another name still finds its entry)."""
    names = set()
    for klass in type(obj).__mro__:
        names.update(k for k, v in vars(klass).items() if isinstance(v, property)
                     and not is_library_function(v.fget))
    return names


def _children(obj):
    from numdeep.models import Model, Sequential

    graph_model = isinstance(obj, Sequential) or (isinstance(obj, Model) and
                                                   obj._graph is not None)
    first = [("layers", obj.layers)] if graph_model else []
    found = {}
    for attr, value in vars(obj).items():
        if attr.startswith("__") or attr in _SKIP_ATTRS:
            continue
        if _saveable(value) or isinstance(value, list | tuple | dict):
            found[attr] = value
    for attr in _user_properties(obj) - set(found):
        try:
            value = getattr(obj, attr)
        except Exception:  # noqa: BLE001 - a property that cannot be read holds no state
            continue
        if _saveable(value) or isinstance(value, list | tuple | dict):
            found[attr] = value
    if isinstance(obj, Model):
        if not graph_model:
            found["layers"] = obj.layers
        if obj.optimizer is not None:
            found["optimizer"] = obj.optimizer
    return first + sorted(found.items(), key=lambda kv: _name_key(kv[0]))


def _values(container):
    return list(container.values()) if isinstance(container, dict) else list(container)


def layout(model, objects_to_skip=()):
    """``{store path: Slot}`` for every saveable object of ``model``, in Keras's traversal order.

    Args:
        model: the model (or layer).
        objects_to_skip: objects (with everything below them) left out; their paths are kept
            with ``SKIP`` so that their stored entries are recognised.
    """
    from numdeep.optimizers import Optimizer

    out, slots = {}, {}
    skipped = {id(o) for o in objects_to_skip or ()}

    def join(a, b):
        return f"{a}/{b}" if a else b

    def visit(obj, path):
        if id(obj) in slots:
            slot = slots[id(obj)]
            slot.aliases.append(join(path, "cell/vars" if slot.path.endswith("/cell/vars")
                                     else "vars"))
            return
        if id(obj) in skipped:
            slots[id(obj)] = out[join(path, "vars")] = Slot(join(path, "vars"), obj, SKIP)
            return
        if isinstance(obj, Optimizer):
            slots[id(obj)] = out[join(path, "vars")] = Slot(join(path, "vars"), obj, None)
            return
        if has_hooks(obj):
            slot = Slot(join(path, "vars"), obj, HOOK)
        elif _keeps_cell(obj):
            # Keras keeps an RNN's weights in its cell: layers/lstm/cell/vars.
            out[join(path, "vars")] = Slot(join(path, "vars"), obj, [])
            slot = Slot(join(path, "cell/vars"), obj, own_vars(obj))
        else:
            slot = Slot(join(path, "vars"), obj, own_vars(obj))
        slots[id(obj)] = out[slot.path] = slot
        for attr, child in _children(obj):
            if _saveable(child):
                visit(child, join(path, attr))
            else:
                visit_container(child, join(path, attr), set())

    def visit_container(container, path, seen):
        if id(container) in seen:
            return
        seen.add(id(container))
        used = {}
        for item in _values(container):
            if _saveable(item):
                visit(item, join(path, _unique(keras_snake_case(type(item).__name__), used)))
            elif isinstance(item, list | tuple | dict):
                visit_container(item, join(path, _unique("container", used)), seen)

    visit(model, "")
    return out


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def collect(model, objects_to_skip=(), include_optimizer=True):
    """``{store path: (object, {key: array})}``: what a weights file holds for ``model``.
    Objects with hooks fill their entry through ``save_own_variables``."""
    out = {}
    for path, slot in layout(model, objects_to_skip).items():
        obj, variables = slot.obj, slot.variables
        if variables == SKIP:
            continue
        if variables is None:
            if not include_optimizer:
                continue
            entry = {str(i): np.asarray(to_numpy(v.data)) for i, v in enumerate(obj.variables)}
        elif variables == HOOK:
            entry = StoreEntry()
            obj.save_own_variables(entry)
        else:
            entry = {str(i): v.get() for i, v in enumerate(variables)}
        out[path] = (obj, dict(entry))
    return out


def write_store(h5, model, include_optimizer=True, objects_to_skip=()):
    """Write every variable of ``model`` (and its optimizer's state) into an open h5py file."""
    for path, (obj, entry) in collect(model, objects_to_skip, include_optimizer).items():
        group = h5.require_group(path)
        group.attrs["name"] = str(obj.name)
        for key, value in entry.items():
            group.create_dataset(key, data=value)


def read_store(h5):
    """``{path: {key: array}}`` of every ``vars`` group of a scanned h5py file (numeric keys in
    integer order: HDF5 lists ``0, 1, 10, 11, 2``)."""
    import h5py

    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.rsplit("/", 1)[-1] == "vars":
            out[name] = _read_vars(obj, name)

    h5.visititems(visit)
    return out


def _read_vars(group, path):
    keys = sorted(group.keys(), key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))
    entry = {}
    for key in keys:
        ds = group[key]
        if not hasattr(ds, "dtype"):
            raise CorruptFileError(f"{path}/{key} is not a dataset")
        if ds.attrs.get("dtype") == "bfloat16":
            raise CorruptFileError(f"{path}/{key} is bfloat16, which numdeep does not support")
        entry[key] = np.asarray(ds[()])
    return entry
