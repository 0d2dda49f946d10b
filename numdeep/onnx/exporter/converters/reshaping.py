"""Reshaping layers (flatten, reshape, permute, repeat, padding, cropping, up-sampling) and the
merging layers. The batch axis stays free: shapes copy it with ONNX's ``0``."""

import numpy as np

from numdeep.layers.merging.concatenate import Concatenate
from numdeep.layers.merging.dot import Dot
from numdeep.layers.merging.elementwise import Add, Average, Maximum, Minimum, Multiply, Subtract
from numdeep.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from numdeep.layers.reshaping.padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from numdeep.layers.reshaping.reshape import Flatten, Permute, RepeatVector, Reshape
from numdeep.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from numdeep.onnx.exporter.context import Value, converts


@converts(Flatten)
def _flatten(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    if layer.data_format == "channels_first" and rank > 2:
        name = ctx.permuted(x, (0, *range(2, rank), 1))
    else:
        name = ctx.value(x)
    return [ctx.b.node("Flatten", [name], name=layer.name, axis=1)]


@converts(Reshape)
def _reshape(ctx, layer, node):
    return [ctx.b.reshape(ctx.value(node.call_args[0]), [0, *layer.target_shape],
                          name=layer.name)]


@converts(Permute)
def _permute(ctx, layer, node):
    return [ctx.permuted(node.call_args[0], (0, *layer.dims))]


@converts(RepeatVector)
def _repeat_vector(ctx, layer, node):
    b = ctx.b
    x = b.unsqueeze(ctx.value(node.call_args[0]), [1])
    return [b.node("Expand", [x, b.ints([1, layer.n, 1])], name=layer.name)]


def _spatial_pairs(layer, rank, pairs):
    """``(before, after)`` for every axis of a rank-``rank`` input."""
    if pairs and isinstance(pairs[0], int):
        pairs = (tuple(pairs),)
    widths = [(0, 0)] * rank
    for axis, pair in zip(layer.spatial_axes(rank), pairs):
        widths[axis] = tuple(pair)
    return widths


@converts(ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
def _zero_padding(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    v = ctx.physical(x)
    widths = _spatial_pairs(layer, rank, layer.padding)
    if v.perm is not None:
        widths = [widths[p] for p in v.perm]  # physical axis i holds logical axis perm[i]
    b = ctx.b
    pads = b.ints([w[0] for w in widths] + [w[1] for w in widths], "pads")
    return [Value(b.node("Pad", [v.name, pads], name=layer.name, mode="constant"), v.perm)]


@converts(Cropping1D, Cropping2D, Cropping3D)
def _cropping(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    v = ctx.physical(x)
    widths = _spatial_pairs(layer, rank, layer.cropping)
    axes = [a for a in range(rank) if widths[a] != (0, 0)]
    if not axes:
        return [v]
    physical = [v.perm.index(a) if v.perm is not None else a for a in axes]
    starts = [widths[a][0] for a in axes]
    # An end of -0 would mean "nothing": an uncropped end runs to the largest int64.
    ends = [-widths[a][1] if widths[a][1] else np.iinfo(np.int64).max for a in axes]
    return [Value(ctx.b.slice(v.name, starts, ends, physical, name=layer.name), v.perm)]


@converts(UpSampling1D, UpSampling2D, UpSampling3D)
def _up_sampling(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    v = ctx.physical(x)
    size = (layer.size,) if isinstance(layer.size, int) else tuple(layer.size)
    scales = [1.0] * rank
    for axis, s in zip(layer.spatial_axes(rank), size):
        scales[v.perm.index(axis) if v.perm is not None else axis] = float(s)
    b = ctx.b
    if getattr(layer, "interpolation", "nearest") == "nearest":
        attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                     nearest_mode="floor")
    elif layer.interpolation == "bilinear":
        attrs = dict(mode="linear", coordinate_transformation_mode="half_pixel")
    else:
        ctx.fail(f"interpolation={layer.interpolation!r} is not exported yet "
                 f"('nearest' and 'bilinear' are).")
    scales_name = b.const(np.asarray(scales, np.float32), "scales")
    return [Value(b.node("Resize", [v.name, "", scales_name], name=layer.name, **attrs),
                  v.perm)]


# ----- merging ----------------------------------------------------------------------------------
def _same_layout(ctx, tensors):
    """The inputs' names in one shared layout (their stored one when they agree), and it."""
    values = [ctx.physical(t) for t in tensors]
    perms = {v.perm for v in values}
    ranks = {len(t.shape) for t in tensors}
    if len(perms) == 1 and len(ranks) == 1:
        return [v.name for v in values], values[0].perm
    return [ctx.value(t) for t in tensors], None


def _aligned(ctx, tensors):
    """Names of the inputs with lower ranks given size-1 axes after the batch axis (numdeep's
    merge rule), in a shared layout."""
    rank = max(len(t.shape) for t in tensors)
    if all(len(t.shape) == rank for t in tensors):
        return _same_layout(ctx, tensors)
    names = []
    for t in tensors:
        name = ctx.value(t)
        if len(t.shape) < rank:
            name = ctx.b.unsqueeze(name, list(range(1, 1 + rank - len(t.shape))))
        names.append(name)
    return names, None


def _chain(b, op, names, name):
    out = names[0]
    for other in names[1:]:
        out = b.node(op, [out, other], name=name)
    return out


@converts(Add, Subtract, Multiply, Average, Maximum, Minimum)
def _merge(ctx, layer, node):
    names, perm = _aligned(ctx, node.call_args[0])
    b = ctx.b
    op = {Add: "Add", Subtract: "Sub", Multiply: "Mul", Maximum: "Max", Minimum: "Min"}
    if isinstance(layer, Average):
        out = b.node("Mul", [_chain(b, "Add", names, layer.name),
                             b.scalar(1.0 / len(names))], name=layer.name)
    else:
        out = _chain(b, op[type(layer)], names, layer.name)
    return [Value(out, perm)]


@converts(Concatenate)
def _concatenate(ctx, layer, node):
    tensors = node.call_args[0]
    rank = len(tensors[0].shape)
    names, perm = _same_layout(ctx, tensors)
    axis = layer.axis % rank
    if perm is not None:
        axis = perm.index(axis)
    return [Value(ctx.b.node("Concat", names, name=layer.name, axis=axis), perm)]


def _l2_normalize(b, x, axis):
    sq = b.reduce("ReduceSum", b.node("Mul", [x, x]), [axis])
    return b.node("Div", [x, b.node("Sqrt", [b.node("Max", [sq, b.scalar(1e-24)])])])


@converts(Dot)
def _dot(ctx, layer, node):
    a, c = node.call_args[0]
    b = ctx.b
    a1, a2 = layer._resolve([a.shape, c.shape])
    x, y = ctx.value(a), ctx.value(c)
    if layer.normalize:
        x, y = _l2_normalize(b, x, a1), _l2_normalize(b, y, a2)
    # x -> (batch, rest_x, d), y -> (batch, d, rest_y): one batched matmul.
    rest_x = [i for i in range(1, len(a.shape)) if i != a1]
    rest_y = [i for i in range(1, len(c.shape)) if i != a2]
    xt = b.transpose(x, [0, *rest_x, a1])
    yt = b.transpose(y, [0, a2, *rest_y])
    d = a.shape[a1]
    out = b.node("MatMul", [b.reshape(xt, [0, -1, d]), b.reshape(yt, [0, d, -1])])
    shape = [a.shape[i] for i in rest_x] + [c.shape[i] for i in rest_y]
    if any(s is None for s in shape):
        ctx.fail(f"Dot on inputs of shapes {a.shape} and {c.shape} needs known sizes.")
    return [b.reshape(out, [0, *shape] if shape else [0, 1], name=layer.name)]
