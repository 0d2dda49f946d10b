"""The real all-MiniLM-L6-v2 checkpoint: numdeep's encoder, tokenizer and sentence embeddings
against transformers (torch CPU), plus the pipeline helper and the tokenizer's errors."""

import numpy as np
import pytest

from numdeep.pretrained import BertModel, Tokenizer, pipeline
from numdeep.pretrained.pipeline import FeatureExtractionPipeline
from tests.pretrained.conftest import write_vocab

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.",
             "The girl is carrying a baby.", "A man is riding a horse.",
             "Someone plays the guitar!"]


@pytest.fixture(scope="module")
def minilm(minilm_dir):
    return BertModel.from_pretrained(minilm_dir), Tokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def reference(minilm_dir):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    return (transformers.BertModel.from_pretrained(minilm_dir).eval(),
            transformers.AutoTokenizer.from_pretrained(minilm_dir))


def _mean_pool(hidden, mask):
    m = mask[..., None].astype(hidden.dtype)
    v = (hidden * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_tokenizer_ids_match_transformers(minilm, reference):
    _, tok = minilm
    enc = tok(SENTENCES + ["Naïve café — ünïcödé, tokenization!!"])
    ref = reference[1](SENTENCES + ["Naïve café — ünïcödé, tokenization!!"], padding=True,
                       return_tensors="np")
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        np.testing.assert_array_equal(enc[key], ref[key], err_msg=key)
    pair = tok("first part", text_pair="second part")
    ref_pair = reference[1]("first part", "second part", return_tensors="np")
    np.testing.assert_array_equal(pair["token_type_ids"], ref_pair["token_type_ids"])


def test_hidden_states_and_sentence_embeddings_match_transformers(minilm, reference):
    torch = pytest.importorskip("torch")
    bert, tok = minilm
    enc = tok(SENTENCES)
    out = bert([enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]])
    with torch.no_grad():
        ref = reference[0](**{k: torch.tensor(v) for k, v in enc.items()})
    hidden, ref_hidden = out.last_hidden_state.numpy(), ref.last_hidden_state.numpy()
    np.testing.assert_allclose(hidden, ref_hidden, atol=1e-4)
    np.testing.assert_allclose(out.pooler_output.numpy(), ref.pooler_output.numpy(), atol=1e-4)
    ours = _mean_pool(hidden, enc["attention_mask"])
    theirs = _mean_pool(ref_hidden, enc["attention_mask"])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    sims, ref_sims = ours @ ours.T, theirs @ theirs.T
    for i in range(len(SENTENCES)):
        assert list(np.argsort(-sims[i])) == list(np.argsort(-ref_sims[i]))
    assert np.argsort(-sims[0])[1] == 1  # "eating food" is closest to "eating bread"


def test_sentence_embedding_pipeline(minilm_dir, minilm):
    bert, tok = minilm
    embed = pipeline("sentence-embedding", model=minilm_dir, batch_size=2)
    vectors = embed(SENTENCES)
    assert vectors.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    enc = tok(SENTENCES)
    out = bert([enc["input_ids"], enc["attention_mask"]])
    np.testing.assert_allclose(vectors, _mean_pool(out.last_hidden_state.numpy(),
                                                   enc["attention_mask"]), atol=1e-5)
    features = FeatureExtractionPipeline(bert, tok)(["Hello world!", "Hi"])
    assert [f.shape for f in features] == [(5, 384), (3, 384)]  # [CLS] hello world ! [SEP]


def test_tokenizer_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No tokenizer.json or vocab.txt"):
        Tokenizer.from_pretrained(tmp_path)
    write_vocab(tmp_path)
    tok = Tokenizer.from_pretrained(tmp_path)
    enc = tok(["the cat sat", "the dog"], padding="max_length", max_length=6)
    assert enc["input_ids"].shape == (2, 6) and enc["attention_mask"].sum() == 9
    assert tok.decode(tok.encode("the cat sat")) == "the cat sat"
    assert tok(["the cat sat on the mat"], max_length=4)["input_ids"].shape == (1, 4)
    with pytest.raises(ValueError, match="padding=True"):
        tok(["the cat sat", "the"], padding=False)
    with pytest.raises(ValueError, match="NumPy"):
        tok("the", return_tensors="pt")


def test_missing_tokenizers_package_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "tokenizers":
            raise ImportError("No module named 'tokenizers'")
        return real_import(name, *args, **kwargs)

    write_vocab(tmp_path)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"numdeep\[nlp\]"):
        Tokenizer.from_pretrained(tmp_path)


def test_text_classification_pipeline(tiny_checkpoint, tmp_path):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    directory, _ = tiny_checkpoint
    config = transformers.BertConfig.from_pretrained(directory, num_labels=2,
                                                     id2label={0: "NEGATIVE", 1: "POSITIVE"})
    torch.manual_seed(2)
    ref = transformers.BertForSequenceClassification(config).eval()
    ref.save_pretrained(tmp_path, safe_serialization=True)
    write_vocab(tmp_path)
    classify = pipeline("sentiment-analysis", model=tmp_path)
    results = classify(["a good movie !", "a bad film ."])
    tok = Tokenizer.from_pretrained(tmp_path)
    enc = tok(["a good movie !", "a bad film ."])
    with torch.no_grad():
        probs = torch.softmax(ref(**{k: torch.tensor(v) for k, v in enc.items()}).logits, -1)
    for res, p in zip(results, probs.numpy()):
        assert res["label"] == ["NEGATIVE", "POSITIVE"][int(p.argmax())]
        assert abs(res["score"] - p.max()) < 1e-4
    top2 = classify("the cat sat", top_k=2)[0]
    assert [r["label"] for r in top2] != [] and len(top2) == 2
    with pytest.raises(ValueError, match="Unknown pipeline task"):
        pipeline("summarization", model=tmp_path)
    with pytest.raises(ValueError, match="no classification head"):
        pipeline("text-classification", model=directory)
