"""Hugging Face ergonomics: model names resolved from the HF cache layout (HF_HUB_CACHE,
HF_HOME), downloads through huggingface_hub (safetensors only; faked, never the internet),
transformers-style outputs and keyword inputs, fine-tuned classifiers against transformers, and
pipeline() without a model."""

import os
import sys
import types

import numpy as np
import pytest

import numdeep as nd
from numdeep import tree
from numdeep.pretrained import (
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertOutput,
    SequenceClassifierOutput,
    TFBertModel,
    pipeline,
)
from numdeep.pretrained.hub import resolve_checkpoint
from tests.pretrained.conftest import batch, write_vocab

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _hub_layout(cache, repo, commit=COMMIT):
    """An empty ``models--org--name/snapshots/<commit>`` folder with ``refs/main``."""
    repo_dir = os.path.join(cache, "models--" + repo.replace("/", "--"))
    snapshot = os.path.join(repo_dir, "snapshots", commit)
    os.makedirs(snapshot)
    os.makedirs(os.path.join(repo_dir, "refs"))
    with open(os.path.join(repo_dir, "refs", "main"), "w") as f:
        f.write(commit)
    return snapshot


@pytest.fixture
def tiny_classifier(tmp_path, monkeypatch):
    """A random fine-tuned transformers BertForSequenceClassification in a temp HF cache."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    config = transformers.BertConfig(vocab_size=40, hidden_size=24, num_hidden_layers=2,
                                     num_attention_heads=3, intermediate_size=40,
                                     max_position_embeddings=32, num_labels=2,
                                     id2label={0: "NEGATIVE", 1: "POSITIVE"})
    ref = transformers.BertForSequenceClassification(config).eval()
    cache = tmp_path / "hub"
    snapshot = _hub_layout(str(cache), "someone/tiny-sst2")
    ref.save_pretrained(snapshot, safe_serialization=True)
    write_vocab(snapshot)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return ref, snapshot


def test_classifier_by_name_from_hf_cache_matches_transformers(tiny_classifier):
    torch = pytest.importorskip("torch")
    ref, snapshot = tiny_classifier
    clf = BertForSequenceClassification.from_pretrained("someone/tiny-sst2")
    ids, mask, types = batch()
    with torch.no_grad():
        expected = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                       token_type_ids=torch.tensor(types)).logits.numpy()
    out = clf(input_ids=ids, attention_mask=mask, token_type_ids=types)
    assert isinstance(out, SequenceClassifierOutput) and isinstance(out, dict)
    np.testing.assert_allclose(out.logits.numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(out["logits"].numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(out[0].numpy(), expected, atol=1e-4)
    tok = AutoTokenizer.from_pretrained("someone/tiny-sst2")
    enc = tok(["the cat sat", "a bad movie !"], return_tensors="tf")
    with torch.no_grad():
        expected = ref(**{k: torch.tensor(v) for k, v in enc.items()}).logits.numpy()
    np.testing.assert_allclose(clf(**enc).logits.numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(clf(enc).logits.numpy(), expected, atol=1e-4)


def test_encoder_keywords_tokenizer_dict_and_output_attributes(tiny_checkpoint):
    directory, ref = tiny_checkpoint
    bert = TFBertModel.from_pretrained(directory)
    ids, mask, types = batch()
    positional = bert([ids, mask, types])
    keywords = bert(input_ids=ids, attention_mask=mask, token_type_ids=types)
    unpacked = bert(**{"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    assert isinstance(keywords, BertOutput) and isinstance(keywords, dict)
    for out in (keywords, unpacked):
        np.testing.assert_array_equal(out.last_hidden_state.numpy(),
                                      positional["last_hidden_state"].numpy())
        np.testing.assert_array_equal(out.pooler_output.numpy(), out[1].numpy())
    assert list(keywords) == ["last_hidden_state", "pooler_output"]
    with pytest.raises(AttributeError, match="logits"):
        _ = keywords.logits
    with pytest.raises(ValueError, match="attention_mask both"):
        bert([ids, mask], attention_mask=mask)


def test_hf_home_and_org_less_names(tiny_checkpoint, tmp_path, monkeypatch):
    import shutil

    directory, _ = tiny_checkpoint
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    snapshot = _hub_layout(str(tmp_path / "hf" / "hub"), "google-bert/bert-tiny-test")
    for name in os.listdir(directory):
        shutil.copy(os.path.join(directory, name), snapshot)
    assert resolve_checkpoint("google-bert/bert-tiny-test") == snapshot
    assert resolve_checkpoint("bert-tiny-test") == snapshot  # found under its organisation
    assert resolve_checkpoint("google-bert/bert-tiny-test", revision=COMMIT) == snapshot
    bert = BertModel.from_pretrained("bert-tiny-test")
    assert bert.config.hidden_size == 24


def test_missing_model_without_huggingface_hub_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # not installed
    with pytest.raises(FileNotFoundError) as e:
        BertModel.from_pretrained("org/absent")
    msg = str(e.value)
    assert "models--org--absent" in msg and "pip install huggingface_hub" in msg
    assert "huggingface-cli download org/absent" in msg


def test_download_through_huggingface_hub_safetensors_only(tiny_checkpoint, tmp_path,
                                                          monkeypatch):
    import shutil

    directory, _ = tiny_checkpoint
    calls = []

    def snapshot_download(repo_id, revision=None, cache_dir=None, allow_patterns=None):
        calls.append((repo_id, revision, allow_patterns))
        target = tmp_path / "downloaded"
        shutil.copytree(directory, target)
        return str(target)

    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    bert = BertModel.from_pretrained("org/remote-bert")
    assert bert.config.num_hidden_layers == 2
    (repo, revision, patterns), = calls
    assert repo == "org/remote-bert" and revision is None
    assert "*.safetensors" in patterns and not any(p.endswith(".bin") or p == "*"
                                                   for p in patterns)


def test_pipeline_without_model_names_its_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(FileNotFoundError, match="default is 'textattack/bert-base-uncased-SST-2'"
                       ".*pip install huggingface_hub"):
        pipeline("sentiment-analysis")
    with pytest.raises(FileNotFoundError, match="sentence-transformers/all-MiniLM-L6-v2"):
        pipeline("feature-extraction")


def test_pipeline_default_model_from_the_cache(tiny_classifier, monkeypatch):
    import shutil

    ref, snapshot = tiny_classifier
    default = _hub_layout(os.environ["HF_HUB_CACHE"], "textattack/bert-base-uncased-SST-2")
    for name in os.listdir(snapshot):
        shutil.copy(os.path.join(snapshot, name), default)
    results = pipeline("sentiment-analysis")(["the cat sat", "a good film"])
    assert [r["label"] for r in results] != [] and all(
        r["label"] in ("NEGATIVE", "POSITIVE") and 0.5 <= r["score"] <= 1 for r in results)


def test_classifier_output_trains_with_fit_and_is_a_tree():
    config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=16, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    nd.utils.set_random_seed(0)
    clf = BertForSequenceClassification(config, num_labels=2)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 30, (32, 6))
    y = (ids[:, 1] > 15).astype("int32")
    clf.compile(optimizer=nd.optimizers.Adam(1e-2),
                loss=nd.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = clf.evaluate(ids, y, verbose=0)
    clf.fit(ids, y, epochs=5, batch_size=8, verbose=0)
    assert clf.evaluate(ids, y, verbose=0) < before
    out = SequenceClassifierOutput(logits=1)
    assert tree.flatten(out) == [1]
    assert isinstance(tree.map_structure(lambda v: v + 1, out), SequenceClassifierOutput)


MODEL_CARD = """
from transformers import BertTokenizer, TFBertModel
tokenizer = BertTokenizer.from_pretrained('bert-base-uncased')
model = TFBertModel.from_pretrained("bert-base-uncased")
text = "Replace me by any text you'd like."
encoded_input = tokenizer(text, return_tensors='tf')
output = model(encoded_input)
"""
PIPELINE_SNIPPET = """
from transformers import pipeline
classifier = pipeline("sentiment-analysis")
result = classifier("We are very happy to show you the good film library.")
"""


def _with_numdeep_imports(program):
    """``program`` with its import lines (and only those) naming numdeep.pretrained."""
    return program.replace("from transformers import", "from numdeep.pretrained import")


def test_bert_model_card_snippet_runs_with_the_import_line_changed(tiny_checkpoint, tmp_path,
                                                                   monkeypatch):
    """The bert-base-uncased model card's TensorFlow snippet, given the checkpoint in the
    Hugging Face cache (under the name's legacy ``models--bert-base-uncased`` folder), gives
    transformers' numbers: same token ids, same hidden states and pooled output."""
    import shutil

    import torch
    import transformers

    directory, ref = tiny_checkpoint
    cache = tmp_path / "hub"
    snapshot = _hub_layout(str(cache), "bert-base-uncased")
    for name in os.listdir(directory):
        shutil.copy(os.path.join(directory, name), snapshot)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    expected_ids = transformers.BertTokenizer.from_pretrained(snapshot)(
        "Replace me by any text you'd like.", return_tensors="np")
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # offline: the cache only
    namespace = {}
    exec(compile(_with_numdeep_imports(MODEL_CARD), "model_card.py", "exec"), namespace)  # noqa: S102
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        np.testing.assert_array_equal(namespace["encoded_input"][key], expected_ids[key])
    with torch.no_grad():
        expected = ref(**{k: torch.tensor(v) for k, v in expected_ids.items()})
    output = namespace["output"]
    np.testing.assert_allclose(output.last_hidden_state.numpy(),
                               expected.last_hidden_state.numpy(), atol=1e-4)
    np.testing.assert_allclose(output.pooler_output.numpy(), expected.pooler_output.numpy(),
                               atol=1e-4)
    np.testing.assert_allclose(output[0].numpy(), output["last_hidden_state"].numpy())


def test_sentiment_pipeline_snippet_matches_transformers(tiny_classifier, monkeypatch):
    """``pipeline("sentiment-analysis")`` with its default model in the cache gives the label
    and score transformers' pipeline gives on the same checkpoint."""
    import shutil

    transformers = pytest.importorskip("transformers")
    _, snapshot = tiny_classifier
    default = _hub_layout(os.environ["HF_HUB_CACHE"], "textattack/bert-base-uncased-SST-2")
    for name in os.listdir(snapshot):
        shutil.copy(os.path.join(snapshot, name), default)
    text = "We are very happy to show you the good film library."
    (expected,) = transformers.pipeline("sentiment-analysis", model=snapshot,
                                        tokenizer=snapshot)([text])
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # offline: the cache only
    namespace = {}
    exec(compile(_with_numdeep_imports(PIPELINE_SNIPPET), "snippet.py", "exec"), namespace)  # noqa: S102
    (result,) = namespace["result"]
    assert result["label"] == expected["label"]
    np.testing.assert_allclose(result["score"], expected["score"], rtol=1e-4)
