"""Reading model configs in the Keras format: ``Sequential`` (a ``layers`` list) and functional
models (``layers`` with ``inbound_nodes``, ``input_layers``, ``output_layers``), in the Keras 3
dialect (``__keras_tensor__`` nodes, ``batch_shape``) and the Keras 2 one (nested-list nodes,
``batch_input_shape``, dtype strings, no ``module`` keys). Writing them is ``serialization``."""

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.saving import ops_config
from numdeep.saving.errors import ConfigTypeError, CorruptFileError


# ----- reading -----------------------------------------------------------------------------------
def model_from_config(reader, cls, config, where):
    """Build (or, when ``reader.build`` is false, only check) a model from its config."""
    from numdeep.models import Sequential

    if isinstance(config, list):  # Keras 2.0: a Sequential config was the bare layer list
        config = {"name": None, "layers": config}
    layers = config.get("layers")
    if issubclass(cls, Sequential) and ("name" not in config or not isinstance(layers, list)):
        raise CorruptFileError(f"{where}: A Sequential model configuration must be a dictionary "
                               f"containing the 'name' and 'layers' keys. Received: {config}")
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
    for entry in config["layers"]:
        if not isinstance(entry, dict) or "config" not in entry:
            raise CorruptFileError(f"{where}: Expected a dictionary containing a 'config' key. "
                                   f"Received: {entry}")
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


def _mask_only_ops(entries, outputs):
    """Names of Keras op nodes (``keras.src.ops``: the ``NotEqual``/``Any`` a ``Masking`` layer
    records) whose outputs only feed ``mask=`` arguments; numdeep propagates masks itself."""
    ops = {e.get("name") for e in entries if isinstance(e, dict)
           and str(e.get("module", "")).startswith("keras.src.ops")}
    as_data, as_mask = set(), set()
    _collect_histories(_as_tensor_entries(outputs), as_data)
    for e in entries:
        if not isinstance(e, dict):
            continue
        for node in e.get("inbound_nodes") or []:
            if isinstance(node, dict):
                kwargs = node.get("kwargs") or {}
                _collect_histories(node.get("args"), as_data)
                _collect_histories({k: v for k, v in kwargs.items() if k != "mask"}, as_data)
                _collect_histories(kwargs.get("mask"), as_mask)
    return (ops & as_mask) - as_data


def _as_tensor_entries(spec):
    """``output_layers`` histories as ``__keras_tensor__`` entries (for ``_collect_histories``)."""
    if _is_history(spec):
        return {"class_name": "__keras_tensor__", "config": {"keras_history": spec}}
    if isinstance(spec, list):
        return [_as_tensor_entries(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _as_tensor_entries(v) for k, v in spec.items()}
    return None


def _drop_mask_ops(entries, outputs=None):
    dropped = _mask_only_ops(entries, outputs)
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
    entries = _drop_mask_ops(config["layers"], config.get("output_layers"))
    layers, pending = {}, {}
    for i, entry in enumerate(entries):
        at = f"{where}.config.layers[{i}]"
        if not isinstance(entry, dict):
            raise CorruptFileError(f"{at}: a layer entry must be a dict")
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str) or name in layers:
            raise CorruptFileError(f"{at}: missing or duplicate layer name {name!r}")
        layer = _operation(reader, entry, name, at)
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
    _run_nodes(layers, pending, created, where, reader)
    legacy = isinstance(inputs_spec, list) and inputs_spec and _is_history(inputs_spec[0])
    inputs = _resolve_spec(inputs_spec, created, where, legacy)
    outputs = _resolve_spec(outputs_spec, created, where, legacy)
    kwargs = _kwargs(config)
    if cls.__name__ not in ("Functional", "Model"):
        # A functional subclass gets its own config entries back as keyword arguments (its
        # `get_config` added them), as in Keras; they are plain values, never code.
        kwargs.update({k: v for k, v in config.items() if k not in (
            "layers", "input_layers", "output_layers", "name", "trainable")})
    try:
        return cls(inputs=inputs, outputs=outputs, **kwargs)
    except (TypeError, ValueError) as e:
        raise CorruptFileError(f"{where}: the functional graph is invalid ({e})") from e


def _operation(reader, entry, name, where):
    """The layer of a functional config entry, or the op (``keras.src.ops...``) it names."""
    if not ops_config.is_op_entry(entry):
        return reader.value(_unbuilt(entry), where, "layer")
    fn = ops_config.find_op(entry.get("class_name"))
    if fn is None:
        reader.fail(where, f"op {entry.get('class_name')!r} ({entry.get('module')!r}) has no "
                           f"numdeep counterpart")
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigTypeError(f"{where}: Expected 'config' to be a dict for "
                              f"{entry.get('class_name')}, instead got {type(config)}")
    kwargs = {k: reader.value(v, f"{where}.config.{k}") for k, v in config.items() if k != "name"}
    return ops_config.OpCall(fn, name, kwargs) if reader.build else None


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
    if isinstance(spec, list | tuple):  # a tuple: an in-memory config of tuple outputs
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


def _resolve_tensors(value, created, reader):
    """Replace ``__keras_tensor__`` entries by created tensors and read the other entries
    (slices, arrays, objects); ``None`` when a tensor is missing."""
    missing = []

    def walk(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            t = _lookup_tensor(v["config"]["keras_history"], created)
            if t is None:
                missing.append(v)
            return t
        if isinstance(v, dict) and "class_name" in v:
            return reader.value(v, "inbound_nodes")
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    out = walk(value)
    return None if missing else out


def _history_names(value):
    """The layer names a node's saved arguments read tensors from."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return [value["config"]["keras_history"][0]]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _history_names(v)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _history_names(v)]
    return []


def _run_nodes(layers, pending, created, where, reader):
    todo = {name: list(calls) for name, calls in pending.items() if calls}
    while todo:
        progress = False
        for name in list(todo):
            calls = todo[name]
            while calls:
                args = _resolve_tensors(calls[0][0], created, reader)
                kwargs = _resolve_tensors(calls[0][1], created, reader)
                if args is None or kwargs is None:
                    break
                kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
                try:
                    out = layers[name](*args, **kwargs)
                except TypeError as e:
                    raise ConfigTypeError(
                        f"{where}: calling layer {name!r} on its inputs failed ({e}). Please "
                        f"ensure that components that are Python object instances (layers, "
                        f"models, etc.) returned by `get_config()` are explicitly deserialized "
                        f"in the model's `from_config()` method.") from e
                except ValueError as e:
                    raise CorruptFileError(f"{where}: calling layer {name!r} on its inputs "
                                           f"failed ({e})") from e
                created.setdefault(name, []).append(tree.flatten(out))
                calls.pop(0)
                progress = True
            if not calls:
                del todo[name]
        if not progress:
            wanted = sorted({h for calls in todo.values() for call in calls
                             for h in _history_names(call)} - set(layers) - set(created))
            if wanted:
                raise CorruptFileError(f"{where}: Invalid Functional model configuration. "
                                       f"Missing node: {', '.join(wanted)} (needed by layers "
                                       f"{sorted(todo)})")
            raise CorruptFileError(f"{where}: Invalid Functional model configuration. The graph "
                                   f"of the Functional model either has loops or disconnected "
                                   f"nodes: layers {sorted(todo)} wait for inputs that are "
                                   f"never produced")


def _resolve_spec(spec, created, where, legacy):
    if _is_history(spec):
        t = _lookup_tensor(spec, created)
        if t is None:
            raise CorruptFileError(f"{where}: unknown model input/output {spec!r}")
        return t
    if isinstance(spec, dict):
        return {k: _resolve_spec(v, created, where, False) for k, v in spec.items()}
    out = [_resolve_spec(s, created, where, False) for s in spec]
    if isinstance(spec, tuple):
        return tuple(out)
    return out[0] if legacy and len(out) == 1 else out
