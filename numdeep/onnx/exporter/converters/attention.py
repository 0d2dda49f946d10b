"""Attention layers: ``MultiHeadAttention`` and ``GroupedQueryAttention`` (projections, scaled
dot products per head, key/value heads repeated for the query heads they serve, padding, causal
and explicit masks), and Luong/Bahdanau ``Attention``/``AdditiveAttention``."""

import inspect
import math

import numpy as np

from numdeep.layers.attention.attention import AdditiveAttention, Attention
from numdeep.layers.attention.grouped_query_attention import GroupedQueryAttention
from numdeep.layers.attention.multi_head_attention import MultiHeadAttention
from numdeep.onnx.exporter.context import converts
from numdeep.onnx.exporter.converters.core import weight
from numdeep.ops.symbolic import KerasTensor

ONNX_FLOAT, ONNX_INT64, ONNX_BOOL = 1, 7, 9


def call_arguments(layer, node):
    """The node's call arguments by name (defaults filled in)."""
    bound = inspect.signature(layer.call).bind(*node.call_args, **node.call_kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def as_bool(ctx, value):
    """An ONNX bool mask from a symbolic tensor (or an ONNX name already)."""
    if value is None:
        return None
    if isinstance(value, KerasTensor):
        name = ctx.value(value)
        return name if value.dtype == "bool" else ctx.b.node("Cast", [name], to=ONNX_BOOL)
    return value


def _and(b, a, c):
    if a is None:
        return c
    if c is None:
        return a
    return b.node("And", [a, c])


def causal(b, query_name, value_name, axis=1):
    """``(1, T, S)`` booleans ``j <= i`` for the sizes of ``axis`` of the two inputs."""
    def length(name):
        return b.squeeze(b.slice(b.node("Shape", [name]), [axis], [axis + 1], [0]), [0])

    zero, one = b.const(np.array(0, np.int64)), b.const(np.array(1, np.int64))
    rows = b.node("Range", [zero, length(query_name), one])
    cols = b.node("Range", [zero, length(value_name), one])
    lower = b.node("LessOrEqual", [b.unsqueeze(cols, [0]), b.unsqueeze(rows, [1])])
    return b.unsqueeze(lower, [0])


def masked_softmax(b, scores, mask):
    """Softmax over the last axis restricted to ``mask`` (masked and fully masked rows give
    zeros, as numdeep's ``masked_softmax``)."""
    if mask is None:
        return b.node("Softmax", [scores], axis=-1)
    filled = b.node("Where", [mask, scores, b.scalar(-1e9)])
    weights = b.node("Softmax", [filled], axis=-1)
    return b.node("Mul", [weights, b.node("Cast", [mask], to=ONNX_FLOAT)])


def _heads(ctx, x_name, dense, name):
    """``(B, T, D) -> (B, N, T, size)`` through a ``HeadsDense``."""
    b = ctx.b
    kernel = weight(dense.kernel)
    d, heads, size = kernel.shape
    bias = weight(dense.bias).reshape(-1) if dense.bias is not None else None
    y = b.matmul_add(x_name, kernel.reshape(d, heads * size), bias, name=name)
    return b.transpose(b.reshape(y, [0, 0, heads, size]), [0, 2, 1, 3])


def _repeat_heads(b, x, dense, repeats):
    """``(B, Nkv, S, H) -> (B, Nkv * repeats, S, H)``, each head repeated in place."""
    if repeats == 1:
        return x
    _, heads, size = dense.kernel.shape
    y = b.node("Expand", [b.unsqueeze(x, [2]), b.ints([1, 1, repeats, 1, 1])])
    return b.reshape(y, [0, heads * repeats, -1, size])


@converts(MultiHeadAttention)
def _multi_head_attention(ctx, layer, node):
    parts = (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense,
             1.0 / math.sqrt(layer.key_dim), 1)
    return _projected_attention(ctx, layer, node, parts, layer._axes != (1,))


@converts(GroupedQueryAttention)
def _grouped_query_attention(ctx, layer, node):
    parts = (layer._query_dense, layer._key_dense, layer._value_dense, layer._output_dense,
             layer._inverse_sqrt_head_dim, layer.num_repeats)
    return _projected_attention(ctx, layer, node, parts, False)


def _projected_attention(ctx, layer, node, parts, other_axes):
    query_dense, key_dense, value_dense, output_dense, scale, repeats = parts
    args = call_arguments(layer, node)
    query, value = args["query"], args["value"]
    key = args.get("key")
    key = value if key is None else key
    if len(query.shape) != 3 or other_axes or layer.use_gate or layer._window():
        ctx.fail(f"only {type(layer).__name__} over 3-D inputs with the default attention axes "
                 f"(no gate, no sliding window) is exported yet.")
    b = ctx.b
    q_name, k_name, v_name = ctx.value(query), ctx.value(key), ctx.value(value)
    q = _heads(ctx, q_name, query_dense, f"{layer.name}_query")
    q = b.node("Mul", [q, b.scalar(scale)])
    k = _heads(ctx, k_name, key_dense, f"{layer.name}_key")
    k = b.transpose(_repeat_heads(b, k, key_dense, repeats), [0, 1, 3, 2])
    v = _heads(ctx, v_name, value_dense, f"{layer.name}_value")
    v = _repeat_heads(b, v, value_dense, repeats)
    scores = b.node("MatMul", [q, k])  # (B, N, T, S)
    q_mask = as_bool(ctx, args.get("query_mask")) or ctx.mask(query)
    v_mask = as_bool(ctx, args.get("value_mask")) or ctx.mask(value)
    k_mask = as_bool(ctx, args.get("key_mask"))
    if k_mask is None and key is not value:
        k_mask = ctx.mask(key)
    mask = None if q_mask is None else b.unsqueeze(q_mask, [2])
    for m in (v_mask, k_mask):
        if m is not None:
            mask = _and(b, mask, b.unsqueeze(m, [1]))
    if args.get("use_causal_mask"):
        mask = _and(b, mask, causal(b, q_name, v_name))
    mask = _and(b, as_bool(ctx, args.get("attention_mask")), mask)
    if mask is not None:
        mask = b.unsqueeze(mask, [1])  # over the heads
    weights = masked_softmax(b, scores, mask)
    out = b.transpose(b.node("MatMul", [weights, v]), [0, 2, 1, 3])  # (B, T, N, vd)
    kernel = weight(output_dense.kernel)
    heads, size = kernel.shape[:2]
    out_shape = list(output_dense.out_shape)
    bias = weight(output_dense.bias).reshape(-1) if output_dense.bias is not None else None
    y = b.matmul_add(b.reshape(out, [0, 0, heads * size]),
                     kernel.reshape(heads * size, -1), bias, name=f"{layer.name}_output")
    if len(out_shape) > 1:
        y = b.reshape(y, [0, 0, *out_shape])
    if q_mask is not None:
        ctx.set_mask(node.output_tensors[0], q_mask)
    return [y, weights] if args.get("return_attention_scores") else [y]


_multi_head_attention.handles_mask = True
_grouped_query_attention.handles_mask = True


@converts(Attention, AdditiveAttention)
def _attention(ctx, layer, node):
    args = call_arguments(layer, node)
    inputs = args["inputs"]
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    b = ctx.b
    q, k, v = ctx.value(query), ctx.value(key), ctx.value(value)
    scale = weight(layer.scale) if getattr(layer, "scale", None) is not None else None
    if isinstance(layer, AdditiveAttention) or layer.score_mode == "concat":
        pairs = b.node("Add", [b.unsqueeze(q, [-2]), b.unsqueeze(k, [-3])])
        if isinstance(layer, AdditiveAttention):
            pairs = b.node("Tanh", [pairs])
            if scale is not None:
                pairs = b.node("Mul", [pairs, b.const(scale, "scale")])
            scores = b.reduce("ReduceSum", pairs, [-1], keepdims=False)
        else:
            if scale is not None:
                pairs = b.node("Mul", [pairs, b.const(scale, "scale")])
            scores = b.reduce("ReduceSum", b.node("Tanh", [pairs]), [-1], keepdims=False)
            scores = b.node("Mul", [scores, b.const(weight(layer.concat_score_weight), "w")])
    else:
        scores = b.node("MatMul", [q, b.transpose(k, [0, 2, 1])])
        if scale is not None:
            scores = b.node("Mul", [scores, b.const(scale, "scale")])
    masks = args.get("mask") or [ctx.mask(query), ctx.mask(value)]
    q_mask, v_mask = (as_bool(ctx, m) for m in list(masks)[:2])
    mask = None if v_mask is None else b.unsqueeze(v_mask, [1])
    if args.get("use_causal_mask"):
        mask = _and(b, mask, causal(b, q, v))
    weights = masked_softmax(b, scores, mask)
    out = b.node("MatMul", [weights, v], name=layer.name)
    if q_mask is not None:
        keep = b.unsqueeze(b.node("Cast", [q_mask], to=ONNX_FLOAT), [-1])
        out = b.node("Mul", [out, keep])
        ctx.set_mask(node.output_tensors[0], q_mask)
    return [out, weights] if args.get("return_attention_scores") else [out]


_attention.handles_mask = True
