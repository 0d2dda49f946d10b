"""Importers of ONNX's network layers as numdeep layers with trainable weights: convolutions
(channels-first, explicit padding as a ``pad``), pooling, batch and layer normalization,
softmax, and ``LSTM``/``GRU`` (ONNX's gate order and layout turned into Keras's)."""

import numpy as np

from numdeep.layers import convolutional, pooling
from numdeep.layers.normalization.batch_normalization import BatchNormalization
from numdeep.layers.normalization.layer_normalization import LayerNormalization
from numdeep.layers.recurrent.gru import GRU
from numdeep.layers.recurrent.lstm import LSTM
from numdeep.onnx.importer.context import imports, is_const
from numdeep.ops import conv_shapes
from numdeep.ops import eager as ops

_CONV = {1: convolutional.Conv1D, 2: convolutional.Conv2D, 3: convolutional.Conv3D}
_CONV_T = {1: convolutional.Conv1DTranspose, 2: convolutional.Conv2DTranspose,
           3: convolutional.Conv3DTranspose}
_POOL = {("max", 1): pooling.MaxPooling1D, ("max", 2): pooling.MaxPooling2D,
         ("max", 3): pooling.MaxPooling3D, ("avg", 1): pooling.AveragePooling1D,
         ("avg", 2): pooling.AveragePooling2D, ("avg", 3): pooling.AveragePooling3D}


def _explicit_pads(ctx, attrs, spatial, kernel, strides, dilations):
    """``(before, after)`` per spatial axis, from ``pads`` or ``auto_pad``."""
    auto = attrs.get("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    n = len(kernel)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(s is None for s in spatial):
            if auto == "SAME_UPPER":
                return "same"
            ctx.fail("auto_pad=SAME_LOWER on free spatial sizes is not imported.")
        pairs = [conv_shapes.conv_padding("same", s, k, st, d)
                 for s, k, st, d in zip(spatial, kernel, strides, dilations)]
        return [p if auto == "SAME_UPPER" else p[::-1] for p in pairs]
    pads = attrs.get("pads", [0] * 2 * n)
    return [(int(pads[i]), int(pads[i + n])) for i in range(n)]


def _pad_spatial(ctx, x, pairs, value=0.0):
    if all(p == (0, 0) for p in pairs):
        return x
    widths = [[0, 0], [0, 0]] + [list(p) for p in pairs]
    return ctx.op(ops.pad, x, widths, mode="constant", constant_values=value)


@imports("Conv")
def _conv(ctx, node, inputs, attrs):
    x, w = inputs[0], ctx.const(inputs[1], "W")
    bias = ctx.const(inputs[2], "B") if len(inputs) > 2 and inputs[2] is not None else None
    n = w.ndim - 2
    if n not in _CONV:
        ctx.fail(f"{n}-D convolutions are not imported (1-D to 3-D are).")
    kernel = tuple(w.shape[2:])
    strides = tuple(attrs.get("strides", [1] * n))
    dilations = tuple(attrs.get("dilations", [1] * n))
    pads = _explicit_pads(ctx, attrs, x.shape[2:], kernel, strides, dilations)
    padding = "valid"
    if pads == "same":
        padding = "same"
    else:
        x = _pad_spatial(ctx, x, pads)
    layer = _CONV[n](w.shape[0], kernel, strides=strides, padding=padding,
                     data_format="channels_first", dilation_rate=dilations,
                     groups=attrs.get("group", 1), use_bias=bias is not None,
                     name=ctx.unique())
    y = layer(x)
    k = np.transpose(w, (*range(2, n + 2), 1, 0))  # (F, C/g, *k) -> (*k, C/g, F)
    layer.set_weights([k] if bias is None else [k, bias])
    return [y]


@imports("ConvTranspose")
def _conv_transpose(ctx, node, inputs, attrs):
    x, w = inputs[0], ctx.const(inputs[1], "W")
    bias = ctx.const(inputs[2], "B") if len(inputs) > 2 and inputs[2] is not None else None
    n = w.ndim - 2
    if attrs.get("group", 1) != 1 or n not in _CONV_T or "output_shape" in attrs:
        ctx.fail("only ungrouped 1-D to 3-D ConvTranspose without output_shape is imported.")
    kernel = tuple(w.shape[2:])
    strides = tuple(attrs.get("strides", [1] * n))
    dilations = tuple(attrs.get("dilations", [1] * n))
    extra = tuple(attrs.get("output_padding", [0] * n))
    pads = attrs.get("pads", [0] * 2 * n)
    layer = _CONV_T[n](w.shape[1], kernel, strides=strides, padding="valid",
                       output_padding=extra if any(extra) else None,
                       data_format="channels_first", dilation_rate=dilations,
                       use_bias=bias is not None, name=ctx.unique())
    y = layer(x)
    k = np.transpose(w, (*range(2, n + 2), 1, 0))  # (C, F, *k) -> (*k, F, C)
    layer.set_weights([k] if bias is None else [k, bias])
    if any(pads):
        index = (slice(None), slice(None)) + tuple(
            slice(pads[i], -pads[i + n] if pads[i + n] else None) for i in range(n))
        y = ctx.op(ops.getitem, y, index)
    return [y]


def _pool(ctx, node, inputs, attrs, mode):
    x = inputs[0]
    n = len(x.shape) - 2
    kernel = tuple(attrs["kernel_shape"])
    strides = tuple(attrs.get("strides", [1] * n))
    if any(d != 1 for d in attrs.get("dilations", [1] * n)) or attrs.get("ceil_mode", 0):
        ctx.fail("pooling with dilations or ceil_mode is not imported.")
    pads = _explicit_pads(ctx, attrs, x.shape[2:], kernel, strides, (1,) * n)
    padding = "valid"
    if pads == "same" or (mode == "avg" and any(p != (0, 0) for p in pads) and
                          not attrs.get("count_include_pad", 0)):
        same = pads == "same" or pads == [conv_shapes.conv_padding("same", s, k, st, 1)
                                          for s, k, st in zip(x.shape[2:], kernel, strides)]
        if not same:
            ctx.fail("average pooling with explicit pads that exclude the padding from the "
                     "count is imported only when the pads are TensorFlow's 'same'.")
        padding = "same"
    else:
        x = _pad_spatial(ctx, x, pads, -np.inf if mode == "max" else 0.0)
    layer = _POOL[(mode, n)](kernel, strides=strides, padding=padding,
                             data_format="channels_first", name=ctx.unique())
    return [layer(x)] + ([None] if len(node.output) > 1 else [])


@imports("MaxPool")
def _max_pool(ctx, node, inputs, attrs):
    if len(node.output) > 1 and node.output[1]:
        ctx.fail("MaxPool's Indices output is not imported.")
    return _pool(ctx, node, inputs, attrs, "max")


@imports("AveragePool")
def _average_pool(ctx, node, inputs, attrs):
    return _pool(ctx, node, inputs, attrs, "avg")


@imports("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ctx, node, inputs, attrs):
    x = inputs[0]
    fn = ops.mean if node.op_type == "GlobalAveragePool" else ops.max
    return [ctx.op(fn, x, axis=tuple(range(2, len(x.shape))), keepdims=True)]


@imports("BatchNormalization")
def _batch_norm(ctx, node, inputs, attrs):
    x = inputs[0]
    scale, bias, mean, var = (ctx.const(v, what) for v, what in
                              zip(inputs[1:5], ("scale", "B", "mean", "var")))
    layer = BatchNormalization(axis=1, epsilon=attrs.get("epsilon", 1e-5),
                               momentum=attrs.get("momentum", 0.9), name=ctx.unique())
    y = layer(x)
    layer.set_weights([scale, bias, mean, var])
    return [y]


@imports("LayerNormalization")
def _layer_norm(ctx, node, inputs, attrs):
    x = inputs[0]
    rank = len(x.shape)
    axis = attrs.get("axis", -1) % rank
    axes = list(range(axis, rank))
    scale = ctx.const(inputs[1], "Scale")
    bias = ctx.const(inputs[2], "B") if len(inputs) > 2 and inputs[2] is not None else None
    layer = LayerNormalization(axis=axes if len(axes) > 1 else axis,
                               epsilon=attrs.get("epsilon", 1e-5), center=bias is not None,
                               name=ctx.unique())
    y = layer(x)
    shape = [x.shape[a] for a in axes]
    weights = [np.broadcast_to(scale, shape).copy()]
    if bias is not None:
        weights.append(np.broadcast_to(bias, shape).copy())
    layer.set_weights(weights)
    if len(node.output) > 1 and any(node.output[1:]):
        ctx.fail("LayerNormalization's Mean/InvStdDev outputs are not imported.")
    return [y]


@imports("Softmax", "LogSoftmax")
def _softmax(ctx, node, inputs, attrs):
    x = inputs[0]
    rank = len(x.shape)
    default = -1 if ctx.opset >= 13 else 1
    axis = attrs.get("axis", default) % rank
    if ctx.opset < 13 and axis != rank - 1:
        ctx.fail("Softmax before opset 13 over a non-final axis (its 2-D coercion) is not "
                 "imported.")
    fn = ops.softmax if node.op_type == "Softmax" else ops.log_softmax
    return [ctx.op(fn, x, axis=axis)]


# ----- recurrent --------------------------------------------------------------------------------
_ACT = {"Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu"}
_ONNX_TO_KERAS_LSTM = [0, 2, 3, 1]  # ONNX i, o, f, c -> Keras i, f, c, o


def _blocks(a, n, order):
    parts = np.split(a, n, axis=-1)
    return np.concatenate([parts[i] for i in order], axis=-1)


def _keras_weights(kind, w, r, b, hidden):
    """One direction's ONNX ``W (G*h, in)``, ``R (G*h, h)``, ``B (2*G*h,)`` as Keras's."""
    k, rk = w.T, r.T
    gates = 4 if kind == "LSTM" else 3
    b = np.zeros(2 * gates * hidden, np.float32) if b is None else b
    wb, rb = b[:gates * hidden], b[gates * hidden:]
    if kind == "LSTM":
        k, rk = _blocks(k, 4, _ONNX_TO_KERAS_LSTM), _blocks(rk, 4, _ONNX_TO_KERAS_LSTM)
        return [k, rk, _blocks(wb + rb, 4, _ONNX_TO_KERAS_LSTM)]
    return [k, rk, np.stack([wb, rb])]


def _recurrent_layer(ctx, kind, attrs, acts, reverse):
    """The numdeep layer of one direction of an ONNX ``LSTM``/``GRU``."""
    extra = {}
    if kind == "GRU":
        extra["reset_after"] = bool(attrs.get("linear_before_reset", 0))
    cls = LSTM if kind == "LSTM" else GRU
    return cls(attrs["hidden_size"], activation=_ACT[acts[1]],
               recurrent_activation=_ACT[acts[0]], return_sequences=True, return_state=True,
               go_backwards=reverse, name=ctx.unique(), **extra)


def _join(ctx, parts, axis):
    return parts[0] if len(parts) == 1 else ctx.op(ops.concatenate, parts, axis=axis)


@imports("LSTM", "GRU")
def _recurrent(ctx, node, inputs, attrs):
    kind = node.op_type
    x, w, r = inputs[0], ctx.const(inputs[1], "W"), ctx.const(inputs[2], "R")
    b = ctx.const(inputs[3], "B") if len(inputs) > 3 and inputs[3] is not None else None
    if len(inputs) > 4 and inputs[4] is not None:
        ctx.fail("sequence_lens is not imported (numdeep's recurrent layers take masks).")
    direction = attrs.get("direction", "forward")
    acts = attrs.get("activations", [])
    if any(a not in _ACT for a in acts) or attrs.get("clip") or attrs.get("input_forget") or \
            attrs.get("layout", 0):
        ctx.fail("only LSTM/GRU with Sigmoid/Tanh/Relu activations, no clip, input_forget or "
                 "layout=1 are imported.")
    dirs = 2 if direction == "bidirectional" else 1
    per_dir = 3 if kind == "LSTM" else 2
    _check_recurrent_weights(ctx, kind, attrs, dirs, w, r, b)
    acts = acts or ["Sigmoid", "Tanh", "Tanh"][:per_dir] * dirs
    seq = ctx.op(ops.transpose, x, (1, 0, 2))  # (T, B, F) -> (B, T, F)
    init = [inputs[i] if len(inputs) > i else None for i in (5, 6)][:per_dir - 1 or 1]
    ys, hs, cs = [], [], []
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        layer = _recurrent_layer(ctx, kind, attrs, acts[d * per_dir:], reverse)
        states = [_state(ctx, v, d) for v in init]
        out = layer(seq, initial_state=None if all(s is None for s in states) else states)
        weights = _keras_weights(kind, w[d], r[d], None if b is None else b[d],
                                 attrs["hidden_size"])
        if kind == "GRU" and not layer.reset_after:
            weights[2] = weights[2].sum(axis=0)
        layer.set_weights(weights)
        y = out[0]
        if reverse:  # numdeep returns the reversed sequence; ONNX aligns it with time
            y = ctx.op(ops.getitem, y, (slice(None), slice(None, None, -1)))
        ys.append(ctx.op(ops.expand_dims, ctx.op(ops.transpose, y, (1, 0, 2)), 1))
        hs.append(ctx.op(ops.expand_dims, out[1], 0))
        if kind == "LSTM":
            cs.append(ctx.op(ops.expand_dims, out[2], 0))
    outs = [_join(ctx, ys, 1), _join(ctx, hs, 0)]
    if kind == "LSTM":
        outs.append(_join(ctx, cs, 0))
    return outs[:len(node.output)]


def _check_recurrent_weights(ctx, kind, attrs, dirs, w, r, b):
    """W, R and B must have the shapes ``hidden_size`` implies, checked before the layer (and
    its weights, sized by ``hidden_size``) exists: an attribute cannot make numdeep allocate
    what the file's weights do not hold."""
    gates = 4 if kind == "LSTM" else 3
    hidden = attrs.get("hidden_size")
    if hidden is None or w.ndim != 3:
        ctx.fail(f"needs the hidden_size attribute and a 3-D W; got hidden_size={hidden}, "
                 f"W of shape {w.shape}.")
    want = {"W": (dirs, gates * hidden, w.shape[2]), "R": (dirs, gates * hidden, hidden),
            "B": (dirs, 2 * gates * hidden)}
    for what, value in (("W", w), ("R", r), ("B", b)):
        if value is not None and value.shape != want[what]:
            ctx.fail(f"{what} has shape {value.shape}, but hidden_size={hidden} and "
                     f"direction={attrs.get('direction', 'forward')!r} need {want[what]}.")


def _state(ctx, value, direction):
    if value is None:
        return None
    if is_const(value) and not np.any(value):
        return None  # zeros: the layers' own initial state
    return ctx.op(ops.getitem, value, direction)
