"""Activation functions as ONNX operators, the activation layers, and the ``numdeep.ops``
activations recorded in graphs. Elementwise ones keep a value's layout (a convolution's
channels-first output stays channels-first through its ReLU)."""

import math

import numpy as np

from numdeep.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from numdeep.layers.core import Activation
from numdeep.onnx.exporter.context import Value, converts, converts_op
from numdeep.ops.symbolic import KerasTensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _gelu(b, x, approximate=False):
    if b.opset >= 20:
        return b.node("Gelu", [x], approximate="tanh" if approximate else "none")
    if approximate:
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
        inner = b.node("Add", [x, b.node("Mul", [cube, b.scalar(0.044715)])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.scalar(math.sqrt(2 / math.pi))])])
    else:
        t = b.node("Erf", [b.node("Mul", [x, b.scalar(1 / math.sqrt(2))])])
    half = b.node("Mul", [x, b.scalar(0.5)])
    return b.node("Mul", [half, b.node("Add", [t, b.scalar(1.0)])], name="gelu")


def _mish(b, x):
    if b.opset >= 18:
        return b.node("Mish", [x])
    return b.node("Mul", [x, b.node("Tanh", [b.node("Softplus", [x])])], name="mish")


def _relu_general(b, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's ``relu`` with leak, cap and threshold."""
    if max_value is None and threshold == 0.0:
        if negative_slope == 0.0:
            return b.node("Relu", [x])
        return b.node("LeakyRelu", [x], alpha=float(negative_slope))
    if negative_slope == 0.0 and threshold == 0.0:
        return b.node("Clip", [x, b.scalar(0.0), b.scalar(float(max_value))], name="relu_cap")
    above_mask = b.node("Greater", [x, b.scalar(float(threshold))])
    zero = b.scalar(0.0)
    above = b.node("Where", [above_mask, x, zero])
    if max_value is not None:
        above = b.node("Min", [above, b.scalar(float(max_value))])
    if negative_slope == 0.0:
        return above
    below = b.node("Where", [above_mask, zero, b.node("Sub", [x, b.scalar(float(threshold))])])
    return b.node("Add", [above, b.node("Mul", [below, b.scalar(float(negative_slope))])])


def _softplus(b, x):
    return b.node("Softplus", [x])


# name -> fn(builder, x, **kwargs) for the elementwise activations
ELEMENTWISE = {
    "linear": lambda b, x: x,
    "relu": lambda b, x, **kw: _relu_general(b, x, **kw),
    "relu6": lambda b, x: b.node("Clip", [x, b.scalar(0.0), b.scalar(6.0)], name="relu6"),
    "leaky_relu": lambda b, x, negative_slope=0.2: b.node("LeakyRelu", [x],
                                                           alpha=float(negative_slope)),
    "elu": lambda b, x, alpha=1.0: b.node("Elu", [x], alpha=float(alpha)),
    "selu": lambda b, x: b.node("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    "gelu": _gelu,
    "sigmoid": lambda b, x: b.node("Sigmoid", [x]),
    "hard_sigmoid": lambda b, x: b.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5),
    "tanh": lambda b, x: b.node("Tanh", [x]),
    "softplus": _softplus,
    "softsign": lambda b, x: b.node("Softsign", [x]),
    "silu": lambda b, x: b.node("Mul", [x, b.node("Sigmoid", [x])], name="silu"),
    "hard_silu": lambda b, x: b.node("HardSwish", [x]),
    "hard_swish": lambda b, x: b.node("HardSwish", [x]),
    "mish": _mish,
    "log_sigmoid": lambda b, x: b.node("Neg", [_softplus(b, b.node("Neg", [x]))]),
    "exponential": lambda b, x: b.node("Exp", [x]),
    "exp": lambda b, x: b.node("Exp", [x]),
    "celu": lambda b, x, alpha=1.0: b.node("Celu", [x], alpha=float(alpha)),
    "tanh_shrink": lambda b, x: b.node("Sub", [x, b.node("Tanh", [x])]),
    "hard_tanh": lambda b, x: b.node("Clip", [x, b.scalar(-1.0), b.scalar(1.0)]),
}


def softmax_onnx(b, x, axes, rank, log=False):
    """Softmax (or log-softmax) over ``axes`` of a rank-``rank`` value."""
    axes = sorted(a % rank for a in (axes if isinstance(axes, list | tuple) else [axes]))
    if len(axes) == 1:
        return b.node("LogSoftmax" if log else "Softmax", [x], axis=axes[0])
    shifted = b.node("Sub", [x, b.reduce("ReduceMax", x, axes)])
    if log:
        lse = b.node("Log", [b.reduce("ReduceSum", b.node("Exp", [shifted]), axes)])
        return b.node("Sub", [shifted, lse])
    e = b.node("Exp", [shifted])
    return b.node("Div", [e, b.reduce("ReduceSum", e, axes)])


# Callables that are not numdeep activations but compute one (the pretrained models' table of
# transformers' ``hidden_act`` names registers its lambdas): fn -> (ELEMENTWISE name, kwargs).
ALIASES = {}


def activation_name(fn):
    """The name of a numdeep activation function, or None for another callable."""
    if fn is None:
        return "linear"
    module = getattr(fn, "__module__", "")
    if module in ("numdeep.activations", "numdeep.ops.nn") or module.startswith("numdeep.ops"):
        return fn.__name__
    return None


def apply_activation(ctx, value, fn, rank):
    """``fn`` (an activation) applied to the ``Value`` of a rank-``rank`` tensor."""
    name, kwargs = ALIASES.get(fn, (activation_name(fn), {}))
    if name == "gelu" and getattr(fn, "__module__", "").startswith("numdeep.ops"):
        kwargs = {"approximate": True, **kwargs}  # ops.gelu's default, unlike the activation's
    if name in ELEMENTWISE:
        out = ELEMENTWISE[name](ctx.b, value.name, **kwargs)
        return value if out == value.name else Value(out, value.perm)
    if name in ("softmax", "log_softmax"):
        axis = rank - 1 if value.perm is None else value.perm.index(rank - 1)
        return Value(softmax_onnx(ctx.b, value.name, [axis], rank, log=name == "log_softmax"),
                     value.perm)
    return _traced_activation(ctx, value, fn, rank)


def _traced_activation(ctx, value, fn, rank):
    """Another callable (``lambda x: ops.gelu(x, approximate=False)``) runs on a symbolic
    tensor; the ``numdeep.ops`` calls it records are converted like any graph's."""
    from numdeep.onnx.exporter.walk import convert_nodes, nodes_between

    x = KerasTensor((None,) * rank)
    ctx.set(x, value)
    try:
        y = fn(x)
    except Exception as err:  # noqa: BLE001 - any failure: not built from numdeep.ops
        ctx.fail(f"activation {getattr(fn, '__name__', fn)!r} is not one of numdeep's and could "
                 f"not run on symbolic tensors ({type(err).__name__}: {err}); build it from "
                 f"numdeep.ops calls.")
    if not isinstance(y, KerasTensor):
        ctx.fail(f"activation {getattr(fn, '__name__', fn)!r} returned {type(y).__name__}, not "
                 f"a symbolic tensor: it does not compute with numdeep.ops.")
    convert_nodes(ctx, nodes_between(ctx, [y]))
    return ctx.physical(y)


# ----- layers -----------------------------------------------------------------------------------
@converts(Activation)
def _activation(ctx, layer, node):
    x = node.call_args[0]
    return [apply_activation(ctx, ctx.physical(x), layer.activation, len(x.shape))]


@converts(ReLU)
def _relu_layer(ctx, layer, node):
    v = ctx.physical(node.call_args[0])
    out = _relu_general(ctx.b, v.name, float(layer.negative_slope),
                        None if layer.max_value is None else float(layer.max_value),
                        float(layer.threshold))
    return [Value(out, v.perm)]


@converts(LeakyReLU)
def _leaky(ctx, layer, node):
    v = ctx.physical(node.call_args[0])
    return [Value(ctx.b.node("LeakyRelu", [v.name], alpha=float(layer.negative_slope)), v.perm)]


@converts(ELU)
def _elu(ctx, layer, node):
    v = ctx.physical(node.call_args[0])
    return [Value(ctx.b.node("Elu", [v.name], alpha=float(layer.alpha)), v.perm)]


@converts(PReLU)
def _prelu(ctx, layer, node):
    x = ctx.value(node.call_args[0])
    alpha = np.asarray(layer.alpha.data, np.float32)
    return [ctx.b.node("PRelu", [x, ctx.b.const(alpha, f"{layer.name}_alpha")])]


@converts(Softmax)
def _softmax_layer(ctx, layer, node):
    x = node.call_args[0]
    mask = node.call_kwargs.get("mask")
    b, rank = ctx.b, len(x.shape)
    name = ctx.value(x)
    if mask is not None:
        keep = ctx.value(mask)
        if mask.dtype != "bool":
            keep = b.node("Cast", [keep], to=9)
        name = b.node("Where", [keep, name, b.scalar(-1e9)])
    return [softmax_onnx(b, name, layer.axis, rank)]


# ----- numdeep.ops activations in graphs --------------------------------------------------------
def _elementwise_op(op_name):
    def convert(ctx, node, x, *args, **kwargs):
        v = ctx.physical(x)
        out = ELEMENTWISE[op_name](ctx.b, v.name, *args, **kwargs)
        return [Value(out, v.perm)]
    return convert


for _name in ELEMENTWISE:
    converts_op(_name)(_elementwise_op(_name))


@converts_op("gelu")
def _gelu_op(ctx, node, x, approximate=True):
    # numdeep.ops.gelu approximates by default (keras.ops), unlike the gelu activation.
    v = ctx.physical(x)
    return [Value(_gelu(ctx.b, v.name, approximate=approximate), v.perm)]


@converts_op("softmax", "log_softmax")
def _softmax_op(ctx, node, x, axis=-1):
    log = node.operation.fn.__name__ == "log_softmax"
    return [softmax_onnx(ctx.b, ctx.value(x), axis, len(x.shape), log=log)]

