"""What the operator importers work with: the value of every ONNX name (a symbolic tensor of the
numdeep graph being built, or a constant folded at import), unique layer names, and the tables
of importers (symbolic) and folders (NumPy, for nodes whose inputs are all constant)."""

import re

import numpy as np

from numdeep.autograd import data_of
from numdeep.onnx.errors import OnnxImportError
from numdeep.onnx.importer.shapes import is_partial, settle
from numdeep.ops.operation import symbolic_call
from numdeep.ops.symbolic import KerasTensor, SymbolicOp, any_symbolic

IMPORTERS = {}  # op_type -> fn(ctx, node, inputs, attrs) -> outputs
FOLDERS = {}  # op_type -> fn(inputs, attrs) -> outputs, on constants only


def imports(*op_types):
    def wrap(fn):
        for op in op_types:
            IMPORTERS[op] = fn
        return fn
    return wrap


def folds(*op_types):
    def wrap(fn):
        for op in op_types:
            FOLDERS[op] = fn
        return fn
    return wrap


def clean_name(name):
    """An ONNX name as a numdeep layer name (letters, digits, ``_.-``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_.")
    return name or "node"


def is_const(value):
    return isinstance(value, np.ndarray)


class ImportContext:
    """The state of one import.

    Args:
        graph: the ONNX ``GraphProto``.
        opset: its default-domain opset.
    """

    def __init__(self, graph, opset):
        self.graph, self.opset = graph, opset
        self.values = {}
        self.outputs = {o.name for o in graph.output}
        self._names = set()
        self.node = None
        self.consumers = {}
        for node in graph.node:
            for name in node.input:
                self.consumers[name] = self.consumers.get(name, 0) + 1
        for name in self.outputs:
            self.consumers[name] = self.consumers.get(name, 0) + 1
        self.skip = set()  # first outputs of nodes already folded into a fused layer

    def get(self, name):
        if name == "":
            return None
        try:
            return self.values[name]
        except KeyError:
            raise OnnxImportError(f"ONNX import: value {name!r} is used before it is defined "
                                  f"(node {self.node.name!r}, {self.node.op_type}).") from None

    def unique(self, base=None):
        """A unique layer name: the graph output's name for a node that makes one, else the
        node's name."""
        node = self.node
        if base is None:
            out = node.output[0] if node is not None and node.output else ""
            base = out if out in self.outputs else (node.name or node.op_type.lower())
        base = clean_name(base)
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    def op(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``: recorded as a named graph node on symbolic arguments,
        computed (a folded constant) otherwise."""
        if any_symbolic(list(args), kwargs):
            return symbolic_call(fn, args, kwargs, SymbolicOp(fn, name=self.unique()))
        return np.asarray(data_of(fn(*args, **kwargs)))

    def fail(self, message):
        node = self.node
        where = f"node {node.name!r} ({node.op_type})" if node is not None else "the graph"
        raise OnnxImportError(f"ONNX import of {where}: {message}")

    def const(self, value, what):
        """``value`` as a constant array, or a clear error naming ``what``."""
        if not is_const(value) or is_partial(value):
            self.fail(f"`{what}` must be a constant of the graph (numdeep builds a fixed "
                      f"graph); it is computed at run time here.")
        return settle(value)


def tensor_or_const(value):
    """The value as an op argument: symbolic tensors stay, constants become arrays."""
    return value if isinstance(value, KerasTensor) else settle(value)
