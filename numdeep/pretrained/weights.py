"""Reading Hugging Face BERT checkpoint directories into numdeep's ``BertModel``.

Name handling: a leading ``bert.`` (head-model checkpoints) is stripped, legacy TensorFlow names
``LayerNorm.gamma``/``.beta`` become ``.weight``/``.bias``, the ``embeddings.position_ids`` buffer
and pre-training heads (``cls.*``) are skipped, and ``classifier.*`` is read only by
``BertForSequenceClassification``. Layouts: torch ``Linear`` weights ``(out, in)`` are transposed
to Keras kernels ``(in, out)``; attention projections are reshaped to ``MultiHeadAttention``'s
``(hidden, heads, head_dim)`` and ``(heads, head_dim, hidden)`` kernels. Every missing,
unexpected and mis-shaped tensor is reported together, before any weight is changed.
"""

import os
import re

import numpy as np

from numdeep.pretrained.config import BertConfig
from numdeep.pretrained.safetensors import SafetensorsFile
from numdeep.saving import torch_layout as layout
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import load_json

__all__ = ["CheckpointMismatchError", "read_checkpoint", "check_checkpoint", "load_bert_weights"]

_SKIPPED = ("embeddings.position_ids", "cls.")
_LAYER = re.compile(r"encoder\.layer\.(\d+)\.")
# A config.json may declare a few encoder layers more than the checkpoint holds (each missing
# tensor is then listed); far more is refused at once: a small file declaring a million layers
# would otherwise have them built, for minutes and gigabytes, before the mismatch shows.
_MAX_MISSING_LAYERS = 8


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
        with open(index, "rb") as f:
            weight_map = _json_object(f.read(), index).get("weight_map")
        if not isinstance(weight_map, dict) or not all(isinstance(v, str)
                                                       for v in weight_map.values()):
            raise ValueError(f"{index}: 'weight_map' must map tensor names to shard files.")
        shards = sorted(set(weight_map.values()))
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


def _json_object(raw, path):
    """The JSON object of a checkpoint's ``.json`` file (size and nesting bounded)."""
    try:
        value = load_json(raw, os.path.basename(path))
    except CorruptFileError as e:
        raise e.located(path, "checkpoint JSON") from e
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a JSON object, found a JSON "
                         f"{type(value).__name__}.")
    return value


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
    with open(config_path, "rb") as f:
        raw = _json_object(f.read(), config_path)
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


def config_shapes(config, pooler=True, num_labels=None):
    """``{checkpoint name: shape}`` of the tensors ``config`` asks of a checkpoint (with a pooler
    and, given ``num_labels``, a classifier), computed without building anything."""
    h, inner = config.hidden_size, config.intermediate_size
    shapes = {"embeddings.word_embeddings.weight": (config.vocab_size, h),
              "embeddings.position_embeddings.weight": (config.max_position_embeddings, h),
              "embeddings.token_type_embeddings.weight": (config.type_vocab_size, h),
              "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,)}
    layer = {}
    for part in ("query", "key", "value"):
        layer.update({f"attention.self.{part}.weight": (h, h),
                      f"attention.self.{part}.bias": (h,)})
    layer.update({"attention.output.dense.weight": (h, h), "attention.output.dense.bias": (h,),
                  "attention.output.LayerNorm.weight": (h,),
                  "attention.output.LayerNorm.bias": (h,),
                  "intermediate.dense.weight": (inner, h), "intermediate.dense.bias": (inner,),
                  "output.dense.weight": (h, inner), "output.dense.bias": (h,),
                  "output.LayerNorm.weight": (h,), "output.LayerNorm.bias": (h,)})
    for i in range(config.num_hidden_layers):
        shapes.update({f"encoder.layer.{i}.{key}": shape for key, shape in layer.items()})
    if pooler:
        shapes.update({"pooler.dense.weight": (h, h), "pooler.dense.bias": (h,)})
    if num_labels is not None:
        shapes.update({"classifier.weight": (num_labels, h), "classifier.bias": (num_labels,)})
    return shapes


def _skipped(pooler, classifier):
    return _SKIPPED + (() if classifier else ("classifier.",)) + (() if pooler else ("pooler.",))


def check_checkpoint(config, tensors, source, pooler=True, num_labels=None):
    """Refuse checkpoint ``tensors`` that do not match ``config`` before anything is built, so
    that a small ``config.json`` declaring huge sizes or countless layers allocates nothing.

    Raises:
        CheckpointMismatchError: listing every missing, unexpected and mis-shaped tensor (or,
            for a config declaring far more encoder layers than the checkpoint holds, the two
            counts).

    Example:
        >>> import numpy as np
        >>> from numdeep.pretrained import BertConfig
        >>> config = BertConfig(vocab_size=5, hidden_size=4, num_hidden_layers=10**6,
        ...                     num_attention_heads=1, intermediate_size=8)
        >>> tensors = {"embeddings.word_embeddings.weight": np.zeros((5, 4), "float32")}
        >>> try:
        ...     check_checkpoint(config, tensors, "ckpt")
        ... except CheckpointMismatchError as e:
        ...     print(str(e).split(": ", 1)[1])
        num_hidden_layers=1000000, but the checkpoint holds tensors of 0 encoder layers.
    """
    held = {int(m[1]) for m in map(_LAYER.match, tensors) if m}
    if config.num_hidden_layers > len(held) + _MAX_MISSING_LAYERS:
        raise CheckpointMismatchError(
            f"Checkpoint {source} does not match its config.json: num_hidden_layers="
            f"{config.num_hidden_layers}, but the checkpoint holds tensors of {len(held)} "
            f"encoder layers.")
    _refuse_mismatches(source, config_shapes(config, pooler, num_labels), tensors,
                       _skipped(pooler, num_labels is not None))


def load_bert_weights(bert, tensors, source, classifier=None):
    """Assign checkpoint ``tensors`` to a built ``BertModel`` (and optional classifier Dense).

    Raises:
        CheckpointMismatchError: listing every missing, unexpected and mis-shaped tensor; no
            weight is modified in that case.
    """
    expected = _expected(bert, classifier)
    wanted = {name: _checkpoint_shape(target.shape, name) for name, target, _ in expected}
    _refuse_mismatches(source, wanted, tensors,
                       _skipped(bert.pooler is not None, classifier is not None))
    for name, target, convert in expected:
        target.data[...] = np.asarray(convert(tensors[name]), dtype=target.dtype)


def _refuse_mismatches(source, wanted, tensors, skipped):
    """One ``CheckpointMismatchError`` naming every tensor of ``wanted`` (``{name: checkpoint
    shape}``) missing or mis-shaped in ``tensors`` and every unexpected one."""
    unexpected = sorted(k for k in tensors if k not in wanted and not k.startswith(skipped))
    missing = sorted(name for name in wanted if name not in tensors)
    mismatched = [f"{name}: checkpoint {tuple(tensors[name].shape)} vs config {tuple(want)}"
                  for name, want in wanted.items()
                  if name in tensors and tuple(tensors[name].shape) != tuple(want)]
    if missing or unexpected or mismatched:
        parts = [f"{label} ({len(items)}): {', '.join(items)}" for label, items in
                 (("missing tensors", missing), ("unexpected tensors", unexpected),
                  ("shape mismatches", mismatched)) if items]
        hint = ""
        if any(m.startswith("pooler.") for m in missing):
            hint = " (a checkpoint without a pooler loads with add_pooling_layer=False)"
        raise CheckpointMismatchError(f"Checkpoint {source} does not match its config.json: "
                                      + "; ".join(parts) + hint)
