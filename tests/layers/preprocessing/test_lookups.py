"""``StringLookup``, ``IntegerLookup``, ``CategoryEncoding`` and ``Discretization``: Keras's
index layout, adapt order, encodings, OOV buckets, configs and the vocabulary asset."""

import numpy as np
import pytest

import numdeep as nd


def test_adapt_orders_by_count_then_token_descending():
    layer = nd.layers.StringLookup()
    layer.adapt(["b", "a", "c", "a", "b", "d"])  # ties (a, b) and (c, d): larger token first
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "d", "c"]
    np.testing.assert_array_equal(layer([["a", "zzz"], ["d", "b"]]).data, [[2, 0], [3, 1]])


def test_mask_and_oov_layout_and_invert():
    layer = nd.layers.StringLookup(vocabulary=["x", "y"], mask_token="", num_oov_indices=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "x", "y"]
    out = layer(np.array(["", "x", "y"], dtype=object)).data
    np.testing.assert_array_equal(out, [0, 3, 4])
    inverse = nd.layers.StringLookup(vocabulary=["x", "y"], invert=True)
    assert inverse(np.array([1, 2, 0, 7])).data.tolist() == ["x", "y", "[UNK]", "[UNK]"]
    ints = nd.layers.IntegerLookup(vocabulary=[10, 20], invert=True)
    np.testing.assert_array_equal(ints(np.array([1, 2, 0])).data, [10, 20, -1])


def test_oov_buckets_follow_keras():
    # Keras's own expectations: floormod for ints, FarmHash of the decimal string with
    # oov_method='farmhash'.
    floormod = nd.layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=2)
    np.testing.assert_array_equal(floormod(np.array([1, 999, 1000])).data, [2, 1, 0])
    farm = nd.layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4,
                                   oov_method="farmhash")
    np.testing.assert_array_equal(farm(np.array([100, 200, 300, 400])).data, [3, 1, 3, 1])
    with pytest.raises(ValueError, match="all inputs should be in vocabulary"):
        nd.layers.IntegerLookup(vocabulary=[1], num_oov_indices=0)(np.array([5]))


def test_encodings_and_tf_idf():
    kw = {"vocabulary": ["one", "two", "three"], "mask_token": ""}
    data = [["one", "two", "four", "two"]]
    multi = nd.layers.StringLookup(output_mode="multi_hot", **kw)(data).data
    count = nd.layers.StringLookup(output_mode="count", **kw)(data).data
    tfidf = nd.layers.StringLookup(output_mode="tf_idf", idf_weights=[0.1, 0.2, 0.3],
                                   **kw)(data).data
    np.testing.assert_array_equal(multi, [[1, 1, 1, 0]])
    np.testing.assert_array_equal(count, [[1, 1, 2, 0]])
    np.testing.assert_allclose(tfidf, [[0.2, 0.1, 0.4, 0.0]], rtol=1e-6)  # OOV gets the mean
    adapted = nd.layers.StringLookup(output_mode="tf_idf")
    adapted.adapt([["one", "one"], ["one", "two"], ["two", "three"]])
    idf = np.log(1 + 3 / (1 + np.array([2, 2, 1])))
    np.testing.assert_allclose(adapted.idf_weights[1:], idf, rtol=1e-6)


def test_lookup_config_round_trip_and_errors():
    layer = nd.layers.IntegerLookup(vocabulary=[1, 2, 3], mask_token=0, oov_token=-7)
    config = layer.get_config()
    assert config["vocabulary"] == [1, 2, 3] and config["vocabulary_size"] == 5
    clone = nd.layers.IntegerLookup.from_config(config)
    assert clone.get_vocabulary() == [0, -7, 1, 2, 3]
    with pytest.raises(ValueError, match="repeated term"):
        nd.layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="reserved mask token"):
        nd.layers.StringLookup(vocabulary=["a", "m"], mask_token="m")
    with pytest.raises(RuntimeError, match="you must set the layer's vocabulary"):
        nd.layers.StringLookup(output_mode="multi_hot")(["a"])


def test_vocabulary_asset_round_trip(tmp_path):
    layer = nd.layers.StringLookup(name="lookup")
    layer.adapt(["b", "a", "b"])
    model = nd.Sequential([nd.Input(shape=(2,), dtype="string"), layer])
    path = str(tmp_path / "lookup.keras")
    model.save(path)
    import zipfile

    with zipfile.ZipFile(path) as z:
        assert z.read("assets/layers/string_lookup/vocabulary.txt") == b"[UNK]\nb\na"
    loaded = nd.saving.load_model(path)
    np.testing.assert_array_equal(loaded(np.array([["a", "c"]])).data, [[2, 0]])


def test_category_encoding_modes():
    layer = nd.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    out = layer(np.array([[0, 1, 1], [3, 3, 2]]), count_weights=np.array(
        [[1.0, 0.5, 0.5], [2.0, 1.0, 1.0]], "float32")).data
    np.testing.assert_allclose(out, [[1, 1, 0, 0], [0, 0, 1, 3]])
    one_hot = nd.layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([[2], [0]])).data, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, num_tokens=3\)"):
        one_hot(np.array([3]))


def test_discretization_boundaries_and_adapt():
    layer = nd.layers.Discretization(bin_boundaries=[0.0, 0.5, 1.0])
    out = layer(np.array([[-1.0, 0.0, 0.1, 0.8, 1.2]])).data
    np.testing.assert_array_equal(out, [[0, 1, 1, 2, 3]])
    assert out.dtype == np.int32
    # Keras 3.15's boundaries for the same data (its quantile summaries are approximate).
    keras_boundaries = [23.999982833862305, 48.99998092651367, 73.99998474121094]
    adapted = nd.layers.Discretization(num_bins=4)
    adapted.adapt(np.arange(100, dtype="float32"))
    np.testing.assert_allclose(adapted.bin_boundaries, keras_boundaries, rtol=1e-7)
    batches = nd.layers.Discretization(num_bins=4)
    batches.adapt([np.arange(50, dtype="float32"), np.arange(50, 100, dtype="float32")])
    np.testing.assert_allclose(batches.bin_boundaries, keras_boundaries, rtol=1e-7)
    random = nd.layers.Discretization(num_bins=5, epsilon=0.05)
    random.adapt(np.random.default_rng(0).random((32, 3)))
    np.testing.assert_allclose(random.bin_boundaries, [0.21964497864246368, 0.44510212540626526,
                                                       0.6509751081466675, 0.8638211488723755],
                               rtol=1e-7)
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        nd.layers.Discretization()
