"""Normalization layers: batch normalization in its inference form (one scale and shift per
channel, in whatever layout the value has), layer normalization (ONNX's operator from opset 17
when the axes are trailing), group, RMS and unit normalization composed from reductions."""

import numpy as np

from numdeep.layers.normalization.batch_normalization import BatchNormalization
from numdeep.layers.normalization.group_normalization import GroupNormalization
from numdeep.layers.normalization.layer_normalization import (
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
    call_axes,
)
from numdeep.onnx.exporter.context import Value, converts
from numdeep.onnx.exporter.converters.core import weight


def _broadcast(values, axes, rank):
    """``values`` (one size per axis of ``axes``) shaped to broadcast against rank ``rank``."""
    shape = [1] * rank
    for a, n in zip(axes, values.shape):
        shape[a] = n
    return values.reshape(shape)


@converts(BatchNormalization)
def _batch_norm(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    if layer.renorm:
        ctx.fail("batch renormalization (renorm=True) is not exported yet.")
    v = ctx.physical(x)
    axes = [a % rank for a in ((layer.axis,) if isinstance(layer.axis, int) else layer.axis)]
    if v.perm is not None:
        axes = [v.perm.index(a) for a in axes]
    inv = (weight(layer.moving_variance, np.float64) + layer.epsilon) ** -0.5
    scale = inv if layer.gamma is None else weight(layer.gamma, np.float64) * inv
    shift = -weight(layer.moving_mean, np.float64) * scale
    if layer.beta is not None:
        shift = shift + weight(layer.beta, np.float64)
    b = ctx.b
    scale = _broadcast(scale.astype(np.float32), axes, rank)
    shift = _broadcast(shift.astype(np.float32), axes, rank)
    y = b.node("Mul", [v.name, b.const(scale, f"{layer.name}_scale")], name=layer.name)
    return [Value(b.node("Add", [y, b.const(shift, f"{layer.name}_shift")], name=layer.name),
                  v.perm)]


def normalize(b, x, axes, epsilon):
    """``(x - mean) / sqrt(var + epsilon)`` over ``axes``."""
    centered = b.node("Sub", [x, b.reduce("ReduceMean", x, axes)])
    var = b.reduce("ReduceMean", b.node("Mul", [centered, centered]), axes)
    std = b.node("Sqrt", [b.node("Add", [var, b.scalar(epsilon)])])
    return b.node("Div", [centered, std])


@converts(LayerNormalization)
def _layer_norm(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    b = ctx.b
    name = ctx.value(x)
    axes = call_axes(layer._axes, rank)
    gamma = weight(layer.gamma) if layer.gamma is not None else None
    beta = weight(layer.beta) if layer.beta is not None else None
    if layer.rms_scaling:
        centered = b.node("Sub", [name, b.reduce("ReduceMean", name, axes)])
        var = b.reduce("ReduceMean", b.node("Mul", [centered, centered]), axes)
        y = b.node("Div", [name, b.node("Sqrt", [b.node("Add", [var, b.scalar(
            layer.epsilon)])])])
        return [b.node("Mul", [y, b.const(_broadcast(gamma, axes, rank), "gamma")],
                       name=layer.name)]
    trailing = list(axes) == list(range(axes[0], rank))
    if b.opset >= 17 and trailing:
        shape = [x.shape[a] for a in axes]
        scale = gamma.reshape(shape) if gamma is not None else np.ones(shape, np.float32)
        inputs = [name, b.const(scale, f"{layer.name}_gamma")]
        if beta is not None:
            inputs.append(b.const(beta.reshape(shape), f"{layer.name}_beta"))
        return [b.node("LayerNormalization", inputs, name=layer.name, axis=axes[0],
                       epsilon=float(layer.epsilon))]
    y = normalize(b, name, axes, layer.epsilon)
    if gamma is not None:
        y = b.node("Mul", [y, b.const(_broadcast(gamma, axes, rank), "gamma")])
    if beta is not None:
        y = b.node("Add", [y, b.const(_broadcast(beta, axes, rank), "beta")])
    return [y]


def _grouped_shape(b, x_name, shape, axis, groups):
    """The shape of ``x`` with ``axis`` split into ``(groups, size // groups)``."""
    size = shape[axis]
    split = [groups, size // groups]
    if all(d is not None for d in shape[axis + 1:]):
        return b.ints([0] * axis + split + list(shape[axis + 1:]))
    full = b.node("Shape", [x_name])
    parts = [b.slice(full, [0], [axis], [0]), b.ints(split),
             b.slice(full, [axis + 1], [len(shape)], [0])]
    return b.node("Concat", parts, axis=0)


@converts(GroupNormalization)
def _group_norm(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    b = ctx.b
    name = ctx.value(x)
    axis, groups = layer._axis, layer._groups
    grouped = b.node("Reshape", [name, _grouped_shape(b, name, x.shape, axis, groups)])
    reduce = [a for a in range(1, rank + 1) if a != axis]
    y = normalize(b, grouped, reduce, layer.epsilon)
    y = b.node("Reshape", [y, b.node("Shape", [name])])
    if layer.gamma is not None:
        y = b.node("Mul", [y, b.const(_broadcast(weight(layer.gamma), [axis], rank), "gamma")])
    if layer.beta is not None:
        y = b.node("Add", [y, b.const(_broadcast(weight(layer.beta), [axis], rank), "beta")])
    return [y]


@converts(RMSNormalization)
def _rms_norm(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    b = ctx.b
    name = ctx.value(x)
    axes = call_axes(layer._axes, rank)
    ms = b.reduce("ReduceMean", b.node("Mul", [name, name]), axes)
    y = b.node("Div", [name, b.node("Sqrt", [b.node("Add", [ms, b.scalar(layer.epsilon)])])])
    return [b.node("Mul", [y, b.const(_broadcast(weight(layer.scale), axes, rank), "scale")],
                   name=layer.name)]


@converts(UnitNormalization)
def _unit_norm(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    name = ctx.value(x)
    sq = b.reduce("ReduceSum", b.node("Mul", [name, name]), call_axes(layer._axes,
                                                                     len(x.shape)))
    norm = b.node("Sqrt", [b.node("Max", [sq, b.scalar(1e-24)])])
    return [b.node("Div", [name, norm], name=layer.name)]
