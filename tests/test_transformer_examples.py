"""The attention/Transformer example scripts run end to end (short settings) and print what they
promise."""

import importlib.util
import re

from tests.pretrained.conftest import minilm_directory
from tests.test_examples import run_script


def test_transformer_classifier_learns_negation_scope():
    out = run_script("examples/transformer_classifier.py", "--quick")
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.8  # chance is 0.5; bag-of-words cannot place the negation
    assert "multi_head_attention" in out  # the summary lists the attention layers


def test_residual_mlp_beats_the_plain_network():
    out = run_script("examples/residual_mlp.py", "--quick")
    accuracy = float(re.search(r"^test accuracy: ([0-9.]+)", out, re.M).group(1))
    plain = float(re.search(r"plain MLP .* test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.85 and accuracy > plain


def test_bert_embeddings_ranks_the_corpus_or_skips():
    out = run_script("examples/bert_embeddings.py")
    if minilm_directory() is None or importlib.util.find_spec("tokenizers") is None:
        assert "Skipping" in out
        return
    assert "384 dimensions (unit length: True)" in out
    assert "best matches: [0, 7, 8]" in out
