"""``pipeline(task, model=directory)``: text in, embeddings or labels out, on a local checkpoint.

Tasks: ``"feature-extraction"`` (per-token hidden states), ``"sentence-embedding"`` (pooled and,
for sentence-transformers checkpoints such as all-MiniLM-L6-v2, L2-normalized sentence vectors:
the pooling mode comes from ``1_Pooling/config.json`` and normalization from ``modules.json``;
plain BERT checkpoints get normalized mean pooling) and ``"text-classification"``
(``"sentiment-analysis"``; needs a ``BertForSequenceClassification`` checkpoint).
"""

import json
import logging
import os

import numpy as np

from numdeep.autograd import no_grad
from numdeep.pretrained.bert import BertForSequenceClassification, BertModel
from numdeep.pretrained.tokenizer import Tokenizer

__all__ = ["pipeline", "FeatureExtractionPipeline", "SentenceEmbeddingPipeline",
           "TextClassificationPipeline"]


def _batches(texts, batch_size):
    texts = [texts] if isinstance(texts, str) else list(texts)
    for i in range(0, len(texts), batch_size):
        yield texts[i:i + batch_size]


class FeatureExtractionPipeline:
    """Per-token ``last_hidden_state`` of each text (padding removed)."""

    def __init__(self, model, tokenizer, batch_size=32, max_length=None):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.max_length = int(batch_size), max_length

    def _encode(self, texts):
        for chunk in _batches(texts, self.batch_size):
            enc = self.tokenizer(chunk, max_length=self.max_length)
            with no_grad():
                out = self.model([enc["input_ids"], enc["attention_mask"],
                                  enc["token_type_ids"]], training=False)
            yield enc, out

    def __call__(self, texts):
        """A list of ``(steps_i, hidden)`` arrays, one per text."""
        result = []
        for enc, out in self._encode(texts):
            h = out["last_hidden_state"].numpy()
            result += [h[i, :n] for i, n in enumerate(enc["attention_mask"].sum(1))]
        return result


class SentenceEmbeddingPipeline(FeatureExtractionPipeline):
    """One vector per text: ``mean`` (masked), ``cls`` or ``max`` pooling, then optional L2
    normalization, as sentence-transformers computes them."""

    def __init__(self, model, tokenizer, pooling="mean", normalize=True, **kwargs):
        super().__init__(model, tokenizer, **kwargs)
        if pooling not in ("mean", "cls", "max"):
            raise ValueError(f"pooling must be 'mean', 'cls' or 'max'; received {pooling!r}.")
        self.pooling, self.normalize = pooling, bool(normalize)

    def __call__(self, texts):
        """An array ``(n_texts, hidden)``."""
        vectors = []
        for enc, out in self._encode(texts):
            h = out["last_hidden_state"].numpy()
            m = enc["attention_mask"][..., None].astype(h.dtype)
            if self.pooling == "mean":
                v = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            elif self.pooling == "cls":
                v = h[:, 0]
            else:
                v = np.where(m > 0, h, -1e9).max(1)
            if self.normalize:
                v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
            vectors.append(v)
        return np.concatenate(vectors) if vectors else np.zeros((0, 0), np.float32)


class TextClassificationPipeline(FeatureExtractionPipeline):
    """``[{"label": ..., "score": ...}]`` per text (``top_k`` labels when given)."""

    def __call__(self, texts, top_k=1):
        results = []
        labels = self.model.config.id2label
        multi = self.model.config.problem_type == "multi_label_classification"
        for chunk in _batches(texts, self.batch_size):
            enc = self.tokenizer(chunk, max_length=self.max_length)
            with no_grad():
                logits = self.model([enc["input_ids"], enc["attention_mask"],
                                     enc["token_type_ids"]], training=False).logits.numpy()
            if multi:
                probs = 1 / (1 + np.exp(-logits))
            else:
                e = np.exp(logits - logits.max(-1, keepdims=True))
                probs = e / e.sum(-1, keepdims=True)
            for row in probs:
                order = np.argsort(-row)[:top_k]
                ranked = [{"label": labels.get(int(i), f"LABEL_{int(i)}"),
                           "score": float(row[i])} for i in order]
                results.append(ranked[0] if top_k == 1 else ranked)
        return results


def _sentence_transformers_setup(directory):
    pooling, normalize = "mean", True
    modules = os.path.join(directory, "modules.json")
    if os.path.isfile(modules):
        with open(modules, encoding="utf-8") as f:
            kinds = [m.get("type", "") for m in json.load(f)]
        normalize = any(k.endswith("Normalize") for k in kinds)
    pool_cfg = os.path.join(directory, "1_Pooling", "config.json")
    if os.path.isfile(pool_cfg):
        with open(pool_cfg, encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("pooling_mode_cls_token"):
            pooling = "cls"
        elif cfg.get("pooling_mode_max_tokens"):
            pooling = "max"
    return pooling, normalize


#: The checkpoint ``pipeline(task)`` uses without a ``model`` (BERT architectures, which numdeep
#: runs; transformers' own defaults are DistilBERT models).
DEFAULT_MODELS = {
    "feature-extraction": "sentence-transformers/all-MiniLM-L6-v2",
    "sentence-embedding": "sentence-transformers/all-MiniLM-L6-v2",
    "sentence-similarity": "sentence-transformers/all-MiniLM-L6-v2",
    "text-classification": "textattack/bert-base-uncased-SST-2",
    "sentiment-analysis": "textattack/bert-base-uncased-SST-2",
}


def _default_model(task):
    from numdeep.pretrained.hub import resolve_checkpoint

    name = DEFAULT_MODELS[task]
    try:
        directory = resolve_checkpoint(name)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"pipeline({task!r}) was given no model; its default is {name!r}. {e} Or pass "
            f"model= a BERT checkpoint folder or name.") from None
    logging.getLogger("numdeep").warning("No model was supplied, defaulted to %s.", name)
    return directory


def pipeline(task, model=None, batch_size=32, max_length=None, **kwargs):
    """Build a text pipeline on a BERT checkpoint (a folder or a Hugging Face model name).

    Args:
        task: ``"feature-extraction"``, ``"sentence-embedding"`` (alias
            ``"sentence-similarity"``) or ``"text-classification"`` (alias
            ``"sentiment-analysis"``).
        model: the checkpoint folder (``config.json``, ``model.safetensors`` and the
            tokenizer files) or a model name in the Hugging Face cache (downloaded with the
            optional ``huggingface_hub``); ``None`` uses ``DEFAULT_MODELS[task]`` and, when it
            is not at hand, says which model that is and how to get it.
        batch_size: texts per forward pass.
        max_length: truncation length (default: the tokenizer's ``model_max_length``).
        **kwargs: for sentence embeddings, ``pooling`` and ``normalize`` override the
            checkpoint's sentence-transformers settings.

    Returns:
        A callable taking a string or a list of strings.

    Example:
        >>> from numdeep.pretrained import pipeline
        >>> pipeline("translation", model=".")
        Traceback (most recent call last):
        ...
        ValueError: Unknown pipeline task 'translation'; ...
    """
    known = {"feature-extraction": "features", "sentence-embedding": "embedding",
             "sentence-similarity": "embedding", "text-classification": "classification",
             "sentiment-analysis": "classification"}
    if task not in known:
        raise ValueError(f"Unknown pipeline task {task!r}; numdeep supports {sorted(known)}.")
    from numdeep.pretrained.hub import resolve_checkpoint

    directory = _default_model(task) if model is None else resolve_checkpoint(model)
    tokenizer = Tokenizer.from_pretrained(directory)
    common = dict(batch_size=batch_size, max_length=max_length)
    if known[task] == "classification":
        clf = BertForSequenceClassification.from_pretrained(directory)
        return TextClassificationPipeline(clf, tokenizer, **common)
    bert = BertModel.from_pretrained(directory, add_pooling_layer=False)
    if known[task] == "features":
        return FeatureExtractionPipeline(bert, tokenizer, **common)
    pooling, normalize = _sentence_transformers_setup(directory)
    return SentenceEmbeddingPipeline(bert, tokenizer, pooling=kwargs.get("pooling", pooling),
                                     normalize=kwargs.get("normalize", normalize), **common)
