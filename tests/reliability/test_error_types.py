"""Issue 17, item 5: errors that escaped as the wrong type (a bare ``MemoryError``,
``AttributeError``, an int returned for a model, a raw NumPy ``ValueError``, a cast that silently
drops the imaginary part) are clear errors naming what is wrong; large weights are initialised
in their own dtype (no float64 copy of the whole weight)."""

import json
import re
import tracemalloc

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.initializers import random as random_init
from numdeep.saving import ConfigTypeError, CorruptFileError
from tests.reliability import hostile

X = np.ones((4, 4), "float32")
Y = np.ones((4, 3), "float32")


# ----- weights too large to create ----------------------------------------------------------
def test_dense_of_a_million_units_names_the_layer_and_bytes():
    layer = nd.layers.Dense(10**6, name="huge")
    with pytest.raises(ValueError, match=r"Layer 'huge' cannot create weight 'kernel' of shape "
                                         r"\(1000000, 1000000\).*4000000000000 bytes"):
        layer.build((None, 10**6))


def test_sequential_add_of_a_huge_dense_is_a_value_error():
    model = nd.Sequential([nd.Input((10**6,))])
    with pytest.raises(ValueError, match="memory available"):
        model.add(nd.layers.Dense(10**6))


def test_weight_budget_refuses_weights_beyond_it():
    from numdeep.layers.layer_args import weight_budget

    with weight_budget(1000, "only 1000 bytes allowed here"):
        nd.layers.Dense(10).build((None, 20))  # 840 bytes
        with pytest.raises(ValueError, match="only 1000 bytes allowed here"):
            nd.layers.Dense(10).build((None, 20))
    nd.layers.Dense(10).build((None, 20))  # no budget outside the block


# ----- initialisation in the target dtype ---------------------------------------------------
def _peak_bytes(fn):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("initializer", ["glorot_uniform", "he_normal", "random_normal",
                                         "truncated_normal", "lecun_uniform"])
def test_building_a_weight_allocates_it_about_once(initializer):
    # 1024 x 4096 float32 = 16 MiB. Before: a float64 draw (32 MiB), its cast (16 MiB) and the
    # Variable's copy (16 MiB) were alive together (3x; 4.6x for truncated normals).
    layer = nd.layers.Dense(4096, kernel_initializer=initializer)
    _, peak = _peak_bytes(lambda: layer.build((None, 1024)))
    weight = 1024 * 4096 * 4
    limit = 1.6 if initializer in ("he_normal", "truncated_normal") else 1.2
    assert layer.kernel.dtype == np.float32
    assert peak < limit * weight, peak / weight


def test_block_draws_equal_one_whole_draw(monkeypatch):
    monkeypatch.setattr(random_init, "_BLOCK", 7)  # many blocks, one partial
    shape = (30, 20)
    limit = np.sqrt(6.0 / 50)
    whole = np.random.default_rng(3).uniform(-limit, limit, shape).astype("float32")
    np.testing.assert_array_equal(nd.initializers.GlorotUniform(seed=3)(shape), whole)
    whole = np.random.default_rng(4).normal(0.5, 2.0, shape).astype("float16")
    np.testing.assert_array_equal(
        nd.initializers.RandomNormal(0.5, 2.0, seed=4)(shape, dtype="float16"), whole)


def test_truncated_normal_redraws_in_the_same_order(monkeypatch):
    def reference(seed, shape, mean, stddev):
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(shape)
        bad = np.abs(z) > 2.0
        while bad.any():
            z[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(z) > 2.0
        return (mean + stddev * z).astype("float32")

    monkeypatch.setattr(random_init, "_BLOCK", 13)
    got = nd.initializers.TruncatedNormal(0.1, 0.3, seed=5)((40, 25))
    np.testing.assert_array_equal(got, reference(5, (40, 25), 0.1, 0.3))
    assert got.dtype == np.float32


# ----- configs that are not configs ---------------------------------------------------------
@pytest.mark.parametrize("text, kind", [("42", "int"), ("[1, 2]", "list"), ('"x"', "str"),
                                        ("null", "NoneType")])
def test_model_from_json_of_a_non_object_is_a_type_error(text, kind):
    with pytest.raises(ConfigTypeError, match=kind) as e:
        nd.models.model_from_json(text)
    assert isinstance(e.value, TypeError)


@pytest.mark.parametrize("value", [42, [1, 2], "a string"])
def test_h5_whose_model_config_is_not_an_object_is_corrupt(tmp_path, value):
    with pytest.warns(UserWarning):
        nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)]).save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as src, h5py.File(tmp_path / "bad.h5", "w") as dst:
        for name in src:
            src.copy(name, dst)
        for key, attr in src.attrs.items():
            dst.attrs[key] = attr
        dst.attrs["model_config"] = json.dumps(value)
    with pytest.raises(CorruptFileError, match="'model_config' holds a JSON"):
        nd.saving.load_model(tmp_path / "bad.h5")


# ----- data that is not real numbers --------------------------------------------------------
def compiled():
    model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("x", [X.astype(complex), np.zeros((4, 4), "datetime64[D]"),
                               np.zeros((4, 4), "timedelta64[s]")],
                         ids=["complex", "datetime", "timedelta"])
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_complex_and_date_inputs_are_refused(x, call):
    model = compiled()
    with pytest.raises(TypeError, match=re.escape(f"`x` must hold real numbers; received an "
                                                  f"array of dtype {x.dtype}.")):
        if call == "predict":
            model.predict(x, verbose=0)
        else:
            getattr(model, call)(x, Y, verbose=0)


def test_generator_inside_a_list_is_named_as_such():
    model = compiled()
    with pytest.raises(ValueError, match="array-like.*generator"):
        model.predict([(i for i in range(3))], verbose=0)


# ----- Hugging Face checkpoints whose JSON is not what it claims ---------------------------
@pytest.mark.parametrize("text, words", [
    ("42", "expected a JSON object, found a JSON int"),
    ("[1, 2]", "expected a JSON object, found a JSON list"),
    ("{not json", "config.json is not valid JSON"),
])
def test_checkpoint_config_that_is_not_an_object_names_the_file(tmp_path, text, words):
    from numdeep.pretrained import BertModel

    path = hostile.bert_checkpoint(tmp_path / "ckpt")
    (path / "config.json").write_text(text)
    with pytest.raises(ValueError, match=re.escape(words)) as e:
        BertModel.from_pretrained(path)
    assert str(path / "config.json") in str(e.value)


@pytest.mark.parametrize("value", ["8", True, -8, 2.5, None])
def test_checkpoint_config_sizes_must_be_integers(tmp_path, value):
    from numdeep.pretrained import BertModel

    path = hostile.bert_checkpoint(tmp_path / "ckpt", hidden_size=value)
    with pytest.raises(ValueError, match=rf"BertConfig: hidden_size must be an integer >= 1; "
                                         rf"received {re.escape(repr(value))}"):
        BertModel.from_pretrained(path)


def test_sharded_checkpoint_index_must_map_names_to_files(tmp_path):
    from numdeep.pretrained import BertModel

    path = hostile.bert_checkpoint(tmp_path / "ckpt")
    (path / "model.safetensors").rename(path / "model-00001.safetensors")
    index = path / "model.safetensors.index.json"
    for weight_map in (["model-00001.safetensors"], {"w": 7}):
        index.write_text(json.dumps({"weight_map": weight_map}))
        with pytest.raises(ValueError, match="'weight_map' must map tensor names to shard"):
            BertModel.from_pretrained(path)
    index.write_text("[]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        BertModel.from_pretrained(path)
