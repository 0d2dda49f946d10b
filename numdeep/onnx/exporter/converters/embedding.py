"""Position embeddings (learned and sinusoidal, for any number of steps), the reversible
embedding's logits direction, and the remaining layers that are identities at inference."""

import numpy as np

from numdeep.layers.embedding import ReversibleEmbedding
from numdeep.layers.position_embedding import PositionEmbedding, SinePositionEncoding
from numdeep.layers.preprocessing.color import RandomBrightness
from numdeep.layers.regularization import AlphaDropout
from numdeep.onnx.exporter.context import converts
from numdeep.onnx.exporter.converters.attention import call_arguments
from numdeep.onnx.exporter.converters.core import _embedding, _identity, weight

converts(AlphaDropout, RandomBrightness)(_identity)


def _steps(b, x_name, rank, start):
    """``[start, start + steps)`` bounds (1-D int64) for the steps axis (-2) of ``x``."""
    steps = b.slice(b.node("Shape", [x_name]), [rank - 2], [rank - 1], [0])
    first = b.ints([start])
    return first, b.node("Add", [steps, first])


@converts(PositionEmbedding)
def _position_embedding(ctx, layer, node):
    args = call_arguments(layer, node)
    x = args["inputs"]
    b = ctx.b
    name = ctx.value(x)
    first, last = _steps(b, name, len(x.shape), int(args.get("start_index") or 0))
    table = b.node("Slice", [b.const(weight(layer.position_embeddings), "positions"), first,
                             last, b.ints([0])])
    return [b.node("Expand", [table, b.node("Shape", [name])], name=layer.name)]


@converts(SinePositionEncoding)
def _sine_position_encoding(ctx, layer, node):
    args = call_arguments(layer, node)
    x = args["inputs"]
    b = ctx.b
    name = ctx.value(x)
    dim = x.shape[-1]
    first, last = _steps(b, name, len(x.shape), int(args.get("start_index") or 0))
    positions = b.node("Cast", [b.node("Range", [b.squeeze(first, [0]), b.squeeze(last, [0]),
                                                 b.const(np.array(1, np.int64))])], to=1)
    i = np.arange(dim)
    timescales = np.power(1.0 / layer.max_wavelength, 2 * (i // 2) / dim).astype(np.float32)
    angles = b.node("Mul", [b.unsqueeze(positions, [1]), b.const(timescales[None], "scales")])
    even = b.const((i % 2 == 0)[None], "even")
    table = b.node("Where", [even, b.node("Sin", [angles]), b.node("Cos", [angles])])
    return [b.node("Expand", [table, b.node("Shape", [name])], name=layer.name)]


@converts(ReversibleEmbedding)
def _reversible_embedding(ctx, layer, node):
    args = call_arguments(layer, node)
    if not args.get("reverse"):
        return _embedding(ctx, layer, node)
    if layer.reverse_dtype is not None:
        ctx.fail("ReversibleEmbedding with reverse_dtype is not exported yet.")
    b = ctx.b
    kernel = weight(layer.embeddings).T if layer.tie_weights else weight(
        layer.reverse_embeddings)
    logits = b.node("MatMul", [ctx.value(args["inputs"]), b.const(kernel, f"{layer.name}_out")])
    cap = layer.logit_soft_cap
    if cap is not None:
        logits = b.node("Mul", [b.node("Tanh", [b.node("Div", [logits, b.scalar(cap)])]),
                                b.scalar(cap)])
    return [logits]


_reversible_embedding.handles_mask = True
