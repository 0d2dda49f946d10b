"""``TextVectorization``: TensorFlow's string semantics, the output modes, and a text classifier
trained from raw strings that saves to ``.keras`` and reloads in numdeep and in Keras."""

import json
import os

import numpy as np
import pytest

import numdeep as nd

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def reference():
    with open(os.path.join(DATA, "keras_text_classifier.json")) as f:
        return json.load(f)


def test_standardize_split_and_ngrams_match_keras():
    layer = nd.layers.TextVectorization()
    layer.adapt(["Hello, World! it's a test-case; CAFÉ  naïve 'quote'"])
    # Keras (via TensorFlow) lowercases ASCII letters only and strips ASCII punctuation.
    assert layer.get_vocabulary() == ["", "[UNK]", "world", "testcase", "quote", "naïve", "its",
                                      "hello", "cafÉ", "a"]
    chars = nd.layers.TextVectorization(split="character", ngrams=2)
    chars.adapt(["abca"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "c a", "c", "b c", "b", "a b"]
    np.testing.assert_array_equal(chars(["abca", "x"]).data,
                                  [[2, 6, 4, 2, 7, 5, 3], [1, 0, 0, 0, 0, 0, 0]])


def test_int_mode_pads_and_truncates():
    layer = nd.layers.TextVectorization(vocabulary=["baz", "bar", "foo"],
                                        output_sequence_length=4)
    out = layer(np.array([["foo qux bar"], ["qux baz"]]))
    np.testing.assert_array_equal(out.data, [[4, 1, 3, 0], [1, 2, 0, 0]])
    short = nd.layers.TextVectorization(vocabulary=["a"], output_sequence_length=2)
    np.testing.assert_array_equal(short(["a a a b"]).data, [[2, 2]])


def test_bag_of_words_modes():
    kw = {"vocabulary": ["foo", "bar", "baz"]}
    texts = ["foo bar", "baz foo foo"]
    multi = nd.layers.TextVectorization(output_mode="multi_hot", **kw)(texts).data
    count = nd.layers.TextVectorization(output_mode="count", **kw)(texts).data
    tfidf = nd.layers.TextVectorization(output_mode="tf_idf", idf_weights=[0.3, 0.5, 0.2],
                                        **kw)(texts).data
    np.testing.assert_array_equal(multi, [[0, 1, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(count, [[0, 1, 1, 0], [0, 2, 0, 1]])
    np.testing.assert_allclose(tfidf, [[0, 0.3, 0.5, 0], [0, 0.6, 0, 0.2]], rtol=1e-6)
    padded = nd.layers.TextVectorization(output_mode="multi_hot", max_tokens=8,
                                         pad_to_max_tokens=True, **kw)
    assert padded(texts).shape == (2, 8)


def test_callable_standardize_gets_unicode_arrays_and_config_round_trip():
    seen = []

    def standardize(texts):
        seen.append(texts.dtype.kind)
        return np.char.replace(np.char.lower(texts), ",", "")

    layer = nd.layers.TextVectorization(standardize=standardize)
    layer.adapt(np.array(["Hello, world."], dtype=object))
    assert seen == ["U"] and "hello" in layer.get_vocabulary()
    fixed = nd.layers.TextVectorization(vocabulary=["one", "two"], output_sequence_length=5,
                                        ngrams=(1, 2))
    config = fixed.get_config()
    assert config["vocabulary"] == ["one", "two"] and config["vocabulary_size"] == 4
    clone = nd.layers.TextVectorization.from_config(json.loads(json.dumps(config)))
    np.testing.assert_array_equal(clone(["one two"]).data, fixed(["one two"]).data)


def test_adapt_on_generators_and_pydataset():
    def batches():
        yield ["hello world", "foo bar"]
        while True:
            yield ["hello foo", "never read"]

    layer = nd.layers.TextVectorization()
    layer.adapt(batches(), steps=2)  # the endless generator is read for two batches only
    assert layer.get_vocabulary() == ["", "[UNK]", "hello", "foo", "world", "read", "never",
                                      "bar"]

    class Texts(nd.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.array([["a b"], ["b"]][i]), np.zeros(1)

    from_dataset = nd.layers.TextVectorization()
    from_dataset.adapt(Texts())
    assert from_dataset.get_vocabulary() == ["", "[UNK]", "b", "a"]


def test_bad_arguments_and_inputs_raise():
    with pytest.raises(ValueError, match="`ngrams` must be None, an integer"):
        nd.layers.TextVectorization(ngrams="3")
    with pytest.raises(ValueError, match="must not be set if `output_mode` is not"):
        nd.layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ragged=True"):
        nd.layers.TextVectorization(ragged=True)
    layer = nd.layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match=r"last shape dimension must be 1.*\(1, 2\)"):
        layer(np.array([["a", "b"]]))


def _classifier(texts, labels):
    vectorizer = nd.layers.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorizer.adapt(texts)
    inputs = nd.Input(shape=(1,), dtype="string")
    x = nd.layers.Embedding(30, 8)(vectorizer(inputs))
    x = nd.layers.GlobalAveragePooling1D()(x)
    model = nd.Model(inputs, nd.layers.Dense(1, activation="sigmoid")(x))
    model.compile(nd.optimizers.Adam(0.05), "binary_crossentropy")
    history = model.fit(np.array(texts)[:, None], labels, epochs=40, verbose=0)
    return model, history


def test_text_classifier_trains_from_raw_strings_and_round_trips(reference, tmp_path):
    nd.utils.set_random_seed(0)
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0], "float32")
    model, history = _classifier(reference["texts"], labels)
    assert history.history["loss"][-1] < history.history["loss"][0]
    fitted = model.predict(np.array(reference["texts"])[:, None], verbose=0).ravel()
    np.testing.assert_array_equal(fitted > 0.5, labels > 0.5)  # it learnt the corpus
    probe = np.array(reference["probe"])[:, None]
    before = model.predict(probe, verbose=0)
    path = str(tmp_path / "classifier.keras")
    model.save(path)
    import zipfile

    with zipfile.ZipFile(path) as z:  # Keras's layout: the vocabulary is an asset
        names = z.namelist()
    assert "assets/layers/text_vectorization/vocabulary.txt" in names
    assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
    loaded = nd.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(probe, verbose=0), before)


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_keras_saved_text_classifier_loads_and_predicts_the_same(reference, mode):
    model = nd.saving.load_model(os.path.join(DATA, f"keras_text_classifier_{mode}.keras"))
    vectorizer = model.layers[1]
    assert vectorizer.get_vocabulary() == reference[mode]["vocabulary"]
    np.testing.assert_allclose(vectorizer(reference["probe"]).data,
                               reference[mode]["vectorized"], rtol=1e-6)
    predictions = model.predict(np.array(reference["probe"])[:, None], verbose=0).ravel()
    np.testing.assert_allclose(predictions, reference[mode]["predictions"], atol=1e-6)


def _example():
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), *[os.pardir] * 3, "examples",
                        "text_classification.py")
    spec = importlib.util.spec_from_file_location("text_classification_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["torch", "tensorflow"])
def test_numdeep_saved_text_classifier_loads_in_keras(backend, tmp_path):
    # Keras's TextVectorization needs TensorFlow whatever the backend; CI keeps it in an
    # environment of its own (NUMDEEP_KERAS_TF_PYTHON, see .ci/run).
    example = _example()
    missing = example.missing_for_keras(backend)
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed for {example.keras_python()}")
    nd.utils.set_random_seed(0)
    texts, labels = example.make_reviews(200, np.random.default_rng(0))
    model, vectorizer = example.build_model(texts)
    model.fit(texts[:, None], labels, epochs=3, batch_size=32, verbose=0)
    path = str(tmp_path / "sentiment.keras")
    model.save(path)
    probe = ["What a BRILLIANT script!", "a tedious, clumsy plot...", "unseen words only",
             "GREAT cast, weak ending"]
    expected = model.predict(np.array(probe)[:, None], verbose=0)
    reloaded = nd.saving.load_model(path).predict(np.array(probe)[:, None], verbose=0)
    np.testing.assert_array_equal(reloaded, expected)
    keras_side = example.predict_in_keras(path, probe, backend)
    assert keras_side["vocabulary"] == vectorizer.get_vocabulary()
    np.testing.assert_array_equal(keras_side["tokens"], vectorizer(probe).data)
    np.testing.assert_allclose(keras_side["predictions"], expected, atol=1e-6)
    assert np.ptp(expected) > 0.1  # a trained model, not a constant


def test_text_classification_example_runs():
    import re
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), *[os.pardir] * 3, "examples",
                          "text_classification.py")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, script, "--quick"], capture_output=True, text=True,
                         timeout=120, env=env, check=True).stdout
    assert float(re.search(r"test accuracy: ([\d.]+)", out).group(1)) > 0.9
    assert "reloaded model predicts the same: True" in out
