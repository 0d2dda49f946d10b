"""Importers of ONNX's shape operators. On constants (including shapes with free sizes, see
``shapes``) they fold at import; on tensors they become ``numdeep.ops`` calls, or the run-time
functions of ``runtime`` where ONNX's rules (``Reshape``'s 0 and -1, two-way ``Expand``) need
them. A constant table gathered by token ids becomes an ``Embedding``."""

import numpy as np

from numdeep.layers.embedding import Embedding
from numdeep.onnx.importer import runtime
from numdeep.onnx.importer.context import folds, imports, is_const
from numdeep.onnx.importer.shapes import Dim, is_partial, settle, to_spec
from numdeep.ops import eager as ops


def _axes(ctx, inputs, attrs, at=1, what="axes"):
    if len(inputs) > at and inputs[at] is not None:
        return [int(a) for a in ctx.const(inputs[at], what).reshape(-1)]
    value = attrs.get(what)
    return None if value is None else [int(a) for a in value]


class _Consts:
    """``ctx.const`` for folders, which see constants only."""

    @staticmethod
    def const(value, what):
        return settle(value)


# ----- folders ------------------------------------------------------------------------------
@folds("Gather")
def _fold_gather(inputs, attrs, op_type=None):
    data, idx = inputs
    return [np.take(data, settle(idx).astype(np.int64), axis=attrs.get("axis", 0))]


_fold_gather.partial_ok = True


@folds("Concat")
def _fold_concat(inputs, attrs, op_type=None):
    return [np.concatenate([np.asarray(v) for v in inputs], axis=attrs["axis"])]


_fold_concat.partial_ok = True


@folds("Unsqueeze")
def _fold_unsqueeze(inputs, attrs, op_type=None):
    x = inputs[0]
    for a in sorted(a % (x.ndim + len(_axes(_Consts, inputs, attrs))) for a in
                    _axes(_Consts, inputs, attrs)):
        x = np.expand_dims(x, a)
    return [x]


_fold_unsqueeze.partial_ok = True


@folds("Squeeze")
def _fold_squeeze(inputs, attrs, op_type=None):
    axes = _axes(_Consts, inputs, attrs)
    return [np.squeeze(inputs[0], axis=None if axes is None else tuple(axes))]


_fold_squeeze.partial_ok = True


@folds("Slice")
def _fold_slice(inputs, attrs, op_type=None):
    return [inputs[0][_slice_index(_Consts, inputs, attrs, inputs[0].ndim)]]


def _bounds_known(values):
    # A shape with free sizes slices at import; bounds that are free sizes wait for run time.
    return not any(is_partial(v) for v in values[1:])


_fold_slice.partial_ok = _bounds_known


@folds("Reshape")
def _fold_reshape(inputs, attrs, op_type=None):
    x, shape = inputs
    target = runtime.reshape_target(x.shape, [int(d) for d in settle(shape)],
                                    attrs.get("allowzero", 0))
    return [x.reshape(target)]


_fold_reshape.partial_ok = True


@folds("Shape")
def _fold_shape(inputs, attrs, op_type=None):
    return [np.asarray(np.shape(inputs[0])[attrs.get("start", 0):attrs.get("end")], np.int64)]


@folds("ConstantOfShape")
def _fold_constant_of_shape(inputs, attrs, op_type=None):
    value = np.asarray(attrs.get("value", np.zeros(1, np.float32))).reshape(-1)
    return [np.full(tuple(settle(inputs[0]).tolist()), value[0], dtype=value.dtype)]


@folds("Expand")
def _fold_expand(inputs, attrs, op_type=None):
    x, shape = inputs
    return [np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(settle(shape)))).copy()]


@folds("Range")
def _fold_range(inputs, attrs, op_type=None):
    start, limit, delta = (settle(v) for v in inputs)
    return [np.arange(start, limit, delta, dtype=np.result_type(start, limit, delta))]


@folds("Transpose")
def _fold_transpose(inputs, attrs, op_type=None):
    return [np.transpose(inputs[0], attrs.get("perm"))]


# ----- symbolic -----------------------------------------------------------------------------------
@imports("Shape")
def _shape(ctx, node, inputs, attrs):
    x = inputs[0]
    dims = [d if d is not None else Dim(x, i) for i, d in enumerate(x.shape)]
    return [settle(np.asarray(dims[attrs.get("start", 0):attrs.get("end")], dtype=object))]


@imports("Gather")
def _gather(ctx, node, inputs, attrs):
    data, idx = inputs
    axis = attrs.get("axis", 0)
    if is_const(data) and data.ndim == 2 and data.dtype.kind == "f" and axis == 0:
        layer = Embedding(data.shape[0], data.shape[1], name=ctx.unique())
        y = layer(idx)
        layer.set_weights([data])
        return [y]
    return [ctx.op(ops.take, data, ctx.const(idx, "indices") if is_const(idx) else idx,
                   axis=axis)]


def _slice_index(ctx, inputs, attrs, rank):
    if len(inputs) > 1:
        starts, ends = (ctx.const(v, n).reshape(-1).tolist() for v, n in
                        ((inputs[1], "starts"), (inputs[2], "ends")))
        axes = _axes(ctx, inputs, attrs, 3) or list(range(len(starts)))
        steps = _axes(ctx, inputs, attrs, 4, "steps") or [1] * len(starts)
    else:
        starts, ends = attrs["starts"], attrs["ends"]
        axes = attrs.get("axes", list(range(len(starts))))
        steps = [1] * len(starts)
    return runtime.slice_key(rank, starts, ends, axes, steps)


@imports("Slice")
def _slice(ctx, node, inputs, attrs):
    x = inputs[0]
    if any(is_partial(v) for v in inputs[1:3]):
        if is_partial(x):
            ctx.fail("Slice of a shape by bounds that are free sizes is not imported.")
        (starts, refs), (ends, more) = to_spec(inputs[1]), to_spec(inputs[2])
        ends = _respec(ends, more, refs)
        axes = _axes(ctx, inputs, attrs, 3) or list(range(len(starts)))
        steps = _axes(ctx, inputs, attrs, 4, "steps") or [1] * len(starts)
        return [ctx.op(runtime.onnx_slice, settle(x), starts, ends, axes, steps, *refs)]
    return [ctx.op(ops.getitem, x, _slice_index(ctx, inputs, attrs, len(x.shape)))]


def _respec(spec, refs, into):
    """``spec`` over ``refs`` rewritten over ``into`` (extended with the refs it lacks)."""
    def convert(e):
        if isinstance(e, tuple) and e[0] == "dim":
            ref = refs[e[1]]
            at = next((i for i, r in enumerate(into) if r is ref), None)
            if at is None:
                into.append(ref)
                at = len(into) - 1
            return ("dim", at, e[2])
        if isinstance(e, tuple):
            return (e[0], convert(e[1]), convert(e[2]))
        return e

    return tuple(convert(e) for e in spec)


@imports("Concat")
def _concat(ctx, node, inputs, attrs):
    if any(is_partial(v) for v in inputs):
        ctx.fail("Concat mixing computed tensors with free sizes is not imported.")
    return [ctx.op(ops.concatenate, [settle(v) for v in inputs], axis=attrs["axis"])]


@imports("Unsqueeze")
def _unsqueeze(ctx, node, inputs, attrs):
    x = inputs[0]
    axes = _axes(ctx, inputs, attrs)
    rank = len(x.shape) + len(axes)
    for a in sorted(a % rank for a in axes):
        x = ctx.op(ops.expand_dims, x, a)
    return [x]


@imports("Squeeze")
def _squeeze(ctx, node, inputs, attrs):
    x = inputs[0]
    axes = _axes(ctx, inputs, attrs)
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    return [ctx.op(ops.squeeze, x, axis=tuple(a % len(x.shape) for a in axes))]


@imports("Reshape")
def _reshape(ctx, node, inputs, attrs):
    x, shape = inputs
    spec, refs = to_spec(ctx.const(shape, "shape") if not is_partial(shape) else shape)
    return [ctx.op(runtime.onnx_reshape, x, spec, *refs, allowzero=attrs.get("allowzero", 0))]


@imports("Flatten")
def _flatten(ctx, node, inputs, attrs):
    x = inputs[0]
    axis = attrs.get("axis", 1) % max(len(x.shape), 1)
    before, after = x.shape[:axis], x.shape[axis:]
    if all(d is not None for d in after):
        spec = (-1 if axis else 1, int(np.prod(after, dtype=np.int64)))
        if axis == 1:
            spec = (0, spec[1])
    elif all(d is not None for d in before):
        spec = (int(np.prod(before, dtype=np.int64)), -1)
    else:
        ctx.fail(f"Flatten of a tensor of shape {x.shape} at axis {axis} needs known sizes on "
                 f"one side.")
    return [ctx.op(runtime.onnx_reshape, x, spec)]


@imports("Transpose")
def _transpose(ctx, node, inputs, attrs):
    perm = attrs.get("perm")
    x = inputs[0]
    return [ctx.op(ops.transpose, x, tuple(perm) if perm is not None else
                   tuple(reversed(range(len(x.shape)))))]


@imports("Expand")
def _expand(ctx, node, inputs, attrs):
    spec, refs = to_spec(inputs[1])
    return [ctx.op(runtime.onnx_expand, inputs[0], spec, *refs)]


@imports("ConstantOfShape")
def _constant_of_shape(ctx, node, inputs, attrs):
    value = np.asarray(attrs.get("value", np.zeros(1, np.float32))).reshape(-1)
    spec, refs = to_spec(inputs[0])
    if not refs:
        return _fold_constant_of_shape(inputs, attrs)
    return [ctx.op(runtime.onnx_full, spec, *refs, value=value[0].item(),
                   dtype=value.dtype.name)]


@imports("Pad")
def _pad(ctx, node, inputs, attrs):
    x = inputs[0]
    rank = len(x.shape)
    pads = ctx.const(inputs[1], "pads").tolist() if len(inputs) > 1 else attrs["pads"]
    axes = _axes(ctx, inputs, attrs, 3) or list(range(rank))
    widths = [[0, 0] for _ in range(rank)]
    n = len(axes)
    for i, a in enumerate(axes):
        widths[a % rank] = [int(pads[i]), int(pads[i + n])]
    if any(p < 0 for w in widths for p in w):
        ctx.fail("negative pads (cropping) are not imported yet.")
    mode = attrs.get("mode", "constant")
    value = inputs[2] if len(inputs) > 2 and inputs[2] is not None else attrs.get("value", 0.0)
    value = float(ctx.const(np.asarray(value), "constant_value")) if mode == "constant" else None
    return [ctx.op(ops.pad, x, widths, mode=mode, constant_values=value)]


@imports("Split")
def _split(ctx, node, inputs, attrs):
    x = inputs[0]
    axis = attrs.get("axis", 0) % len(x.shape)
    sizes = _axes(ctx, inputs, attrs, 1, "split")
    if sizes is None:
        n = attrs.get("num_outputs", len(node.output))
        total = x.shape[axis]
        if total is None:
            ctx.fail("Split of a free-sized axis is not imported.")
        step = -(-total // n)
        sizes = [min(step, total - i * step) for i in range(n)]
    outs, start = [], 0
    for size in sizes:
        index = [slice(None)] * len(x.shape)
        index[axis] = slice(start, start + size)
        outs.append(ctx.op(ops.getitem, x, tuple(index)))
        start += size
    return outs
