"""Reading model configs in the Keras format: ``Sequential`` (a ``layers`` list) and functional
models (``layers`` with ``inbound_nodes``, ``input_layers``, ``output_layers``), in the Keras 3
dialect (``__keras_tensor__`` nodes, ``batch_shape``) and the Keras 2 one (nested-list nodes,
``batch_input_shape``, dtype strings, no ``module`` keys). Writing them is ``serialization``."""

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.saving.errors import CorruptFileError


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
