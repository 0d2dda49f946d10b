"""Writing: numdeep objects as Keras 3 dicts (``{'module', 'class_name', 'config',
'registered_name'}``), layers with their ``build_config``, models with their
``compile_config``, and the configs of ``Sequential`` and functional models (``layers`` with
``inbound_nodes``, ``input_layers``, ``output_layers``), ops recorded in a graph included.

Reading them back, through the allow-list, is ``object_config`` and ``model_config``.
"""

import inspect
import warnings

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor
from numdeep.backend import standardize_dtype
from numdeep.layers.input_layer import InputLayer
from numdeep.ops.symbolic import KerasTensor, SymbolicOp
from numdeep.saving import ops_config, registry, sharing
from numdeep.saving.keras_compat import keras_layer_config

_MODULES = {"layer": "keras.layers", "optimizer": "keras.optimizers",
            "schedule": "keras.optimizers.schedules", "initializer": "keras.initializers",
            "regularizer": "keras.regularizers", "loss": "keras.losses",
            "metric": "keras.metrics", "constraint": "keras.constraints",
            "seed_generator": "keras.random"}
_PLAIN = (str, bool, int, float)


def category_of(obj):
    """The registry category of a numdeep object or class (``'layer'``, ``'loss'``...)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    for cat in registry.CATEGORIES:
        base = registry.base_class(cat)
        if base is not None and issubclass(cls, base):
            return cat
    return None


def serialize(obj):
    """Return the Keras 3 dict form of ``obj`` (Keras's ``serialize_keras_object``): numdeep
    and registered objects, functions (by name, never by code), tensors and NumPy values,
    bytes, slices and ``...``, recursively through lists, tuples and dicts.

    Args:
        obj: the object.

    Returns:
        ``{'module', 'class_name', 'config', 'registered_name'}`` for objects (plus
        ``build_config`` for built layers and ``compile_config`` for compiled models),
        ``{'class_name': '__numpy__' ...}``-style entries for special values, JSON-ready values
        otherwise.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import serialize
        >>> entry = serialize(nd.layers.Dense(2, name="out"))
        >>> entry["module"], entry["class_name"], entry["config"]["units"]
        ('keras.layers', 'Dense', 2)
        >>> serialize(nd.initializers.Constant(0.5))["config"]
        {'value': 0.5}
        >>> serialize(slice(1, None))["class_name"]
        '__slice__'
    """
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, list):
        return [serialize(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(serialize(x) for x in obj)
    if isinstance(obj, dict):
        return {key: serialize(value) for key, value in obj.items()}
    special = _special(obj)
    if special is not None:
        return special
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return function_entry(obj)
    cat = category_of(obj)
    if cat == "layer":
        entry = serialize_layer(obj)
    elif hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The `get_config()` method of {obj} should return a dict. It "
                            f"returned: {config}")
        entry = class_entry(obj, serialize(config), cat)
        _add_build_and_compile(obj, entry)
    elif callable(obj) and hasattr(obj, "__name__"):
        return function_entry(obj)
    else:
        raise TypeError(f"Cannot serialize object {obj} of type {type(obj)}. To be serializable, "
                        f"a class must implement the `get_config()` method.")
    sharing.record_serialized(obj, entry)
    return entry


def _special(obj):
    """The Keras entry of a value that is not an object with a config, else ``None``."""
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__",
                "config": {"start": serialize(obj.start), "stop": serialize(obj.stop),
                           "step": serialize(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": obj.shape, "dtype": obj.dtype,
                           "keras_history": _history(obj) if obj.node is not None else None}}
    if isinstance(obj, Tensor):
        array = np.asarray(obj.numpy())
        return {"class_name": "__tensor__",
                "config": {"value": array.tolist(), "dtype": standardize_dtype(array.dtype)}}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": standardize_dtype(obj.dtype)}}
    if isinstance(obj, np.generic | np.ndarray):
        return obj.item()
    if isinstance(obj, np.dtype):
        return obj.name
    return None


def class_entry(obj, config, category):
    """The Keras envelope of one object whose config is already serialized: a numdeep class
    names its Keras module; any other class its own module and its registered name."""
    cls = type(obj)
    if category is not None and not registry.is_registered(cls) and \
            cls.__module__.startswith("numdeep."):
        return {"module": _MODULES[category], "class_name": cls.__name__, "config": config,
                "registered_name": None}
    module = None if cls.__module__ == "__main__" else cls.__module__
    return {"module": module, "class_name": cls.__name__, "config": config,
            "registered_name": registry.get_registered_name(cls)}


def function_entry(fn):
    """A function as Keras 3 stores it: by its registered name (``'package>name'``) or its
    ``__name__``, never by its code."""
    name = registry.get_registered_name(fn)
    if not isinstance(name, str):
        raise TypeError(f"Cannot serialize {fn!r}: it has no __name__.")
    if name == "<lambda>":
        warnings.warn("The object being serialized includes a `lambda`. numdeep stores functions "
                      "by name only (never their code), so it cannot be reloaded: use a named "
                      "function and pass it in `custom_objects` when loading.", stacklevel=3)
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def _add_build_and_compile(obj, entry):
    get_build = getattr(obj, "get_build_config", None)
    build = get_build() if callable(get_build) else None
    if build is not None:
        entry["build_config"] = serialize(build)
    get_compile = getattr(obj, "get_compile_config", None)
    compile_config = get_compile() if callable(get_compile) else None
    if compile_config is not None:
        entry["compile_config"] = serialize(compile_config)


def serialize_layer(layer):
    """The Keras entry of one layer or model: module, class name, config, build config (and the
    compile config of a compiled model)."""
    from numdeep.models import Functional, Model, Sequential

    graph_model = isinstance(layer, Sequential) or (isinstance(layer, Model) and
                                                     layer._graph is not None)
    config = serialize(layer.get_config())
    if not registry.is_registered(type(layer)) and not graph_model:
        config = keras_layer_config(type(layer).__name__, config, layer)
    entry = class_entry(layer, config, "layer")
    if type(layer) in (Model, Functional) and graph_model:
        entry.update(module="keras.src.models.functional", class_name="Functional",
                     registered_name="Functional")
    elif type(layer) is Sequential:
        entry["module"] = "keras"
    if graph_model:
        shape = layer._input_layer.batch_shape if isinstance(layer, Sequential) and \
            layer._input_layer is not None else None
        entry["build_config"] = {"input_shape": _listify(shape)}
    elif not isinstance(layer, InputLayer):
        shapes = layer._build_shapes if layer.built else None
        if _is_shape(shapes) or (isinstance(shapes, list | tuple) and shapes and
                                 all(_is_shape(s) for s in shapes)):
            entry["build_config"] = {"input_shape": _listify(shapes)}
        elif isinstance(shapes, dict) and layer.built:
            entry["build_config"] = {"shapes_dict": {k: _listify(v) for k, v in shapes.items()}}
    if isinstance(layer, Model):
        get_compile = getattr(layer, "get_compile_config", None)
        compile_config = get_compile() if callable(get_compile) else None
        if compile_config is not None:
            entry["compile_config"] = compile_config
    sharing.record_serialized(layer, entry)
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
        layers += [_strip_input_shape(_without_compile(serialize_layer(la)))
                   for la in model.layers]
        base["layers"] = layers
        if model._input_layer is not None:
            base["build_input_shape"] = _listify(model._input_layer.batch_shape)
        return base
    return {**base, **_functional_config(model._graph)}


def _without_compile(entry):
    entry.pop("compile_config", None)
    return entry


def _history(t):
    node = t.node
    operation = node.operation
    index = next(i for i, o in enumerate(node.output_tensors) if o is t)
    node_index = next((i for i, n in enumerate(_graph_nodes(operation)) if n is node), 0)
    return [operation.name, node_index, index]


_NODE_FILTER = {}  # id(operation) -> its nodes that belong to the graph being written


def _graph_nodes(operation):
    return _NODE_FILTER.get(id(operation), operation._inbound_nodes)


def _functional_config(graph):
    names = [op.name for op in graph.operations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Cannot save a functional model whose layers share names: "
                         f"{duplicates}. Give each layer a unique name.")
    in_graph = {id(n) for n in graph.nodes} | {id(t.node) for t in graph.input_tensors}
    saved = dict(_NODE_FILTER)
    for op in graph.operations:
        _NODE_FILTER[id(op)] = [n for n in op._inbound_nodes if id(n) in in_graph]
    try:
        layers = [_operation_entry(op) for op in graph.operations]
        is_leaf = lambda x: isinstance(x, KerasTensor)  # noqa: E731
        return {"layers": layers,
                "input_layers": tree.map_structure(_history, graph.inputs, is_leaf=is_leaf),
                "output_layers": tree.map_structure(_history, graph.outputs, is_leaf=is_leaf)}
    finally:
        _NODE_FILTER.clear()
        _NODE_FILTER.update(saved)


def _operation_entry(op):
    if isinstance(op, SymbolicOp):
        entry = ops_config.op_entry(op)
    else:
        entry = _strip_input_shape(_without_compile(serialize_layer(op)))
    entry["name"] = op.name
    nodes = [] if isinstance(op, InputLayer) else _graph_nodes(op)
    entry["inbound_nodes"] = [{"args": serialize(list(n.call_args)),
                               "kwargs": serialize(dict(n.call_kwargs))} for n in nodes]
    return entry
