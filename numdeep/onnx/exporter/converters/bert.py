"""The pretrained BERT encoders (``numdeep.pretrained``): embeddings gathered and summed, then
each Transformer block and the pooler through the layer converters. Inputs are
``input_ids``, ``attention_mask`` and ``token_type_ids``, each ``(batch, steps)`` int64, with
both axes free."""

import numpy as np

from numdeep import activations
from numdeep.autograd import data_of
from numdeep.onnx.exporter.context import DEFAULT_SIGNATURES, converts
from numdeep.onnx.exporter.converters.activations import ALIASES, activation_name
from numdeep.onnx.exporter.converters.core import ONNX_INT64, weight
from numdeep.onnx.exporter.walk import convert_call, symbolic
from numdeep.ops.symbolic import KerasTensor
from numdeep.pretrained.bert import BertForSequenceClassification, BertModel
from numdeep.pretrained.config import ACTIVATIONS

ONNX_BOOL = 9
_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def _signature(model):
    return {name: KerasTensor((None, None), dtype="int64", name=name) for name in _NAMES}


DEFAULT_SIGNATURES[BertModel] = _signature
DEFAULT_SIGNATURES[BertForSequenceClassification] = _signature



def _register_unnamed_activations():
    """The pretrained table's unnamed functions (``lambda x: ops.gelu(x, approximate=...)``)
    as the GELU variant each one computes, found by evaluating it, not by its name."""
    probe = np.linspace(-5.0, 5.0, 41, dtype=np.float32)
    for fn in ACTIVATIONS.values():
        if activation_name(fn) is not None:
            continue
        got = np.asarray(data_of(fn(probe)))
        for approximate in (False, True):
            want = np.asarray(data_of(activations.gelu(probe, approximate=approximate)))
            if got.shape == want.shape and np.allclose(got, want, rtol=0, atol=1e-6):
                ALIASES[fn] = ("gelu", {"approximate": approximate})
                break


_register_unnamed_activations()


def _inputs(node):
    """``(input_ids, attention_mask, token_type_ids)`` of a call (a list, a dict or ids, then
    keywords)."""
    args, kwargs = list(node.call_args), node.call_kwargs
    first = args[0] if args else kwargs.get("input_ids", kwargs.get("inputs"))
    if isinstance(first, dict):
        found = [first.get(name) for name in _NAMES]
    elif isinstance(first, list | tuple):
        found = (list(first) + [None] * 3)[:3]
    else:
        found = [first, None, None]
    for i, name in enumerate(_NAMES[1:], start=1):
        if found[i] is None:
            found[i] = args[i] if len(args) > i else kwargs.get(name)
    return tuple(found)


def _embeddings(ctx, layer, ids, types):
    b = ctx.b
    ids_name = b.node("Cast", [ctx.value(ids)], to=ONNX_INT64)
    x = b.node("Gather", [b.const(weight(layer.word_embeddings), "word_embeddings"), ids_name],
               axis=0)
    steps = b.slice(b.node("Shape", [ids_name]), [1], [2], [0])
    positions = b.node("Slice", [b.const(weight(layer.position_embeddings),
                                         "position_embeddings"), b.ints([0]), steps,
                                 b.ints([0])])
    x = b.node("Add", [x, positions])
    table = weight(layer.token_type_embeddings)
    if types is None or layer.config.type_vocab_size == 1:
        x = b.node("Add", [x, b.const(table[0], "token_type_embedding")])
    else:
        types_name = b.node("Cast", [ctx.value(types)], to=ONNX_INT64)
        x = b.node("Add", [x, b.node("Gather", [b.const(table, "token_type_embeddings"),
                                                 types_name], axis=0)])
    hidden = layer.config.hidden_size
    return convert_call(ctx, layer.layer_norm, symbolic(ctx, x, (None, None, hidden)))


@converts(BertModel)
def _bert(ctx, layer, node):
    ids, mask, types = _inputs(node)
    x = _embeddings(ctx, layer.embeddings, ids, types)
    keys = None
    if mask is not None:
        b = ctx.b
        keys = symbolic(ctx, b.unsqueeze(b.node("Cast", [ctx.value(mask)], to=ONNX_BOOL), [1]),
                        (None, 1, None), "bool")
    for block in layer.encoder_layers:
        x = convert_call(ctx, block, x, attention_mask=keys)
    outputs = {"last_hidden_state": ctx.physical(x)}
    if layer.pooler is not None:
        first = symbolic(ctx, ctx.b.node("Gather", [ctx.value(x), ctx.b.const(
            np.array(0, np.int64))], axis=1), (None, layer.config.hidden_size))
        outputs["pooler_output"] = ctx.physical(convert_call(ctx, layer.pooler, first))
    return [outputs[k] for k in sorted(outputs)]
