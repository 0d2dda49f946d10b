"""``GraphBuilder``: ONNX nodes, initializers and unique names, with helpers that hide how the
operators changed between opsets (reduction axes and ``Squeeze`` axes moved from attributes to
inputs in opsets 13 and 18)."""

import re

import numpy as np

from numdeep.onnx._deps import require_onnx

DEFAULT_OPSET = 18  # LayerNormalization, Mish and axes-as-inputs; read by onnxruntime >= 1.14,
# OpenCV's dnn module and TensorRT 8.6+.
MIN_OPSET = 13

# Reductions whose axes are an input from opset 18 on (ReduceSum moved in 13).
_AXES_INPUT_FROM = {"ReduceSum": 13}


def check_opset(opset):
    """``opset`` (or the default) checked against what numdeep writes and onnx knows."""
    onnx = require_onnx()
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"`opset_version` must be an int in [{MIN_OPSET}, {newest}] (the "
                         f"installed onnx knows up to {newest}). Received: {opset!r}")
    return opset


def _clean(name):
    return re.sub(r"[^A-Za-z0-9_.:/-]", "_", str(name)) or "v"


class GraphBuilder:
    """Collects the nodes and initializers of one ONNX graph.

    A sub-graph (the body of a ``Scan``) shares the name space of its parent and puts its
    constants in the parent graph, where the body reads them from the outer scope.

    Args:
        opset: the default-domain opset the nodes target.
        parent: the enclosing builder, for a sub-graph.
    """

    def __init__(self, opset, parent=None):
        self.onnx = require_onnx()
        self.opset = opset
        self.parent = parent
        self.nodes = []
        self.initializers = []
        self._names = parent._names if parent is not None else set()
        self._small = {}

    def unique(self, base):
        """A value or node name not used yet, derived from ``base``."""
        base = _clean(base)
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    def node(self, op_type, inputs, outputs=1, name=None, **attrs):
        """Append a node; returns its output name (or the list of them when ``outputs`` is
        not 1). ``None`` attributes are left out; ``''`` inputs are omitted optional ones."""
        hint = name or op_type.lower()
        outs = [self.unique(hint) for _ in range(outputs)] if isinstance(outputs, int) \
            else list(outputs)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), outs, name=self.unique(f"{hint}_node"), **attrs))
        return outs[0] if outputs == 1 else outs

    def const(self, value, name="const", dtype=None):
        """An initializer holding ``value``; small constants are shared."""
        if self.parent is not None:
            return self.parent.const(value, name, dtype)
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(np.float32)
        key = None
        if arr.size <= 16:
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            if key in self._small:
                return self._small[key]
        out = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array(arr, order="C"),
                                                                   out))
        if key is not None:
            self._small[key] = out
        return out

    def ints(self, values, name="shape"):
        """A 1-D int64 initializer."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1), name)

    def scalar(self, value, dtype=np.float32, name="c"):
        return self.const(np.asarray(value, dtype=dtype), name)

    # ----- operators whose form depends on the opset ----------------------------------------
    def reduce(self, op_type, x, axes, keepdims=True, name=None):
        """``Reduce*`` over ``axes`` (all axes for ``None``)."""
        keep = int(bool(keepdims))
        if self.opset >= _AXES_INPUT_FROM.get(op_type, 18):
            inputs = [x] if axes is None else [x, self.ints(axes, "axes")]
            return self.node(op_type, inputs, name=name, keepdims=keep)
        return self.node(op_type, [x], name=name, keepdims=keep,
                         axes=None if axes is None else list(axes))

    def squeeze(self, x, axes, name=None):
        return self.node("Squeeze", [x, self.ints(axes, "axes")], name=name)

    def unsqueeze(self, x, axes, name=None):
        return self.node("Unsqueeze", [x, self.ints(axes, "axes")], name=name)

    def transpose(self, x, perm, name=None):
        perm = [int(p) for p in perm]
        if perm == sorted(perm):
            return x
        return self.node("Transpose", [x], name=name, perm=perm)

    def slice(self, x, starts, ends, axes, steps=None, name=None):
        inputs = [x, self.ints(starts, "starts"), self.ints(ends, "ends"),
                  self.ints(axes, "axes")]
        if steps is not None:
            inputs.append(self.ints(steps, "steps"))
        return self.node("Slice", inputs, name=name)

    def split(self, x, sizes, axis, name=None):
        return self.node("Split", [x, self.ints(sizes, "split")], outputs=len(sizes),
                         name=name, axis=axis) if len(sizes) > 1 else [x]

    def reshape(self, x, shape, name=None):
        return self.node("Reshape", [x, self.ints(shape)], name=name)

    def matmul_add(self, x, kernel, bias=None, name=None):
        """``x @ kernel (+ bias)`` with constant weights."""
        y = self.node("MatMul", [x, self.const(kernel, f"{name or 'dense'}_kernel")], name=name)
        if bias is not None:
            y = self.node("Add", [y, self.const(bias, f"{name or 'dense'}_bias")], name=name)
        return y

    # ----- the finished graph -----------------------------------------------------------------
    def value_info(self, name, dtype, shape):
        """A graph input/output description; ``None`` or a string marks a free dimension."""
        onnx = self.onnx
        elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return onnx.helper.make_tensor_value_info(name, elem, list(shape))

    def graph(self, name, inputs, outputs):
        return self.onnx.helper.make_graph(self.nodes, _clean(name), inputs, outputs,
                                           initializer=self.initializers)

    def model(self, graph, doc=None):
        onnx = self.onnx
        opsets = [onnx.helper.make_opsetid("", self.opset)]
        model = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="numdeep",
                                       producer_version=_version(), doc_string=doc or "")
        # The lowest IR version that carries the opset, so older runtimes can read the file.
        model.ir_version = onnx.helper.find_min_ir_version_for(opsets)
        return model


def _version():
    from numdeep import __version__

    return __version__
