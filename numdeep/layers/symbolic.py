"""Symbolic tensors and graph nodes: what calling a layer on an ``Input`` records."""

from numdeep import tree


def any_symbolic(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, list | tuple):
        return any(any_symbolic(s) for s in structure)
    if isinstance(structure, dict):
        return any(any_symbolic(s) for s in structure.values())
    return False


class KerasTensor:
    """A placeholder for a batch of data: shape (``None`` = any size) and dtype, plus the node
    that produced it. Calling layers on these records a graph for ``Model(inputs, outputs)``."""

    __slots__ = ("shape", "dtype", "name", "node")

    def __init__(self, shape, dtype="float32", name=None, node=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.node = node

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of ``layer`` on symbolic ``inputs`` giving ``outputs`` (with extra kwargs)."""

    def __init__(self, layer, inputs, outputs, kwargs=None):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = dict(kwargs or {})
        self.input_tensors = tree.flatten(inputs)
        self.output_tensors = tree.flatten(outputs)
        for i, t in enumerate(self.output_tensors):
            t.node = self
            single = len(self.output_tensors) == 1
            t.name = t.name or (layer.name if single else f"{layer.name}_{i}")
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors if t.node is not None]
