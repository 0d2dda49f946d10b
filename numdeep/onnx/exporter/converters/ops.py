"""``numdeep.ops`` calls recorded in graphs (``x + y``, ``ops.mean(x, axis=1)``, ``x[:, 0]``),
as subclassed models and custom layers use them: elementwise math, comparisons, reductions,
shape changes, indexing, ``matmul``/``einsum``."""

import numpy as np

from numdeep.autograd import Tensor, data_of
from numdeep.onnx.exporter.context import Value, converts_op
from numdeep.onnx.exporter.converters.core import onnx_dtype
from numdeep.ops.symbolic import KerasTensor

_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div",
           "true_divide": "Div", "power": "Pow", "maximum": "Max", "minimum": "Min",
           "matmul": "MatMul", "equal": "Equal", "less": "Less", "less_equal": "LessOrEqual",
           "greater": "Greater", "greater_equal": "GreaterOrEqual", "logical_and": "And",
           "logical_or": "Or", "logical_xor": "Xor", "mod": "Mod"}
_UNARY = {"negative": "Neg", "abs": "Abs", "absolute": "Abs", "log": "Log", "sqrt": "Sqrt",
          "sin": "Sin", "cos": "Cos", "tan": "Tan", "erf": "Erf", "floor": "Floor",
          "ceil": "Ceil", "sign": "Sign", "reciprocal": "Reciprocal", "logical_not": "Not",
          "arcsin": "Asin", "arccos": "Acos", "arctan": "Atan", "sinh": "Sinh", "cosh": "Cosh",
          "round": "Round"}
_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin",
           "prod": "ReduceProd", "amax": "ReduceMax", "amin": "ReduceMin"}


def operand(ctx, value, dtype):
    """An ONNX name for an op argument: a converted tensor, or a constant (weights, arrays and
    Python numbers, the latter in ``dtype`` as numdeep keeps them weakly typed)."""
    if isinstance(value, KerasTensor):
        return ctx.value(value)
    if isinstance(value, Tensor) or hasattr(value, "data") and not isinstance(value, np.ndarray):
        return ctx.b.const(np.asarray(data_of(value)), "weight")
    if isinstance(value, bool | int | float) and dtype is not None:
        return ctx.b.const(np.asarray(value, dtype=np.dtype(dtype)), "c")
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return ctx.b.const(arr, "c")


def _dtype_of(*values):
    for v in values:
        if isinstance(v, KerasTensor):
            return v.dtype
    return None


def _result_dtype(ctx, name, node, op_dtype):
    """Cast ``name`` to the node's output dtype when ONNX computed another one."""
    want = node.output_tensors[0].dtype
    if op_dtype is not None and np.dtype(op_dtype) != np.dtype(want) and want != "bool":
        return ctx.b.node("Cast", [name], to=onnx_dtype(want))
    return name


def _binary(op_type):
    def convert(ctx, node, a, b, *rest, **kwargs):
        dtype = np.result_type(*[np.dtype(v.dtype) for v in (a, b)
                                 if isinstance(v, KerasTensor)]).name
        names = [operand(ctx, a, dtype), operand(ctx, b, dtype)]
        for i, v in enumerate((a, b)):
            if isinstance(v, KerasTensor) and v.dtype != dtype:
                names[i] = ctx.b.node("Cast", [names[i]], to=onnx_dtype(dtype))
        return [ctx.b.node(op_type, names)]
    return convert


for _name, _op in _BINARY.items():
    converts_op(_name)(_binary(_op))


def _unary(op_type):
    def convert(ctx, node, x):
        v = ctx.physical(x)
        return [Value(ctx.b.node(op_type, [v.name]), v.perm)]
    return convert


for _name, _op in _UNARY.items():
    converts_op(_name)(_unary(_op))


@converts_op("square")
def _square(ctx, node, x):
    name = ctx.value(x)
    return [ctx.b.node("Mul", [name, name])]


@converts_op("log1p", "expm1")
def _log1p(ctx, node, x):
    b = ctx.b
    one = operand(ctx, 1.0, x.dtype)
    if node.operation.fn.__name__ == "log1p":
        return [b.node("Log", [b.node("Add", [ctx.value(x), one])])]
    return [b.node("Sub", [b.node("Exp", [ctx.value(x)]), one])]


@converts_op("rsqrt")
def _rsqrt(ctx, node, x):
    return [ctx.b.node("Reciprocal", [ctx.b.node("Sqrt", [ctx.value(x)])])]


@converts_op("cast", "astype")
def _cast(ctx, node, x, dtype=None):
    return [ctx.b.node("Cast", [ctx.value(x)], to=onnx_dtype(node.output_tensors[0].dtype))]


@converts_op("clip")
def _clip(ctx, node, x, x_min=None, x_max=None):
    dtype = x.dtype
    return [ctx.b.node("Clip", [ctx.value(x), "" if x_min is None else operand(ctx, x_min, dtype),
                                "" if x_max is None else operand(ctx, x_max, dtype)])]


@converts_op("where")
def _where(ctx, node, condition, x1=None, x2=None):
    dtype = _dtype_of(x1, x2) or node.output_tensors[0].dtype
    cond = operand(ctx, condition, None)
    if not isinstance(condition, KerasTensor) or condition.dtype != "bool":
        cond = ctx.b.node("Cast", [cond], to=9)
    return [ctx.b.node("Where", [cond, operand(ctx, x1, dtype), operand(ctx, x2, dtype)])]


def _axes(axis, rank):
    if axis is None:
        return None
    return [a % rank for a in (axis if isinstance(axis, list | tuple) else [axis])]


def _reduce(op_type):
    def convert(ctx, node, x, axis=None, keepdims=False, **kwargs):
        name = ctx.value(x)
        if x.dtype == "bool":
            name = ctx.b.node("Cast", [name], to=6)
        return [_result_dtype(ctx, ctx.b.reduce(op_type, name, _axes(axis, len(x.shape)),
                                                keepdims), node, None)]
    return convert


for _name, _op in _REDUCE.items():
    converts_op(_name)(_reduce(_op))


@converts_op("var", "std")
def _var(ctx, node, x, axis=None, keepdims=False):
    b = ctx.b
    axes = _axes(axis, len(x.shape))
    name = ctx.value(x)
    centered = b.node("Sub", [name, b.reduce("ReduceMean", name, axes)])
    var = b.reduce("ReduceMean", b.node("Mul", [centered, centered]), axes, keepdims)
    return [b.node("Sqrt", [var]) if node.operation.fn.__name__ == "std" else var]


@converts_op("argmax", "argmin")
def _argmax(ctx, node, x, axis=None, keepdims=False):
    b = ctx.b
    name = ctx.value(x)
    if axis is None:
        name, axis = b.reshape(name, [-1]), 0
    op = "ArgMax" if node.operation.fn.__name__ == "argmax" else "ArgMin"
    out = b.node(op, [name], axis=axis % max(len(x.shape), 1), keepdims=int(keepdims))
    return [_result_dtype(ctx, out, node, "int64")]


# ----- shapes -----------------------------------------------------------------------------------
@converts_op("reshape")
def _reshape(ctx, node, x, newshape=None, **kwargs):
    shape = kwargs.get("new_shape", newshape)
    shape = [shape] if isinstance(shape, int) else list(shape)
    out_shape = node.output_tensors[0].shape
    if x.shape and out_shape and x.shape[0] is None and out_shape[0] is None and \
            shape and shape[0] in (None, -1) and -1 not in shape[1:]:
        shape = [0, *shape[1:]]  # the free batch axis
    shape = [-1 if s is None else s for s in shape]
    return [ctx.b.reshape(ctx.value(x), shape)]


@converts_op("transpose")
def _transpose(ctx, node, x, axes=None):
    rank = len(x.shape)
    perm = list(reversed(range(rank))) if axes is None else [a % rank for a in axes]
    return [ctx.permuted(x, perm)]


@converts_op("swapaxes")
def _swapaxes(ctx, node, x, axis1, axis2):
    rank = len(x.shape)
    perm = list(range(rank))
    perm[axis1 % rank], perm[axis2 % rank] = perm[axis2 % rank], perm[axis1 % rank]
    return [ctx.permuted(x, perm)]


@converts_op("expand_dims")
def _expand_dims(ctx, node, x, axis):
    rank = len(node.output_tensors[0].shape)
    return [ctx.b.unsqueeze(ctx.value(x), _axes(axis, rank))]


@converts_op("squeeze")
def _squeeze(ctx, node, x, axis=None):
    rank = len(x.shape)
    axes = _axes(axis, rank) if axis is not None else [i for i, s in enumerate(x.shape)
                                                       if s == 1]
    return [ctx.b.squeeze(ctx.value(x), axes)]


@converts_op("concatenate")
def _concat(ctx, node, xs, axis=0):
    dtype = node.output_tensors[0].dtype
    return [ctx.b.node("Concat", [operand(ctx, v, dtype) for v in xs],
                       axis=axis % len(node.output_tensors[0].shape))]


@converts_op("stack")
def _stack(ctx, node, xs, axis=0):
    rank = len(node.output_tensors[0].shape)
    dtype = node.output_tensors[0].dtype
    parts = [ctx.b.unsqueeze(operand(ctx, v, dtype), [axis % rank]) for v in xs]
    return [ctx.b.node("Concat", parts, axis=axis % rank)]


@converts_op("take")
def _take(ctx, node, x, indices, axis=None):
    b = ctx.b
    data = operand(ctx, x, None)
    if axis is None:
        data, axis = b.reshape(data, [-1]), 0
    idx = operand(ctx, indices, None)
    if not isinstance(indices, KerasTensor) or indices.dtype not in ("int32", "int64"):
        idx = b.node("Cast", [idx], to=7)
    rank = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    return [b.node("Gather", [data, idx], axis=axis % max(rank, 1))]


@converts_op("broadcast_to")
def _broadcast_to(ctx, node, x, shape):
    out = node.output_tensors[0].shape
    target = [1 if s is None else s for s in out]  # Expand broadcasts: 1 keeps a free size
    return [ctx.b.node("Expand", [ctx.value(x), ctx.b.ints(target)])]


@converts_op("einsum")
def _einsum(ctx, node, subscripts, *operands):
    dtype = _dtype_of(*operands)
    return [ctx.b.node("Einsum", [operand(ctx, v, dtype) for v in operands],
                       equation=subscripts.replace(" ", ""))]


@converts_op("pad")
def _pad(ctx, node, x, pad_width, mode="constant", constant_values=None):
    rank = len(x.shape)
    widths = np.broadcast_to(np.asarray(pad_width, np.int64).reshape(-1, 2), (rank, 2))
    b = ctx.b
    inputs = [ctx.value(x), b.ints(list(widths[:, 0]) + list(widths[:, 1]), "pads")]
    if constant_values not in (None, 0):
        inputs.append(operand(ctx, constant_values, x.dtype))
    if mode not in ("constant", "reflect", "edge"):
        ctx.fail(f"pad mode {mode!r} is not exported (constant, reflect and edge are).")
    return [b.node("Pad", inputs, mode=mode)]


@converts_op("getitem", "get_item")
def _getitem(ctx, node, x, index):
    b = ctx.b
    name = ctx.value(x)
    index = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, KerasTensor | np.ndarray | list) for i in index):
        ctx.fail("indexing with arrays or tensors is not exported yet (use numdeep.ops.take).")
    rank = len(x.shape)
    used = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (rank - used) + index[at + 1:]
    starts, ends, steps, axes, squeeze, insert = [], [], [], [], [], []
    axis, out_axis = 0, 0
    for i in index:
        if i is None:
            insert.append(out_axis)
            out_axis += 1
            continue
        if isinstance(i, slice):
            step = 1 if i.step is None else i.step
            if (i.start, i.stop, step) != (None, None, 1):
                big = np.iinfo(np.int64).max
                starts.append(i.start if i.start is not None else (0 if step > 0 else -1))
                ends.append(i.stop if i.stop is not None else (big if step > 0 else -big))
                steps.append(step)
                axes.append(axis)
            out_axis += 1
        else:
            i = int(i)
            starts.append(i)
            ends.append(i + 1 if i != -1 else np.iinfo(np.int64).max)
            steps.append(1)
            axes.append(axis)
            squeeze.append(axis)
        axis += 1
    if axes:
        name = b.slice(name, starts, ends, axes, steps)
    if squeeze:
        name = b.squeeze(name, squeeze)
    if insert:
        name = b.unsqueeze(name, insert)
    return [name]
