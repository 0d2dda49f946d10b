"""numdeep's BertModel against transformers.BertModel on a tiny random checkpoint, checkpoint
name handling and mismatch errors, refusal of pickle checkpoints, and fine-tuning with fit."""

import json
import os
import pickle

import numpy as np
import pytest

import numdeep as nd
from numdeep.pretrained import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    CheckpointMismatchError,
    load_file,
    save_file,
)
from tests.pretrained.conftest import batch


def _reference(model, ids, mask, types):
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                    token_type_ids=torch.tensor(types))
    return out.last_hidden_state.numpy(), out.pooler_output.numpy()


def test_tiny_checkpoint_matches_transformers(tiny_checkpoint):
    directory, ref = tiny_checkpoint
    bert = BertModel.from_pretrained(directory)
    ids, mask, types = batch()
    out = bert([ids, mask, types])
    hidden, pooled = _reference(ref, ids, mask, types)
    np.testing.assert_allclose(out.last_hidden_state.numpy(), hidden, atol=1e-4)
    np.testing.assert_allclose(out.pooler_output.numpy(), pooled, atol=1e-4)
    as_dict = bert({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    np.testing.assert_array_equal(as_dict["pooler_output"].numpy(), out.pooler_output.numpy())
    assert bert.config.layer_norm_eps == 1e-12
    assert bert.embeddings.layer_norm.epsilon == 1e-12


def _copy_checkpoint(src, dst, rename=None, drop=(), extra=None, config=None):
    tensors = load_file(os.path.join(src, "model.safetensors"))
    tensors = {(rename(k) if rename else k): v for k, v in tensors.items() if k not in drop}
    tensors.update(extra or {})
    os.makedirs(dst, exist_ok=True)
    save_file(tensors, os.path.join(dst, "model.safetensors"))
    with open(os.path.join(src, "config.json")) as f:
        cfg = json.load(f)
    cfg.update(config or {})
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(cfg, f)
    return dst


def test_prefixes_legacy_names_and_ignored_tensors(tiny_checkpoint, tmp_path):
    directory, ref = tiny_checkpoint

    def legacy(name):
        name = "bert." + name
        return name.replace("LayerNorm.weight", "LayerNorm.gamma").replace(
            "LayerNorm.bias", "LayerNorm.beta")

    extra = {"bert.embeddings.position_ids": np.arange(32)[None],
             "cls.predictions.bias": np.zeros(40, np.float32)}
    legacy_dir = _copy_checkpoint(directory, str(tmp_path / "legacy"), legacy, extra=extra)
    ids, mask, types = batch()
    out = BertModel.from_pretrained(legacy_dir)([ids, mask, types])
    np.testing.assert_allclose(out.last_hidden_state.numpy(), _reference(ref, ids, mask, types)[0],
                               atol=1e-4)


def test_mismatches_are_all_named_in_one_error(tiny_checkpoint, tmp_path):
    directory, _ = tiny_checkpoint
    bad = _copy_checkpoint(
        directory, str(tmp_path / "bad"), drop={"pooler.dense.bias"},
        extra={"encoder.layer.0.attention.self.query.weight": np.zeros((24, 12), np.float32),
               "encoder.layer.9.output.dense.weight": np.zeros((2, 2), np.float32)},
        config={"num_hidden_layers": 3})
    with pytest.raises(CheckpointMismatchError) as info:
        BertModel.from_pretrained(bad)
    msg = str(info.value)
    assert "missing tensors" in msg and "pooler.dense.bias" in msg
    assert "encoder.layer.2.attention.self.query.weight" in msg  # layer 2 of 3 absent
    assert "unexpected tensors (1): encoder.layer.9.output.dense.weight" in msg
    assert ("encoder.layer.0.attention.self.query.weight: checkpoint (24, 12) vs config "
            "(24, 24)") in msg
    no_pooler = _copy_checkpoint(directory, str(tmp_path / "nopool"),
                                 drop={"pooler.dense.weight", "pooler.dense.bias"})
    with pytest.raises(CheckpointMismatchError, match="add_pooling_layer=False"):
        BertModel.from_pretrained(no_pooler)
    bert = BertModel.from_pretrained(no_pooler, add_pooling_layer=False)
    assert "pooler_output" not in bert([np.array([[5, 6]])])


def test_pickle_checkpoints_are_refused_without_unpickling(tmp_path):
    sentinel = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(sentinel), "w"))

    with open(tmp_path / "pytorch_model.bin", "wb") as f:
        pickle.dump(Payload(), f)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(FileNotFoundError, match="safetensors only and never unpickles"):
        BertModel.from_pretrained(tmp_path)
    assert not sentinel.exists()
    with pytest.raises(FileNotFoundError, match="No config.json"):
        BertModel.from_pretrained(_empty(tmp_path))


def _empty(tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    return path


def test_config_validation_and_input_errors():
    with pytest.raises(ValueError, match="not a multiple"):
        BertConfig(hidden_size=10, num_attention_heads=3)
    with pytest.raises(ValueError, match="hidden_act"):
        BertConfig(hidden_act="mystery")
    with pytest.raises(ValueError, match="position_embedding_type"):
        BertConfig(position_embedding_type="relative_key")
    bert = BertModel(BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
                                num_attention_heads=2, intermediate_size=8,
                                max_position_embeddings=4))
    with pytest.raises(ValueError, match=r"input_ids received token ids outside \[0, 20\): "
                                         r"values from 1 to 25"):
        bert([np.array([[1, 25]]), np.ones((1, 2))])
    with pytest.raises(ValueError, match=r"token_type_ids received token ids outside \[0, 2\)"):
        bert([np.array([[1, 2]]), np.ones((1, 2)), np.array([[0, 2]])])
    with pytest.raises(ValueError, match="exceeds max_position_embeddings=4"):
        bert(np.ones((1, 6), np.int64))
    with pytest.raises(ValueError, match="received 4 inputs"):
        bert([np.ones((1, 2), np.int64)] * 4)


def test_fine_tuning_with_fit_lowers_the_loss():
    nd.utils.set_random_seed(0)
    config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ids_in = nd.Input(shape=(8,), dtype="int64", name="input_ids")
    mask_in = nd.Input(shape=(8,), dtype="int64", name="attention_mask")
    encoded = BertModel(config)([ids_in, mask_in])
    assert encoded["last_hidden_state"].shape == (None, 8, 16)
    logits = nd.layers.Dense(2)(encoded["pooler_output"])
    model = nd.Model([ids_in, mask_in], logits)
    model.compile(optimizer=nd.optimizers.Adam(1e-3),
                  loss=nd.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 30, (16, 8))
    mask = np.ones_like(ids)
    mask[:, 6:] = 0
    y = (ids[:, 0] > 15).astype(np.int64)
    before = model.evaluate([ids, mask], y, verbose=0)
    model.fit([ids, mask], y, epochs=1, batch_size=16, verbose=0)
    after = model.evaluate([ids, mask], y, verbose=0)
    assert after < before
    assert len(model.trainable_weights) == len(model.layers[2].trainable_weights) + 2


def test_sequence_classification_checkpoint(tiny_checkpoint, tmp_path):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    directory, _ = tiny_checkpoint
    config = transformers.BertConfig.from_pretrained(directory, num_labels=3,
                                                     id2label={0: "neg", 1: "neu", 2: "pos"})
    torch.manual_seed(1)
    ref = transformers.BertForSequenceClassification(config).eval()
    path = tmp_path / "clf"
    ref.save_pretrained(path, safe_serialization=True)
    clf = BertForSequenceClassification.from_pretrained(path)
    ids, mask, types = batch()
    with torch.no_grad():
        expected = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                       token_type_ids=torch.tensor(types)).logits.numpy()
    np.testing.assert_allclose(clf([ids, mask, types]).logits.numpy(), expected, atol=1e-4)
    assert clf.config.id2label == {0: "neg", 1: "neu", 2: "pos"}
    with pytest.raises(CheckpointMismatchError, match="no classification head"):
        BertForSequenceClassification.from_pretrained(directory)
