"""Walking numdeep graphs into ONNX: each node goes to its converter; a nested functional model
is inlined; a layer or subclassed model without a converter is traced (its ``call`` run on
symbolic tensors records the layers and ops it uses, which are then converted in turn)."""

import contextlib

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.layers.lambda_layer import Lambda
from numdeep.layers.layer import Layer
from numdeep.onnx.errors import OnnxExportError
from numdeep.onnx.exporter.context import OP_CONVERTERS, call_takes, layer_converter, op_key
from numdeep.ops.symbolic import KerasTensor, SymbolicOp


def convert_nodes(ctx, nodes):
    for node in nodes:
        convert_node(ctx, node)


def convert_node(ctx, node):
    op = node.operation
    if isinstance(op, InputLayer):
        return
    if isinstance(op, SymbolicOp):
        outs = convert_op(ctx, node)
    else:
        outs = convert_layer(ctx, op, node)
    outs = outs if isinstance(outs, list | tuple) else [outs]
    if len(outs) != len(node.output_tensors):
        ctx.fail(f"{len(outs)} ONNX outputs for {len(node.output_tensors)} tensors of "
                 f"'{op.name}' (a converter bug).")
    for t, v in zip(node.output_tensors, outs):
        ctx.set(t, v)


def convert_op(ctx, node):
    fn = node.operation.fn
    converter = OP_CONVERTERS.get(op_key(fn))
    ctx.path.append(f"op '{node.operation.name}' ({fn.__name__})")
    try:
        if converter is None:
            ctx.fail(f"numdeep.ops.{fn.__name__} has no ONNX converter yet.")
        return converter(ctx, node, *node.call_args, **node.call_kwargs)
    finally:
        ctx.path.pop()


def convert_layer(ctx, layer, node):
    ctx.path.append(f"{type(layer).__name__} '{layer.name}'")
    try:
        if isinstance(layer, Lambda):
            ctx.fail("a Lambda layer runs arbitrary Python code, which an ONNX graph cannot "
                     "hold. Rebuild it from numdeep layers and numdeep.ops calls.")
        converter = layer_converter(layer)
        masked = [t for t in node.input_tensors if ctx.mask(t) is not None]
        if converter is not None:
            if masked and not getattr(converter, "handles_mask", False) and (
                    call_takes(layer, "mask") or _own_compute_mask(layer)):
                ctx.fail("its input carries a padding mask (from Masking or "
                         "Embedding(mask_zero=True)), which this layer's ONNX form does not "
                         "use yet.")
            outs = converter(ctx, layer, node)
            if not getattr(converter, "handles_mask", False) and masked and \
                    layer.supports_masking:
                for t in node.output_tensors:
                    ctx.set_mask(t, ctx.mask(masked[0]))
            return outs
        graph = getattr(layer, "_graph", None)
        if graph is not None:
            return inline_graph(ctx, graph, node.call_args[0] if node.call_args else
                                node.call_kwargs.get("inputs"))
        return trace_call(ctx, layer, node)
    finally:
        ctx.path.pop()


def _own_compute_mask(layer):
    return type(layer).compute_mask is not Layer.compute_mask


def inline_graph(ctx, graph, inputs):
    """Convert a functional model's graph called on ``inputs`` (symbolic, already converted);
    return the ONNX values of its outputs."""
    outer = [t for t in tree.flatten(inputs) if isinstance(t, KerasTensor)]
    if len(outer) != len(graph.input_tensors):
        ctx.fail(f"called on {len(outer)} tensors but its graph has "
                 f"{len(graph.input_tensors)} inputs.")
    for src, dst in zip(outer, graph.input_tensors):
        ctx.set(dst, ctx.physical(src))
        ctx.set_mask(dst, ctx.mask(src))
    convert_nodes(ctx, graph.nodes)
    return [ctx.physical(t) for t in graph.output_tensors]


@contextlib.contextmanager
def keep_inbound_nodes(layer):
    """Symbolic calls made for the export leave no trace on the user's layers."""
    layers = layer._flatten_layers(include_self=True) if isinstance(layer, Layer) else []
    counts = [(la, len(la._inbound_nodes)) for la in layers]
    try:
        yield
    finally:
        for la, n in counts:
            del la._inbound_nodes[n:]


def trace_call(ctx, layer, node):
    """Run ``layer.call`` on fresh symbolic tensors and convert the layers and ops it records."""
    fresh = {}

    def swap(v):
        if isinstance(v, KerasTensor):
            if id(v) not in fresh:
                t = KerasTensor(v.shape, dtype=v.dtype, name=v.name)
                ctx.set(t, ctx.physical(v))
                ctx.set_mask(t, ctx.mask(v))
                fresh[id(v)] = t
            return fresh[id(v)]
        return v

    args = tree.map_structure(swap, list(node.call_args))
    kwargs = {k: tree.map_structure(swap, v) for k, v in node.call_kwargs.items()
              if k not in ("training", "mask")}
    if call_takes(layer, "training"):
        kwargs["training"] = False
    with keep_inbound_nodes(layer):
        try:
            outputs = layer.call(*args, **kwargs)
        except OnnxExportError:
            raise
        except Exception as err:  # noqa: BLE001 - any failure: the call is not traceable
            ctx.fail(f"no ONNX converter for {type(layer).__name__}, and its `call` could not "
                     f"run on symbolic tensors ({type(err).__name__}: {err}). Build it from "
                     f"numdeep layers and numdeep.ops calls, or register a converter with "
                     f"numdeep.onnx.converts.")
        out_tensors = tree.flatten(outputs)
        for t in out_tensors:
            if not isinstance(t, KerasTensor):
                ctx.fail(f"its `call` returned {type(t).__name__}, not a symbolic tensor: the "
                         f"output does not depend on the inputs in a way ONNX can record.")
        convert_nodes(ctx, nodes_between(ctx, out_tensors))
    return [ctx.physical(t) for t in out_tensors]


def nodes_between(ctx, outputs):
    """The recorded nodes that lead to ``outputs`` from already converted tensors, in
    execution order (iterative depth-first walk)."""
    order, seen = [], set()
    for out in outputs:
        stack = [(out, False)]
        while stack:
            t, expanded = stack.pop()
            if ctx.has(t) and not expanded:
                continue
            node = t.node
            if node is None:
                ctx.fail(f"tensor {t!r} in its `call` comes from outside the traced inputs.")
            if expanded:
                if id(node) not in seen:
                    seen.add(id(node))
                    order.append(node)
                continue
            if id(node) in seen:
                continue
            stack.append((t, True))
            for parent in reversed(node.input_tensors):
                if not ctx.has(parent) and (parent.node is None or id(parent.node) not in seen):
                    stack.append((parent, False))
    return order


def symbolic(ctx, name, shape, dtype="float32"):
    """A fresh symbolic tensor standing for the ONNX value ``name`` (for converters that call
    sub-layers themselves)."""
    t = KerasTensor(shape, dtype=dtype)
    ctx.set(t, name)
    return t


def convert_call(ctx, layer, *args, **kwargs):
    """Call ``layer`` on symbolic tensors the context knows and convert that call; returns the
    layer's symbolic outputs (now known to the context too)."""
    with keep_inbound_nodes(layer):
        outputs = layer(*args, **kwargs)
        node = tree.flatten(outputs)[0].node
        values = convert_layer(ctx, layer, node)
    for t, v in zip(node.output_tensors, values):
        ctx.set(t, v)
    return outputs
