"""Writing: numdeep objects as Keras 3 dicts (``{'module', 'class_name', 'config',
'registered_name'}``), layers with their ``build_config``, and the configs of ``Sequential`` and
functional models (``layers`` with ``inbound_nodes``, ``input_layers``, ``output_layers``).

Reading them back, through the allow-list, is ``object_config`` and ``model_config``.
"""

import inspect

import numpy as np

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.ops.symbolic import KerasTensor
from numdeep.saving import registry
from numdeep.saving.keras_compat import keras_layer_config

_MODULES = {"layer": "keras.layers", "optimizer": "keras.optimizers",
            "schedule": "keras.optimizers.schedules", "initializer": "keras.initializers",
            "regularizer": "keras.regularizers", "loss": "keras.losses",
            "metric": "keras.metrics"}


def category_of(obj):
    """The registry category of a numdeep object or class (``'layer'``, ``'loss'``...)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    for cat in registry.CATEGORIES:
        base = registry.base_class(cat)
        if issubclass(cls, base):
            return cat
    return None


def serialize(obj):
    """Return the Keras 3 dict form of a numdeep object (layer, model, optimizer, schedule,
    initializer, regularizer, loss, metric or function), recursively for containers.

    Args:
        obj: the object; plain values, lists and dicts are returned as JSON-ready values.

    Returns:
        ``{'module', 'class_name', 'config', 'registered_name'}`` for objects (plus
        ``build_config`` for built layers), JSON-ready values otherwise.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import serialize
        >>> entry = serialize(nd.layers.Dense(2, name="out"))
        >>> entry["module"], entry["class_name"], entry["config"]["units"]
        ('keras.layers', 'Dense', 2)
        >>> serialize(nd.initializers.Constant(0.5))["config"]
        {'value': 0.5}
    """
    if obj is None or isinstance(obj, str | bool | int | float):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, list | tuple):
        return [serialize(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize(v) for k, v in obj.items()}
    cat = category_of(obj)
    if cat == "layer":
        return serialize_layer(obj)
    if cat is not None or hasattr(obj, "get_config"):
        return class_entry(obj, serialize(obj.get_config()), cat)
    if callable(obj):
        return function_entry(obj)
    raise TypeError(f"Cannot serialize {obj!r} ({type(obj).__name__}): it is not a numdeep "
                    f"object, a registered class or function, or a plain value.")


def class_entry(obj, config, category):
    """The Keras envelope of one object whose config is already serialized."""
    cls = type(obj)
    registered = registry.is_registered(cls)
    module = cls.__module__ if registered or category is None else _MODULES[category]
    return {"module": module, "class_name": cls.__name__, "config": config,
            "registered_name": registry.get_registered_name(cls) if registered else None}


def function_entry(fn):
    """A function as Keras stores it: by name (never by code)."""
    name = getattr(fn, "__name__", None)
    if name is None:
        raise TypeError(f"Cannot serialize {fn!r}: it has no __name__.")
    for cat in ("activation", "loss", "metric"):
        if registry.lookup_function(name, category=cat) is fn:
            return name if cat == "activation" else {
                "module": _MODULES[cat], "class_name": "function", "config": name,
                "registered_name": None}
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": name, "registered_name": registry.get_registered_name(fn)}


def fix_function_names(value):
    """Give registered functions inside a layer config their ``package>name``."""
    if isinstance(value, list):
        return [fix_function_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "function" and isinstance(value.get("config"), str):
        fn = registry.find_registered_function(value["config"], value.get("module"))
        if fn is not None:
            return {**value, "registered_name": registry.get_registered_name(fn)}
        return value
    return {k: fix_function_names(v) for k, v in value.items()}


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
    """Positional and keyword arguments of one call, as Keras records them."""
    return list(node.call_args), dict(node.call_kwargs)
