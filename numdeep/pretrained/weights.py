"""Reading Hugging Face BERT checkpoint directories into numdeep's ``BertModel``.

Name handling: a leading ``bert.`` (head-model checkpoints) is stripped, legacy TensorFlow names
``LayerNorm.gamma``/``.beta`` become ``.weight``/``.bias``, the ``embeddings.position_ids`` buffer
and pre-training heads (``cls.*``) are skipped, and ``classifier.*`` is read only by
``BertForSequenceClassification``. Layouts: torch ``Linear`` weights ``(out, in)`` are transposed
to Keras kernels ``(in, out)``; attention projections are reshaped to ``MultiHeadAttention``'s
``(hidden, heads, head_dim)`` and ``(heads, head_dim, hidden)`` kernels. Every missing,
unexpected and mis-shaped tensor is reported together, before any weight is changed.
"""

import json
import os

import numpy as np

from numdeep.pretrained.config import BertConfig
from numdeep.pretrained.safetensors import SafetensorsFile
from numdeep.saving import torch_layout as layout

__all__ = ["CheckpointMismatchError", "read_checkpoint", "load_bert_weights"]

_SKIPPED = ("embeddings.position_ids", "cls.")


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors disagree with its config (missing, unexpected or mis-shaped)."""


def _find(directory, name):
    path = os.path.join(directory, name)
    return path if os.path.isfile(path) else None


def _safetensors_paths(directory):
    single = _find(directory, "model.safetensors")
    if single:
        return [single]
    index = _find(directory, "model.safetensors.index.json")
    if index:
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        paths = [os.path.join(directory, os.path.basename(s)) for s in shards]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(f"Sharded checkpoint in {directory} lacks shard files "
                                    f"{missing}.")
        return paths
    pickles = [n for n in ("pytorch_model.bin", "tf_model.h5", "flax_model.msgpack")
               if _find(directory, n)]
    hint = (f" It has {pickles}: numdeep reads safetensors only and never unpickles files; "
            f"convert once with transformers (`model.save_pretrained(dir, "
            f"safe_serialization=True)`)." if pickles else "")
    raise FileNotFoundError(f"No model.safetensors in checkpoint directory {directory}.{hint}")


def _normalize(name):
    if name.startswith("bert."):
        name = name[len("bert."):]
    if name.endswith("LayerNorm.gamma"):
        name = name[:-len("gamma")] + "weight"
    elif name.endswith("LayerNorm.beta"):
        name = name[:-len("beta")] + "bias"
    return name


def read_checkpoint(directory):
    """Read ``config.json`` and the safetensors weights of a checkpoint directory.

    Args:
        directory: a Hugging Face BERT checkpoint directory.

    Returns:
        ``(BertConfig, {normalized name: array})``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Checkpoint directory {directory!r} does not exist.")
    config_path = _find(directory, "config.json")
    if not config_path:
        raise FileNotFoundError(f"No config.json in checkpoint directory {directory}.")
    with open(config_path, encoding="utf-8") as f:
        raw = json.load(f)
    if raw.get("model_type", "bert") != "bert":
        raise ValueError(f"{config_path}: model_type={raw['model_type']!r}; numdeep.pretrained "
                         f"loads BERT checkpoints (model_type 'bert').")
    tensors, origin = {}, {}
    for path in _safetensors_paths(directory):
        with SafetensorsFile(path) as f:
            for key in f.keys():
                name = _normalize(key)
                if name in tensors:
                    raise CheckpointMismatchError(
                        f"Checkpoint {directory}: {key!r} and {origin[name]!r} both map to "
                        f"{name!r}.")
                origin[name] = key
                tensors[name] = f.get(key)
    return BertConfig.from_dict(raw), tensors


def _same(w):
    return w


def _expected(bert, classifier=None):
    """``[(checkpoint name, target weight, to_numdeep, checkpoint shape)]``."""
    c = bert.config
    n, d = c.num_attention_heads, c.head_dim
    dense = layout.dense_kernel_from_torch
    emb = bert.embeddings
    out = [("embeddings.word_embeddings.weight", emb.word_embeddings, _same),
           ("embeddings.position_embeddings.weight", emb.position_embeddings, _same),
           ("embeddings.token_type_embeddings.weight", emb.token_type_embeddings, _same),
           ("embeddings.LayerNorm.weight", emb.layer_norm.gamma, _same),
           ("embeddings.LayerNorm.bias", emb.layer_norm.beta, _same)]
    for i, layer in enumerate(bert.encoder_layers):
        p, mha = f"encoder.layer.{i}.", layer.attention
        for part, proj in (("query", mha.query_dense), ("key", mha.key_dense),
                           ("value", mha.value_dense)):
            out += [(f"{p}attention.self.{part}.weight", proj.kernel,
                     lambda w: layout.attention_kernel_from_torch(w, n, d)),
                    (f"{p}attention.self.{part}.bias", proj.bias,
                     lambda b: layout.attention_bias_from_torch(b, n, d))]
        out += [(f"{p}attention.output.dense.weight", mha.output_dense.kernel,
                 lambda w: layout.attention_output_kernel_from_torch(w, n, d)),
                (f"{p}attention.output.dense.bias", mha.output_dense.bias, _same),
                (f"{p}attention.output.LayerNorm.weight", layer.attention_norm.gamma, _same),
                (f"{p}attention.output.LayerNorm.bias", layer.attention_norm.beta, _same),
                (f"{p}intermediate.dense.weight", layer.intermediate.kernel, dense),
                (f"{p}intermediate.dense.bias", layer.intermediate.bias, _same),
                (f"{p}output.dense.weight", layer.output_dense.kernel, dense),
                (f"{p}output.dense.bias", layer.output_dense.bias, _same),
                (f"{p}output.LayerNorm.weight", layer.output_norm.gamma, _same),
                (f"{p}output.LayerNorm.bias", layer.output_norm.beta, _same)]
    for prefix, head in (("pooler.dense", bert.pooler), ("classifier", classifier)):
        if head is not None:
            out += [(f"{prefix}.weight", head.kernel, dense),
                    (f"{prefix}.bias", head.bias, _same)]
    return out


def _checkpoint_shape(target_shape, name):
    if name.endswith(".weight") and len(target_shape) == 3:  # attention kernels
        if "attention.output" in name:
            return (target_shape[2], target_shape[0] * target_shape[1])
        return (target_shape[1] * target_shape[2], target_shape[0])
    if name.endswith(".bias") and len(target_shape) == 2:
        return (target_shape[0] * target_shape[1],)
    if len(target_shape) == 2 and not name.startswith("embeddings."):
        return target_shape[::-1]
    return tuple(target_shape)


def load_bert_weights(bert, tensors, source, classifier=None):
    """Assign checkpoint ``tensors`` to a built ``BertModel`` (and optional classifier Dense).

    Raises:
        CheckpointMismatchError: listing every missing, unexpected and mis-shaped tensor; no
            weight is modified in that case.
    """
    expected = _expected(bert, classifier)
    wanted = {name for name, _, _ in expected}
    skipped = _SKIPPED + (() if classifier is not None else ("classifier.",)) + (
        () if bert.pooler is not None else ("pooler.",))
    unexpected = sorted(k for k in tensors if k not in wanted and not k.startswith(skipped))
    missing = sorted(name for name in wanted if name not in tensors)
    mismatched = []
    for name, target, _ in expected:
        if name in tensors:
            want = _checkpoint_shape(target.shape, name)
            if tuple(tensors[name].shape) != want:
                mismatched.append(f"{name}: checkpoint {tuple(tensors[name].shape)} vs "
                                  f"config {want}")
    if missing or unexpected or mismatched:
        parts = [f"{label} ({len(items)}): {', '.join(items)}" for label, items in
                 (("missing tensors", missing), ("unexpected tensors", unexpected),
                  ("shape mismatches", mismatched)) if items]
        hint = ""
        if any(m.startswith("pooler.") for m in missing):
            hint = " (a checkpoint without a pooler loads with add_pooling_layer=False)"
        raise CheckpointMismatchError(f"Checkpoint {source} does not match its config.json: "
                                      + "; ".join(parts) + hint)
    for name, target, convert in expected:
        target.data[...] = np.asarray(convert(tensors[name]), dtype=target.dtype)
