"""What models imported from ONNX hold besides numdeep's own layers: the run-time shape
functions (``Reshape`` with ONNX's rules, ``Expand``, ``ConstantOfShape``, ``Shape``, ``Slice``
by run-time bounds) and
``ConstantOperand``, exported back as the operators they came from."""

import numpy as np

from numdeep.onnx.exporter.context import converts, converts_op
from numdeep.onnx.exporter.converters.core import onnx_dtype, weight
from numdeep.onnx.exporter.converters.ops import operand
from numdeep.onnx.importer import runtime
from numdeep.onnx.importer.layers import ConstantOperand

_BIN = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "mod": "Mod"}


def shape_tensor(ctx, spec, refs):
    """The 1-D int64 ONNX value of a shape spec (ints, ``("dim", i, axis)``, ``(op, a, b)``)."""
    b = ctx.b
    if all(isinstance(e, int) for e in spec):
        return b.ints(spec)

    def entry(e):
        if isinstance(e, int):
            return b.ints([e])
        if e[0] == "dim":
            shape = b.node("Shape", [ctx.value(refs[e[1]])])
            return b.slice(shape, [e[2]], [e[2] + 1], [0])
        return b.node(_BIN[e[0]], [entry(e[1]), entry(e[2])])

    return b.node("Concat", [entry(e) for e in spec], axis=0)


@converts_op(runtime.onnx_reshape)
def _onnx_reshape(ctx, node, x, spec, *refs, allowzero=0):
    return [ctx.b.node("Reshape", [ctx.value(x), shape_tensor(ctx, spec, refs)],
                       allowzero=int(allowzero) or None)]


@converts_op(runtime.onnx_expand)
def _onnx_expand(ctx, node, x, spec, *refs):
    return [ctx.b.node("Expand", [ctx.value(x), shape_tensor(ctx, spec, refs)])]


@converts_op(runtime.onnx_full)
def _onnx_full(ctx, node, spec, *refs, value=0.0, dtype="float32"):
    fill = ctx.b.onnx.numpy_helper.from_array(np.asarray([value], dtype=np.dtype(dtype)))
    return [ctx.b.node("ConstantOfShape", [shape_tensor(ctx, spec, refs)], value=fill)]


@converts_op(runtime.onnx_slice)
def _onnx_slice(ctx, node, x, starts, ends, axes, steps, *refs):
    b = ctx.b
    data = operand(ctx, x, node.output_tensors[0].dtype)
    return [b.node("Slice", [data, shape_tensor(ctx, starts, refs),
                             shape_tensor(ctx, ends, refs), b.ints(axes, "axes"),
                             b.ints(steps, "steps")])]


@converts_op(runtime.onnx_shape)
def _onnx_shape(ctx, node, x, start=0, end=None):
    return [ctx.b.node("Shape", [ctx.value(x)], start=start or None, end=end)]


@converts_op("floor_divide")
def _floor_divide(ctx, node, a, b_):
    dtype = node.output_tensors[0].dtype
    x, y = operand(ctx, a, dtype), operand(ctx, b_, dtype)
    if np.dtype(dtype).kind in "iu":
        return [ctx.b.node("Div", [x, y])]  # sizes are positive: truncation is flooring
    return [ctx.b.node("Floor", [ctx.b.node("Div", [x, y])])]


_OPS = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "matmul": "MatMul"}


@converts(ConstantOperand)
def _constant_operand(ctx, layer, node):
    x = node.call_args[0]
    name = ctx.value(x)
    w = weight(layer.weight, np.dtype(layer.weight.dtype))
    if np.dtype(x.dtype) != w.dtype:
        name = ctx.b.node("Cast", [name], to=onnx_dtype(w.dtype))
    const = ctx.b.const(w, f"{layer.name}_weight")
    inputs = [const, name] if layer.weight_first else [name, const]
    return [ctx.b.node(_OPS[layer.op], inputs, name=layer.name)]
