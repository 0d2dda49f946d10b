"""Importers of ONNX's math: elementwise arithmetic (a constant tensor operand becomes a
trainable weight), activations, comparisons, reductions, ``MatMul`` and ``Gemm`` (as ``Dense``
layers when the weights are constants), casts and constants."""

import numpy as np

from numdeep.layers.core import Dense
from numdeep.onnx.importer.context import folds, imports, is_const
from numdeep.onnx.importer.layers import ConstantOperand
from numdeep.onnx.importer.shapes import is_partial
from numdeep.ops import eager as ops

_ARITH = {"Add": ("add", np.add), "Sub": ("subtract", np.subtract),
          "Mul": ("multiply", np.multiply), "Div": ("divide", None),
          "Pow": ("power", np.power), "Max": ("maximum", np.maximum),
          "Min": ("minimum", np.minimum), "Mod": ("mod", np.mod)}
_COMPARE = {"Equal": (ops.equal, np.equal), "Less": (ops.less, np.less),
            "Greater": (ops.greater, np.greater), "LessOrEqual": (ops.less_equal, np.less_equal),
            "GreaterOrEqual": (ops.greater_equal, np.greater_equal),
            "And": (ops.logical_and, np.logical_and), "Or": (ops.logical_or, np.logical_or)}
_UNARY = {"Relu": ops.relu, "Sigmoid": ops.sigmoid, "Tanh": ops.tanh, "Exp": ops.exp,
          "Log": ops.log, "Sqrt": ops.sqrt, "Neg": ops.negative, "Abs": ops.abs,
          "Erf": ops.erf, "Reciprocal": ops.reciprocal, "Floor": ops.floor, "Ceil": ops.ceil,
          "Sin": ops.sin, "Cos": ops.cos, "Softplus": ops.softplus, "Softsign": ops.softsign,
          "Not": ops.logical_not, "Sign": ops.sign, "HardSwish": ops.hard_swish,
          "Round": ops.round}
ONNX_TO_NUMPY = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
                 9: "bool", 10: "float16", 11: "float64"}


# ----- folding on constants (shape arithmetic included) ----------------------------------------
def _int_divide(a, b):
    if a.dtype.kind in "iuO" and b.dtype.kind in "iuO":
        return np.floor_divide(a, b)
    return np.divide(a, b)


@folds(*_ARITH)
def _fold_arith(inputs, attrs, op_type=None):
    a, b = inputs
    fn = _int_divide if op_type == "Div" else _ARITH[op_type][1]
    out = fn(a, b)
    if object in (a.dtype, b.dtype):
        return [np.asarray(out, dtype=object)]
    return [np.asarray(out).astype(np.result_type(a, b))]


@folds(*_COMPARE)
def _fold_compare(inputs, attrs, op_type=None):
    return [np.asarray(_COMPARE[op_type][1](*inputs))]


_fold_arith.partial_ok = True


@folds("Identity", "Dropout")
def _fold_identity(inputs, attrs, op_type=None):
    return [inputs[0]] + ([np.ones(np.shape(inputs[0]), bool)] if op_type == "Dropout" else [])


_fold_identity.partial_ok = True


@folds("Constant")
def _fold_constant(inputs, attrs, op_type=None):
    for key in ("value", "value_float", "value_int", "value_floats", "value_ints"):
        if key in attrs:
            value = np.asarray(attrs[key])
            if key in ("value_float", "value_floats"):
                value = value.astype(np.float32)
            elif key in ("value_int", "value_ints"):
                value = value.astype(np.int64)
            return [value]
    raise ValueError("Constant without a value")


@folds("Cast")
def _fold_cast(inputs, attrs, op_type=None):
    x = inputs[0]
    if is_partial(x):
        return [x]  # sizes stay sizes whatever integer type they are cast to
    return [x.astype(ONNX_TO_NUMPY[attrs["to"]])]


_fold_cast.partial_ok = True


@folds("Sqrt", "Neg", "Abs", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Relu", "Sigmoid",
       "Tanh", "Erf", "Not", "Sign", "Round", "Sin", "Cos", "Softplus", "Softsign")
def _fold_unary(inputs, attrs, op_type=None):
    return [np.asarray(_UNARY[op_type](inputs[0]).data)]


# ----- symbolic -------------------------------------------------------------------------------
@imports(*_ARITH)
def _arith(ctx, node, inputs, attrs):
    a, b = inputs
    name = _ARITH[node.op_type][0]
    for weight, other, first in ((b, a, False), (a, b, True)):
        if is_const(weight) and weight.size > 1 and weight.dtype.kind == "f" and \
                name in ("add", "subtract", "multiply", "divide"):
            layer = ConstantOperand(name, weight, weight_first=first, name=ctx.unique())
            return [layer(other)]
    a, b = (np.asarray(v) if is_const(v) else v for v in (a, b))
    if name == "divide" and all(np.dtype(getattr(v, "dtype", "float32")).kind in "iu"
                                for v in (a, b)):
        return [ctx.op(ops.floor_divide, a, b)]
    return [ctx.op(getattr(ops, name), a, b)]


@imports(*_COMPARE)
def _compare(ctx, node, inputs, attrs):
    return [ctx.op(_COMPARE[node.op_type][0], *inputs)]


@imports(*_UNARY)
def _unary(ctx, node, inputs, attrs):
    return [ctx.op(_UNARY[node.op_type], inputs[0])]


@imports("LeakyRelu", "Elu", "Selu", "HardSigmoid", "Gelu", "Celu")
def _parametric(ctx, node, inputs, attrs):
    x, op = inputs[0], node.op_type
    if op == "LeakyRelu":
        return [ctx.op(ops.leaky_relu, x, negative_slope=attrs.get("alpha", 0.01))]
    if op == "Elu":
        return [ctx.op(ops.elu, x, alpha=attrs.get("alpha", 1.0))]
    if op == "Celu":
        return [ctx.op(ops.celu, x, alpha=attrs.get("alpha", 1.0))]
    if op == "Gelu":
        return [ctx.op(ops.gelu, x, approximate=attrs.get("approximate", "none") == "tanh")]
    if op == "Selu":
        alpha, gamma = attrs.get("alpha", 1.67326319217681884765625), attrs.get(
            "gamma", 1.05070102214813232421875)
        return [ctx.op(ops.multiply, ctx.op(ops.elu, x, alpha=alpha), np.float32(gamma))]
    alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
    if abs(alpha - 1 / 6) < 1e-7 and beta == 0.5:
        return [ctx.op(ops.hard_sigmoid, x)]
    y = ctx.op(ops.add, ctx.op(ops.multiply, x, np.float32(alpha)), np.float32(beta))
    return [ctx.op(ops.clip, y, 0.0, 1.0)]


@imports("Clip")
def _clip(ctx, node, inputs, attrs):
    x = inputs[0]
    low = inputs[1] if len(inputs) > 1 and inputs[1] is not None else attrs.get("min")
    high = inputs[2] if len(inputs) > 2 and inputs[2] is not None else attrs.get("max")
    if low is not None and float(ctx.const(np.asarray(low), "min")) == 0.0 and high is None:
        return [ctx.op(ops.relu, x)]
    low = -np.inf if low is None else float(ctx.const(np.asarray(low), "min"))
    high = np.inf if high is None else float(ctx.const(np.asarray(high), "max"))
    return [ctx.op(ops.clip, x, low, high)]


@imports("Where")
def _where(ctx, node, inputs, attrs):
    return [ctx.op(ops.where, *inputs)]


@imports("Cast")
def _cast(ctx, node, inputs, attrs):
    return [ctx.op(ops.cast, inputs[0], ONNX_TO_NUMPY[attrs["to"]])]


@imports("Identity", "Dropout")
def _identity(ctx, node, inputs, attrs):
    return [inputs[0]] + ([None] if len(node.output) > 1 else [])


def _reduce_axes(ctx, inputs, attrs):
    axes = attrs.get("axes")
    if len(inputs) > 1 and inputs[1] is not None:
        axes = ctx.const(inputs[1], "axes").tolist()
    if axes is not None and not len(axes):
        axes = None
    if axes is None and attrs.get("noop_with_empty_axes", 0):
        return "noop"
    return None if axes is None else tuple(int(a) for a in axes)


_REDUCE = {"ReduceMean": ops.mean, "ReduceSum": ops.sum, "ReduceMax": ops.max,
           "ReduceMin": ops.min, "ReduceProd": ops.prod}


@imports(*_REDUCE, "ReduceSumSquare", "ReduceL2")
def _reduce(ctx, node, inputs, attrs):
    x = inputs[0]
    axes = _reduce_axes(ctx, inputs, attrs)
    if axes == "noop":
        return [x]
    keep = bool(attrs.get("keepdims", 1))
    if node.op_type in ("ReduceSumSquare", "ReduceL2"):
        y = ctx.op(ops.sum, ctx.op(ops.multiply, x, x), axis=axes, keepdims=keep)
        return [ctx.op(ops.sqrt, y) if node.op_type == "ReduceL2" else y]
    return [ctx.op(_REDUCE[node.op_type], x, axis=axes, keepdims=keep)]


@imports("ArgMax", "ArgMin")
def _argmax(ctx, node, inputs, attrs):
    fn = ops.argmax if node.op_type == "ArgMax" else ops.argmin
    y = ctx.op(fn, inputs[0], axis=attrs.get("axis", 0), keepdims=bool(attrs.get("keepdims", 1)))
    return [ctx.op(ops.cast, y, "int64")]


# ----- matrix products ---------------------------------------------------------------------------
def _dense(ctx, x, kernel, bias, name=None):
    layer = Dense(kernel.shape[1], use_bias=bias is not None, name=name or ctx.unique())
    y = layer(x)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    return y


def _bias_after(ctx, node):
    """The constant 1-D bias of an ``Add`` that is the only reader of ``node``'s output (PyTorch's
    ``Linear`` on 3-D inputs: MatMul then Add), marking that Add as done."""
    out = node.output[0]
    if ctx.consumers.get(out, 0) != 1 or out in ctx.outputs:
        return None
    for later in ctx.graph.node:
        if later.op_type == "Add" and out in later.input:
            other = [n for n in later.input if n != out]
            value = ctx.values.get(other[0]) if len(other) == 1 else None
            if is_const(value) and value.ndim == 1 and value.dtype.kind == "f":
                ctx.skip.add(later.output[0])
                return later, value
            return None
    return None


@imports("MatMul")
def _matmul(ctx, node, inputs, attrs):
    a, b = inputs
    if is_const(b) and b.ndim == 2 and b.dtype.kind == "f":
        fused = _bias_after(ctx, node)
        if fused is not None:
            add, bias = fused
            y = _dense(ctx, a, b, bias)
            ctx.values[add.output[0]] = y
            return [y]
        return [_dense(ctx, a, b, None)]
    for weight, other, first in ((b, a, False), (a, b, True)):
        if is_const(weight) and weight.dtype.kind == "f":
            return [ConstantOperand("matmul", weight, weight_first=first, name=ctx.unique())(
                other)]
    return [ctx.op(ops.matmul, a, b)]


@imports("Gemm")
def _gemm(ctx, node, inputs, attrs):
    a, b = inputs[0], inputs[1]
    c = inputs[2] if len(inputs) > 2 else None
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    if attrs.get("transA", 0):
        a = ctx.op(ops.transpose, a, (1, 0))
    if not is_const(b):
        ctx.fail("Gemm with a computed B matrix is not imported yet (B must be a weight).")
    kernel = (b.T if attrs.get("transB", 0) else b) * np.float32(alpha)
    bias = None
    if c is not None:
        c = ctx.const(c, "C") * np.float32(beta)
        bias = np.broadcast_to(c.reshape(-1) if c.size > 1 else c, (kernel.shape[1],))
    return [_dense(ctx, a, kernel.astype(np.float32), None if bias is None else
                   np.array(bias, np.float32))]
