"""The layer graph behind ``Model(inputs, outputs)`` and ``Sequential``.

``Graph`` orders the nodes between the model's inputs and outputs once; ``run`` then walks that
flat list for concrete data and ``output_spec`` for symbolic inputs. ``standardize`` turns what a
caller passes (a tensor, a list, a dict, with ``None`` for optional inputs) into one value per
input, the way Keras's ``Functional`` does: dicts matched by key, a missing rank-1 axis added
or a trailing size-1 axis dropped, each value cast to its ``Input``'s dtype.
"""

import warnings

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor
from numdeep.layers.input_layer import InputLayer
from numdeep.layers.layer import Layer
from numdeep.models.operation_order import keras_operation_order
from numdeep.ops.symbolic import KerasTensor


def _check_tensors(what, structure):
    for x in tree.flatten(structure):
        if not isinstance(x, KerasTensor):
            raise ValueError(f"All `{what}` values must be KerasTensors. Received: "
                             f"{what}={structure} including invalid value {x} of type {type(x)}")


def _is_input(t):
    return t.node is not None and isinstance(t.node.layer, InputLayer)


def _paths(structure):
    """The path of every leaf of ``structure`` as Keras prints it (``'0.foo'``)."""
    return [".".join(str(p) for p in path) for path, _ in tree.flatten_with_path(structure)]


def _from_new_inputs(inputs, outputs):
    """A sub-graph whose inputs are intermediate tensors (``Model(x2, outputs)``): give each such
    tensor a fresh ``Input`` and replay the layers between them and the outputs on it, so the
    sub-model is a graph of its own (serializable, with ``InputLayer``s first)."""
    env = {}
    for t in tree.flatten(inputs):
        if _is_input(t):
            env[id(t)] = t
        else:
            env[id(t)] = InputLayer(batch_shape=t.shape, dtype=t.dtype).output
    for node in _order(tree.flatten(inputs), tree.flatten(outputs), outputs):
        args = tree.map_structure(lambda v: env.get(id(v), v), node.call_args)
        kwargs = tree.map_structure(lambda v: env.get(id(v), v), node.call_kwargs)
        out = node.operation(*args, **kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(out)):
            env[id(old)] = new
    swap = lambda t: env[id(t)]  # noqa: E731
    return tree.map_structure(swap, inputs), tree.map_structure(swap, outputs)


def _order(input_tensors, output_tensors, outputs):
    """The nodes from the inputs to the outputs in execution order (an iterative depth-first
    walk, so a deep graph cannot overflow the stack)."""
    known = {id(t) for t in input_tensors}
    order, seen = [], set()
    for index, out in enumerate(output_tensors):
        stack = [(out.node, False)] if id(out) not in known else []
        while stack:
            node, expanded = stack.pop()
            if expanded:
                known.update(id(t) for t in node.output_tensors)
                order.append(node)
                continue
            if id(node) in seen:
                continue
            if isinstance(node.layer, InputLayer):
                path = _paths(outputs)[index]
                raise ValueError(
                    f"Output with path `{path}` is not connected to `inputs` (graph "
                    f"disconnected): it needs "
                    f"'{node.layer.name}' (shape {node.output_tensors[0].shape}), which is not "
                    f"among Model(inputs=...).")
            seen.add(id(node))
            stack.append((node, True))
            for t in reversed(node.input_tensors):
                if id(t) not in known and t.node is not None and id(t.node) not in seen:
                    stack.append((t.node, False))
    return order


class Graph:
    """Nodes from ``inputs`` to ``outputs`` in execution order.

    Built once from the symbolic tensors; ``run`` then walks a flat list of steps, so a chain of
    layers (``Sequential``) costs one loop iteration per layer.
    """

    def __init__(self, inputs, outputs):
        _check_tensors("inputs", inputs)
        _check_tensors("outputs", outputs)
        if not tree.flatten(inputs):
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        if not tree.flatten(outputs):
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        if isinstance(inputs, dict):
            for key, t in inputs.items():
                if isinstance(t, KerasTensor) and t.name is not None and key != t.name:
                    warnings.warn(
                        f"When providing `inputs` as a dict, all keys in the dict must match "
                        f"the names of the corresponding tensors. Received key '{key}' mapping "
                        f"to value {t} which has name '{t.name}'. Change the tensor name to "
                        f"'{key}' (via `Input(..., name='{key}')`)", stacklevel=4)
        if not all(_is_input(t) for t in tree.flatten(inputs)):
            inputs, outputs = _from_new_inputs(inputs, outputs)
        self.inputs = inputs
        self.outputs = outputs
        self.input_tensors = tree.flatten(inputs)
        self.output_tensors = tree.flatten(outputs)
        self.nodes = _order(self.input_tensors, self.output_tensors, outputs)
        # Every layer and op in Keras's order (weight files depend on it); `layers` keeps the
        # layers (as Keras does).
        self.operations = keras_operation_order(self.input_tensors, self.output_tensors)
        self.layers = [op for op in self.operations if isinstance(op, Layer)]
        names = [op.name for op in self.operations]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the '
                                 f'model. All operation names should be unique.')
        self.input_specs = None

    # ----- the inputs a caller passes ---------------------------------------------------------
    def standardize(self, inputs, warn=True):
        """One value per input, in ``input_tensors`` order, from what the caller passed (see the
        module docstring); ``None`` is refused for an input that is not optional."""
        if len(self.input_tensors) == 1 and isinstance(inputs, Tensor | np.ndarray):
            return [self._adjust(0, inputs)]  # the common case, once per batch
        struct = self.inputs
        raise_error = False
        if isinstance(struct, list) and len(struct) == 1 and not isinstance(
                inputs, list | tuple | dict):
            inputs = [inputs]
        elif isinstance(inputs, dict) and not isinstance(struct, dict):
            if isinstance(struct, KerasTensor):
                if struct.name in inputs:
                    inputs = inputs[struct.name]
                else:
                    raise_error = True
            elif all(isinstance(t, KerasTensor) for t in struct) and \
                    {t.name for t in struct} <= set(inputs):
                inputs = [inputs[t.name] for t in struct]
            else:
                raise_error = True
        if isinstance(struct, dict) and not isinstance(inputs, dict) and \
                list(struct) != sorted(struct):
            raise_error = True  # a list cannot be matched to keys in an unsorted order
        if warn or raise_error:
            self._check_structure(inputs, raise_error)
        values = tree.flatten(inputs)
        if len(values) != len(self.input_tensors):
            values = self._match_by_name(inputs, values)
        return [self._adjust(i, v) for i, v in enumerate(values)]

    def _check_structure(self, inputs, raise_error):
        expected = tree.map_structure(lambda t: t.name, self.inputs)
        try:
            tree.assert_same_structure(tree.lists_to_tuples(inputs),
                                       tree.lists_to_tuples(self.inputs))
            return
        except (ValueError, TypeError):
            pass
        received = tree.map_structure(
            lambda x: "None" if x is None else f"Tensor(shape={tuple(np.shape(x))})"
            if not hasattr(x, "shape") else f"Tensor(shape={tuple(x.shape)})", inputs)
        msg = (f"The structure of `inputs` doesn't match the expected structure.\n"
               f"Expected: {expected}\nReceived: inputs={received}")
        if raise_error:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=5)

    def _match_by_name(self, inputs, values):
        if isinstance(inputs, dict):
            names = [t.name for t in self.input_tensors]
            flat_keys = {k: v for k, v in inputs.items() if not isinstance(v, dict)}
            if all(n in flat_keys for n in names):
                return [flat_keys[n] for n in names]
            if isinstance(self.inputs, dict) and set(self.inputs) <= set(inputs):
                return tree.flatten({k: inputs[k] for k in self.inputs})
        raise ValueError(f"The model expects {len(self.input_tensors)} input(s) "
                         f"({[t.name for t in self.input_tensors]}) but received {len(values)}.")

    def _adjust(self, i, x):
        """Input ``i`` as the graph wants it: its dtype, its rank (within one trailing 1)."""
        ref = self.input_tensors[i]
        if x is None:
            if not ref.optional:
                raise ValueError(f"The input '{ref.name}' is not optional, but None was passed. "
                                 f"Please provide a valid tensor.")
            return None
        if isinstance(x, KerasTensor):
            return x
        if ref.dtype == "string":  # str, bytes or object arrays stay as given
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        elif not isinstance(x, Tensor):
            x = np.asarray(x)
            x = Tensor(x.astype(ref.dtype, copy=False) if x.dtype != ref.dtype else x)
        elif x.dtype != ref.dtype:
            x = x.astype(ref.dtype)
        rank, ref_rank = x.ndim, len(ref.shape)
        if rank == ref_rank:
            return x
        if rank == ref_rank + 1 and x.shape[-1] == 1:
            return x.reshape(x.shape[:-1])
        if rank == ref_rank - 1 and ref.shape[-1] == 1:
            return x.reshape((*x.shape, 1))
        path = _paths(self.inputs)[i]
        raise ValueError(f"Invalid input shape for input {x} with name '{ref.name}' and path "
                         f"'{path}'. Expected shape {ref.shape}, but input has incompatible "
                         f"shape {tuple(x.shape)}")

    # ----- running ----------------------------------------------------------------------------
    def output_spec(self, inputs):
        """The symbolic outputs for symbolic ``inputs`` (their shapes may differ from the
        graph's, e.g. a known batch size): each node's output spec, no new nodes recorded."""
        from numdeep.ops.symbolic import output_spec

        values = self.standardize(inputs, warn=False)
        env = {id(t): v for t, v in zip(self.input_tensors, values)}

        def value(t):
            return env[id(t)] if isinstance(t, KerasTensor) else t

        for node in self.nodes:
            args = tree.map_structure(value, node.call_args)
            kwargs = tree.map_structure(value, node.call_kwargs)
            op = node.operation
            out = op.compute_output_spec(*args, **kwargs) if isinstance(op, Layer) else \
                output_spec(op.fn, args, kwargs)
            for t, v in zip(node.output_tensors, tree.flatten(out)):
                env[id(t)] = v
        return tree.pack_sequence_as(self.outputs, [env[id(t)] for t in self.output_tensors])

    def run(self, inputs, training=False, values=None):
        """Compute the outputs for concrete ``inputs`` (or for ``values``, already one per
        input from ``standardize``)."""
        if values is None:
            values = self.standardize(inputs)
        env = {id(t): v for t, v in zip(self.input_tensors, values)}

        def value(t):
            return env[id(t)] if isinstance(t, KerasTensor) else t

        for node in self.nodes:
            args, kwargs = node.call_args, node.call_kwargs
            if len(args) == 1 and not kwargs and type(args[0]) is KerasTensor:
                args = (env[id(args[0])],)
            else:
                args = tree.map_structure(value, args)
                kwargs = tree.map_structure(value, kwargs)
            if isinstance(node.operation, Layer):
                out = node.operation(*args, training=training, **kwargs)
            else:
                out = node.operation(*args, **kwargs)
            if len(node.output_tensors) == 1:
                env[id(node.output_tensors[0])] = out
            else:
                for t, v in zip(node.output_tensors, tree.flatten(out)):
                    env[id(t)] = v
        if len(self.output_tensors) == 1 and not isinstance(self.outputs, list | tuple | dict):
            return env[id(self.outputs)]
        # As Keras packs them: a dict of outputs comes back with its keys sorted.
        return tree.pack_sequence_as(self.outputs, [env[id(t)] for t in self.output_tensors])
