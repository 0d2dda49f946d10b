"""Symbolic tensors and graph nodes: what calling a layer on an ``Input`` records."""


def map_structure(fn, *structures, is_leaf=None):
    """Apply ``fn`` to the leaves of nested lists/tuples/dicts, keeping the nesting."""
    first = structures[0]
    if is_leaf is not None and is_leaf(first):
        return fn(*structures)
    if isinstance(first, dict):
        return {k: map_structure(fn, *(s[k] for s in structures), is_leaf=is_leaf) for k in first}
    if isinstance(first, list | tuple):
        out = [map_structure(fn, *items, is_leaf=is_leaf) for items in zip(*structures)]
        return out if isinstance(first, list) else tuple(out)
    return fn(*structures)


def flatten_structure(structure):
    """The leaves of nested lists/tuples/dicts, in order."""
    if isinstance(structure, dict):
        return [x for k in structure for x in flatten_structure(structure[k])]
    if isinstance(structure, list | tuple):
        return [x for item in structure for x in flatten_structure(item)]
    return [structure]


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
        self.input_tensors = flatten_structure(inputs)
        self.output_tensors = flatten_structure(outputs)
        for i, t in enumerate(self.output_tensors):
            t.node = self
            single = len(self.output_tensors) == 1
            t.name = t.name or (layer.name if single else f"{layer.name}_{i}")
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors if t.node is not None]
