"""Model configs in the Keras format: ``Sequential`` (a ``layers`` list) and functional models
(``layers`` with ``inbound_nodes``, ``input_layers``, ``output_layers``). Reads the Keras 3
dialect (``__keras_tensor__`` nodes, ``batch_shape``) and the Keras 2 one (nested-list nodes,
``batch_input_shape``, dtype strings, no ``module`` keys)."""

import inspect

import numpy as np

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.layers.symbolic import KerasTensor
from numdeep.saving import registry
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.keras_compat import keras_layer_config
from numdeep.saving.object_config import class_entry, fix_function_names, serialize

__all__ = ["serialize_layer", "model_get_config", "model_from_config"]


# ----- writing -----------------------------------------------------------------------------------
def serialize_layer(layer):
    """The Keras entry of one layer or model: module, class name, config, build config."""
    from numdeep.models import Model, Sequential

    if isinstance(layer, Sequential) or (isinstance(layer, Model) and layer._graph is not None):
        config = model_get_config(layer)
        entry = class_entry(layer, config, "layer")
        if type(layer) is Model:
            entry.update(module="keras.src.models.functional", class_name="Functional",
                         registered_name="Functional")
        elif type(layer) is Sequential:
            entry["module"] = "keras"
        shape = layer._input_layer.batch_shape if isinstance(layer, Sequential) and \
            layer._input_layer is not None else None
        entry["build_config"] = {"input_shape": _listify(shape)}
        return entry
    config = fix_function_names(serialize(layer.get_config()))
    if not registry.is_registered(type(layer)):
        config = keras_layer_config(type(layer).__name__, config, layer)
    entry = class_entry(layer, config, "layer")
    shapes = layer._build_shapes if layer.built else None
    if _is_shape(shapes) or (isinstance(shapes, list | tuple) and shapes and
                             all(_is_shape(s) for s in shapes)):
        if not isinstance(layer, InputLayer):
            entry["build_config"] = {"input_shape": _listify(shapes)}
    return entry


def _is_shape(shape):
    return isinstance(shape, tuple) and all(s is None or isinstance(s, int) for s in shape)


def _listify(shape):
    if shape is None:
        return None
    if isinstance(shape, list) or (isinstance(shape, tuple) and shape and
                                   all(isinstance(s, tuple | list) for s in shape)):
        return [_listify(s) for s in shape]
    return [None if s is None else int(s) for s in shape]


def _strip_input_shape(entry):
    # Keras layers reject `batch_shape`; inside a model the InputLayer carries the shape.
    if entry.get("class_name") != "InputLayer" and isinstance(entry.get("config"), dict):
        entry["config"].pop("batch_shape", None)
    return entry


def model_get_config(model):
    """The Keras 3 config of a ``Sequential`` or functional ``Model``."""
    from numdeep.models import Sequential

    base = {"name": model.name, "trainable": model.trainable}
    if isinstance(model, Sequential):
        layers = []
        if model._input_layer is not None:
            layers.append(serialize_layer(model._input_layer))
        layers += [_strip_input_shape(serialize_layer(la)) for la in model.layers]
        base["layers"] = layers
        if model._input_layer is not None:
            base["build_input_shape"] = _listify(model._input_layer.batch_shape)
        return base
    return {**base, **_functional_config(model._graph)}


def _functional_config(graph):
    names = [la.name for la in graph.layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Cannot save a functional model whose layers share names: "
                         f"{duplicates}. Give each layer a unique name.")
    in_graph = {id(n) for n in graph.nodes} | {id(t.node) for t in graph.input_tensors}
    node_ids = {}
    for layer in graph.layers:
        own = [n for n in layer._inbound_nodes if id(n) in in_graph]
        node_ids.update({id(n): i for i, n in enumerate(own)})

    def history(t):
        node = t.node
        index = next(i for i, o in enumerate(node.output_tensors) if o is t)
        return [node.layer.name, node_ids[id(node)], index]

    def tensor(t):
        if not isinstance(t, KerasTensor):
            return serialize(t)
        return {"class_name": "__keras_tensor__",
                "config": {"shape": _listify(t.shape), "dtype": np.dtype(t.dtype).name,
                           "keras_history": history(t)}}

    is_leaf = lambda x: isinstance(x, KerasTensor)  # noqa: E731
    layers = []
    for layer in graph.layers:
        entry = _strip_input_shape(serialize_layer(layer))
        entry["name"] = layer.name
        nodes = [] if isinstance(layer, InputLayer) else [
            n for n in layer._inbound_nodes if id(n) in in_graph]
        calls = [_node_arguments(layer, n) for n in nodes]
        entry["inbound_nodes"] = [
            {"args": tree.map_structure(tensor, args, is_leaf=is_leaf),
             "kwargs": tree.map_structure(tensor, kwargs, is_leaf=is_leaf)}
            for args, kwargs in calls]
        layers.append(entry)
    return {"layers": layers,
            "input_layers": tree.map_structure(history, graph.inputs, is_leaf=is_leaf),
            "output_layers": tree.map_structure(history, graph.outputs, is_leaf=is_leaf)}


def _node_arguments(layer, node):
    """Positional and keyword arguments of one call, as Keras records them. A layer whose own
    ``__call__`` names its inputs (``MultiHeadAttention(query, value, key=...)``) packs them in a
    dict; Keras stores the first as positional and the others by name."""
    from numdeep.layers import Layer

    inputs, kwargs = node.inputs, dict(node.kwargs)
    call = type(layer).__call__
    if isinstance(inputs, dict) and call is not Layer.__call__:
        params = [p for p in inspect.signature(call).parameters if p != "self"]
        if params and set(inputs) <= set(params) and params[0] in inputs:
            rest = {k: v for k, v in inputs.items() if k != params[0]}
            return [inputs[params[0]]], {**rest, **kwargs}
    return [inputs], kwargs


# ----- reading -----------------------------------------------------------------------------------
def model_from_config(reader, cls, config, where):
    """Build (or, when ``reader.build`` is false, only check) a model from its config."""
    from numdeep.models import Sequential

    if isinstance(config, list):  # Keras 2.0: a Sequential config was the bare layer list
        config = {"layers": config}
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise CorruptFileError(f"{where}: a model config needs a 'layers' list")
    reader.check_keys(config, f"{where}.config")
    for key, value in config.items():
        if key not in ("layers", "input_layers", "output_layers"):
            reader.value(value, f"{where}.config.{key}", "dtype" if key == "dtype" else None)
    if issubclass(cls, Sequential) or "inbound_nodes" not in (layers[0] if layers else {}):
        return _sequential(reader, cls if issubclass(cls, Sequential) else Sequential, config,
                           where)
    return _functional(reader, cls, config, where)


def _kwargs(config):
    out = {"name": config.get("name")} if isinstance(config.get("name"), str) else {}
    if isinstance(config.get("trainable"), bool):
        out["trainable"] = config["trainable"]
    return out


def _sequential(reader, cls, config, where):
    layers = [reader.value(_unbuilt(entry), f"{where}.config.layers[{i}]", "layer")
              for i, entry in enumerate(config["layers"])]
    if not reader.build:
        return None
    model = cls(**_kwargs(config))
    try:
        for layer in layers:
            model.add(layer)
        shape = config.get("build_input_shape")
        if not model.built and isinstance(shape, list) and model.layers:
            model.build(tuple(shape))
    except (TypeError, ValueError) as e:
        raise CorruptFileError(f"{where}: the layers do not fit together ({e})") from e
    return model


def _unbuilt(entry):
    # Inside a model the graph builds every layer; build_config is only for lone layers.
    if isinstance(entry, dict):
        return {k: v for k, v in entry.items() if k not in ("build_config", "inbound_nodes")}
    return entry


def _is_history(x):
    return (isinstance(x, list) and len(x) in (3, 4) and isinstance(x[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in x[1:3]))


def _node_calls(node, where):
    """``(args, kwargs)`` of one inbound node, from either dialect; tensors stay as histories."""
    if isinstance(node, dict):  # Keras 3
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise CorruptFileError(f"{where}: malformed inbound node")
        return args, kwargs
    if isinstance(node, list) and node and all(_is_history(e) for e in node):  # Keras 2
        tensors = [{"class_name": "__keras_tensor__", "config": {"keras_history": e[:3]}}
                   for e in node]
        extra = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
        return [tensors[0] if len(tensors) == 1 else tensors], dict(extra)
    raise CorruptFileError(f"{where}: malformed inbound node {node!r}")


def _collect_histories(value, into):
    """Add the names of the layers whose tensors appear in ``value`` to ``into``."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        hist = (value.get("config") or {}).get("keras_history")
        if _is_history(hist):
            into.add(hist[0])
    elif isinstance(value, list | dict):
        for v in (value.values() if isinstance(value, dict) else value):
            _collect_histories(v, into)


def _mask_only_ops(entries):
    """Names of Keras op nodes (``keras.src.ops``: the ``NotEqual``/``Any`` a ``Masking`` layer
    records) whose outputs only feed ``mask=`` arguments; numdeep propagates masks itself."""
    ops = {e.get("name") for e in entries if isinstance(e, dict)
           and str(e.get("module", "")).startswith("keras.src.ops")}
    used_as_data = set()
    collect = _collect_histories
    for e in entries:
        if not isinstance(e, dict) or e.get("name") in ops:
            continue
        for node in e.get("inbound_nodes") or []:
            if isinstance(node, dict):
                collect(node.get("args"), used_as_data)
                collect({k: v for k, v in (node.get("kwargs") or {}).items() if k != "mask"},
                        used_as_data)
    return ops - used_as_data


def _drop_mask_ops(entries):
    dropped = _mask_only_ops(entries)
    if not dropped:
        return entries
    def keep(key, value):
        if key != "mask":
            return True
        sources = set()
        _collect_histories(value, sources)
        return not sources & dropped

    out = []
    for e in entries:
        if e.get("name") in dropped:
            continue
        nodes = [{**n, "kwargs": {k: v for k, v in (n.get("kwargs") or {}).items()
                                  if keep(k, v)}} if isinstance(n, dict) else n
                 for n in e.get("inbound_nodes") or []]
        out.append({**e, "inbound_nodes": nodes})
    return out


def _functional(reader, cls, config, where):
    entries = _drop_mask_ops(config["layers"])
    layers, pending = {}, {}
    for i, entry in enumerate(entries):
        at = f"{where}.config.layers[{i}]"
        if not isinstance(entry, dict):
            raise CorruptFileError(f"{at}: a layer entry must be a dict")
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str) or name in layers:
            raise CorruptFileError(f"{at}: missing or duplicate layer name {name!r}")
        layer = reader.value(_unbuilt(entry), at, "layer")
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise CorruptFileError(f"{at}: inbound_nodes must be a list")
        calls = [_node_calls(n, f"{at}.inbound_nodes[{j}]") for j, n in enumerate(nodes)]
        for j, (args, kwargs) in enumerate(calls):
            reader.value(_without_tensors(args), f"{at}.inbound_nodes[{j}].args")
            reader.value(_without_tensors(kwargs), f"{at}.inbound_nodes[{j}].kwargs")
        layers[name] = layer
        pending[name] = calls
    inputs_spec, outputs_spec = config.get("input_layers"), config.get("output_layers")
    for key, spec in (("input_layers", inputs_spec), ("output_layers", outputs_spec)):
        if not _valid_spec(spec):
            raise CorruptFileError(f"{where}.config.{key}: malformed ({spec!r})")
    if not reader.build:
        return None
    created = {name: [layer.output] for name, layer in layers.items()
               if isinstance(layer, InputLayer)}
    _run_nodes(layers, pending, created, where)
    legacy = isinstance(inputs_spec, list) and inputs_spec and _is_history(inputs_spec[0])
    inputs = _resolve_spec(inputs_spec, created, where, legacy)
    outputs = _resolve_spec(outputs_spec, created, where, legacy)
    try:
        return cls(inputs=inputs, outputs=outputs, **_kwargs(config))
    except (TypeError, ValueError) as e:
        raise CorruptFileError(f"{where}: the functional graph is invalid ({e})") from e


def _without_tensors(value):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        hist = (value.get("config") or {}).get("keras_history")
        if not _is_history(hist):
            raise CorruptFileError(f"malformed __keras_tensor__ entry {value!r}")
        return None
    if isinstance(value, list):
        return [_without_tensors(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_tensors(v) for k, v in value.items()}
    return value


def _valid_spec(spec):
    if _is_history(spec):
        return True
    if isinstance(spec, list):
        return all(_valid_spec(s) for s in spec)
    if isinstance(spec, dict):
        return all(_valid_spec(s) for s in spec.values())
    return False


def _lookup_tensor(history, created):
    name, node_index, tensor_index = history[:3]
    outputs = created.get(name)
    if outputs is None or node_index >= len(outputs):
        return None
    flat = outputs[node_index]
    flat = flat if isinstance(flat, list | tuple) else [flat]
    return flat[tensor_index] if tensor_index < len(flat) else None


def _resolve_tensors(value, created):
    """Replace ``__keras_tensor__`` entries by created tensors; ``None`` when one is missing."""
    missing = []

    def walk(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            t = _lookup_tensor(v["config"]["keras_history"], created)
            if t is None:
                missing.append(v)
            return t
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    out = walk(value)
    return None if missing else out


def _run_nodes(layers, pending, created, where):
    from numdeep import tree

    todo = {name: list(calls) for name, calls in pending.items() if calls}
    while todo:
        progress = False
        for name in list(todo):
            calls = todo[name]
            while calls:
                args = _resolve_tensors(calls[0][0], created)
                kwargs = _resolve_tensors(calls[0][1], created)
                if args is None or kwargs is None:
                    break
                kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
                try:
                    out = layers[name](*args, **kwargs)
                except (TypeError, ValueError) as e:
                    raise CorruptFileError(f"{where}: calling layer {name!r} on its inputs "
                                           f"failed ({e})") from e
                created.setdefault(name, []).append(tree.flatten(out))
                calls.pop(0)
                progress = True
            if not calls:
                del todo[name]
        if not progress:
            raise CorruptFileError(f"{where}: the graph cannot be rebuilt; layers "
                                   f"{sorted(todo)} wait for inputs that are never produced")


def _resolve_spec(spec, created, where, legacy):
    if _is_history(spec):
        t = _lookup_tensor(spec, created)
        if t is None:
            raise CorruptFileError(f"{where}: unknown model input/output {spec!r}")
        return t
    if isinstance(spec, dict):
        return {k: _resolve_spec(v, created, where, False) for k, v in spec.items()}
    out = [_resolve_spec(s, created, where, False) for s in spec]
    return out[0] if legacy and len(out) == 1 else out
