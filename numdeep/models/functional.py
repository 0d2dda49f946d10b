"""The layer graph behind ``Model(inputs, outputs)`` and ``Sequential``."""

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.layers.layer import Layer
from numdeep.ops.symbolic import KerasTensor


def _is_tensor(t):
    return isinstance(t, KerasTensor)


class Graph:
    """Nodes from ``inputs`` to ``outputs`` in execution order.

    Built once from the symbolic tensors; ``run`` then walks a flat list of steps, so a chain of
    layers (``Sequential``) costs one loop iteration per layer.
    """

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        self.input_tensors = tree.flatten(inputs)
        self.output_tensors = tree.flatten(outputs)
        for t in self.input_tensors + self.output_tensors:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Model inputs and outputs must be symbolic tensors from Input(...) and layer "
                    f"calls on them; received {type(t).__name__}."
                )
        for t in self.input_tensors:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come from Input(...); {t.name!r} is the output of layer "
                    f"'{t.node.layer.name}'."
                )
        self.nodes = self._order_nodes()
        # Every layer and op in execution order; `layers` keeps the layers (as Keras does).
        self.operations = []
        for t in self.input_tensors:
            self.operations.append(t.node.operation)
        for node in self.nodes:
            if not any(node.operation is op for op in self.operations):
                self.operations.append(node.operation)
        self.layers = [op for op in self.operations if isinstance(op, Layer)]

    def _order_nodes(self):
        known = {id(t) for t in self.input_tensors}
        order, seen, stack = [], set(), [(t.node, False) for t in reversed(self.output_tensors)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                for t in node.input_tensors:
                    if id(t) not in known:
                        raise ValueError(
                            f"Graph disconnected: cannot get a value for tensor {t.name!r} "
                            f"(shape {t.shape}) needed by layer '{node.layer.name}'. Every input "
                            f"it depends on must be listed in Model(inputs=...)."
                        )
                known.update(id(t) for t in node.output_tensors)
                order.append(node)
                continue
            if id(node) in seen or isinstance(node.layer, InputLayer):
                continue
            seen.add(id(node))
            stack.append((node, True))
            for t in reversed(node.input_tensors):
                if t.node is not None and id(t.node) not in seen and id(t) not in known:
                    stack.append((t.node, False))
        return order

    def flatten_inputs(self, inputs):
        """Concrete inputs in the order of ``input_tensors``; dicts are matched by key (the
        model's dict keys, or the ``Input`` names for list-input models)."""
        if isinstance(inputs, dict):
            keys = list(self.inputs) if isinstance(self.inputs, dict) else [
                t.name for t in self.input_tensors]
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(f"The model's inputs are {keys}; the input dict lacks "
                                 f"{missing} (received keys {list(inputs)}).")
            return [inputs[k] for k in keys]
        values = tree.flatten(inputs)
        if len(values) != len(self.input_tensors):
            raise ValueError(
                f"The model expects {len(self.input_tensors)} input(s) "
                f"({[t.name for t in self.input_tensors]}) but received {len(values)}."
            )
        return values

    def run(self, inputs, training=False):
        """Compute the outputs for concrete ``inputs`` (same structure as the graph's inputs)."""
        values = tree.flatten(inputs) if not isinstance(inputs, dict) else None
        if values is None or len(values) != len(self.input_tensors):
            values = self.flatten_inputs(inputs)
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
        return tree.map_structure(lambda t: env[id(t)], self.outputs)
