"""``clone_model`` (Keras's ``keras.models.clone_model``): the same architecture with new
weights, layer by layer for ``Sequential`` and functional models (so a ``clone_function`` can
swap layers and a ``call_function`` can insert some), through the config for subclassed ones."""

from numdeep import tree
from numdeep.backend import unique_name
from numdeep.ops.symbolic import KerasTensor, SymbolicOp
from numdeep.saving.object_config import deserialize
from numdeep.saving.ops_config import OpCall
from numdeep.saving.serialization import serialize

__all__ = ["clone_model"]


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A copy of ``model`` with newly initialized weights.

    Args:
        model: a ``Sequential``, functional or subclassed ``Model``.
        input_tensors: symbolic tensors to build the copy on (the structure of
            ``model.input``); new ``Input``s by default.
        clone_function: ``fn(layer) -> layer`` giving each layer of the copy (default: a new
            layer from the layer's config; ``lambda layer: layer`` reuses the layers).
        call_function: ``fn(layer, *args, **kwargs)`` calling each layer of a functional
            copy (default: ``layer(*args, **kwargs)``), e.g. to add a layer after some.
        recursive: clone nested ``Sequential``/functional models the same way (else they go
            through ``clone_function`` like any layer).

    Returns:
        The new model (compiled like ``model`` when it was compiled).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving.cloning import clone_model
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2, name="d")])
        >>> copy = clone_model(model)
        >>> copy.layers[0].name, copy.layers[0] is model.layers[0]
        ('d', False)
    """
    from numdeep.models import Model, Sequential

    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    graph_model = isinstance(model, Sequential) or (isinstance(model, Model) and
                                                     model._graph is not None)
    if graph_model:
        clone = _wrap_clone_function(clone_function, call_function, recursive, cache)
        if isinstance(model, Sequential):
            if call_function is not None:
                raise ValueError("`call_function` argument is not supported with Sequential "
                                 "models. In a Sequential model, layers aren't called at "
                                 "model-construction time (they're merely listed). Use "
                                 "`call_function` with Functional models only.")
            return _compiled_like(model, _clone_sequential(model, clone, input_tensors))
        return _compiled_like(model, _clone_functional(model, clone, call_function,
                                                       input_tensors))
    if clone_function or input_tensors:
        raise ValueError(f"Arguments `clone_function` and `input_tensors` are only supported "
                         f"for Sequential models or Functional models. Received model of type "
                         f"'{type(model).__name__}', with clone_function={clone_function} and "
                         f"input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError(f"Argument `call_function` is only supported for Functional models. "
                         f"Received model of type '{type(model).__name__}'.")
    return deserialize(serialize(model), custom_objects={type(model).__name__: type(model)})


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """``clone_function`` that clones each layer once (shared layers stay shared) and, with
    ``recursive``, clones nested models with ``clone_model``."""
    from numdeep.models import Model, Sequential

    if clone_function is None:
        def clone_function(layer):
            return type(layer).from_config(layer.get_config())
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        nested = isinstance(layer, Sequential) or (isinstance(layer, Model) and
                                                    layer._graph is not None)
        if recursive and nested:
            copy = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache,
                               call_function=None if isinstance(layer, Sequential)
                               else call_function)
        else:
            copy = clone_function(layer)
        cache[id(layer)] = copy
        return copy

    wrapped.cache = cache
    return wrapped


def _compiled_like(model, copy):
    if getattr(model, "compiled", False):
        copy.compile_from_config(model.get_compile_config())
    return copy


def _clone_sequential(model, clone, input_tensors):
    from numdeep.layers import Input
    from numdeep.models import Sequential

    layers = [clone(layer) for layer in model.layers]
    source = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, list | tuple):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"Argument `input_tensors` must be a KerasTensor. Received invalid "
                             f"value: input_tensors={input_tensors}")
        layers = [Input(tensor=input_tensors)] + layers
    elif source is not None:
        layers = [Input(batch_shape=source.batch_shape, dtype=source.dtype)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _new_inputs(model, input_tensors):
    from numdeep.layers import Input, InputLayer

    if input_tensors is None:
        return tree.map_structure(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.name),
            model._graph.inputs, is_leaf=lambda x: isinstance(x, KerasTensor))
    if not _same_structure(input_tensors, model._graph.inputs):
        raise ValueError(f"`input_tensors` must have the same structure as model.input. "
                         f"Reference structure: {model._graph.inputs}, Received structure: "
                         f"{input_tensors}")

    def adopt(t):
        if t.node is not None and isinstance(t.node.operation, InputLayer):
            return t
        return Input(tensor=t)

    return tree.map_structure(adopt, input_tensors, is_leaf=lambda x: isinstance(x, KerasTensor))


def _same_structure(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
            all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return isinstance(a, list | tuple) and isinstance(b, list | tuple) and \
            len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return True


def _clone_functional(model, clone, call_function, input_tensors):
    from numdeep.models import Model

    graph = model._graph
    inputs = _new_inputs(model, input_tensors)
    env = {id(old): new for old, new in zip(graph.input_tensors, tree.flatten(inputs))}

    def value(x):
        return env[id(x)] if isinstance(x, KerasTensor) else x

    for node in graph.nodes:
        op = node.operation
        if isinstance(op, SymbolicOp):
            new_op = OpCall(getattr(op.fn, "__wrapped__", op.fn), unique_name(op.fn.__name__), {})
        else:
            new_op = clone(op)
        args = tree.map_structure(value, list(node.call_args))
        kwargs = tree.map_structure(value, dict(node.call_kwargs))
        if call_function is not None and not isinstance(op, SymbolicOp):
            out = call_function(new_op, *args, **kwargs)
        else:
            out = new_op(*args, **kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(out)):
            env[id(old)] = new
    outputs = tree.map_structure(lambda t: env[id(t)], graph.outputs,
                                 is_leaf=lambda x: isinstance(x, KerasTensor))
    cls = type(model) if _functional_like(type(model)) else Model
    return cls(inputs, outputs, name=model.name, trainable=model.trainable)


def _functional_like(cls):
    """Whether ``cls`` can be built as ``cls(inputs, outputs, ...)`` (Model or a subclass that
    keeps Model's constructor)."""
    from numdeep import models

    inits = {models.Model.__init__, getattr(models, "Functional", models.Model).__init__}
    return cls.__init__ in inits or getattr(cls.__init__, "__wrapped__", None) in inits
