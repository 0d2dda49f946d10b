"""FarmHash/SipHash against TensorFlow's values, and the ``Hashing`` layer's bins."""

import json
import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.layers.preprocessing.farmhash import fingerprint64
from numdeep.layers.preprocessing.siphash import siphash64

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def reference():
    with open(os.path.join(DATA, "hash_reference.json")) as f:
        return json.load(f)


def test_fingerprint64_matches_tensorflow_for_every_length_class(reference):
    # Lengths 0..139 and a few past 192 cover each FarmHash branch (0-16, 17-32, 33-64, >64).
    got = [fingerprint64(s) for s in reference["strings"]]
    assert got == reference["fingerprint64"]


def test_siphash_matches_tensorflow_strong_buckets(reference):
    for key, buckets in reference["siphash_mod_1000003"].items():
        key = json.loads(key)
        assert [siphash64(s, key) % 1000003 for s in reference["strings"]] == buckets


def test_siphash_reference_vector():
    # The SipHash-2-4 paper's vector for the empty message under key 00 01 .. 0f.
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert siphash64(b"", key) == 0x726FDB47DD0E0E31


def test_hashing_layer_bins_match_keras():
    inp = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]
    np.testing.assert_array_equal(nd.layers.Hashing(num_bins=2)(inp).data.ravel(),
                                  [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(nd.layers.Hashing(num_bins=3, mask_value="omar")(inp)
                                  .data.ravel(), [0, 1, 2, 1, 1])
    np.testing.assert_array_equal(nd.layers.Hashing(num_bins=2, salt=[133, 137])(inp)
                                  .data.ravel(), [0, 1, 0, 1, 0])
    # Integers hash as their decimal strings, floats truncated first.
    ints = nd.layers.Hashing(num_bins=3)(np.array([0, 1, 2, 3, 4])).data
    np.testing.assert_array_equal(ints, [1, 0, 1, 0, 2])
    floats = nd.layers.Hashing(num_bins=3)(np.array([0.5, 1.9, 2.0, 3.2, 4.7])).data
    np.testing.assert_array_equal(floats, ints)


def test_hashing_output_modes_and_shapes():
    layer = nd.layers.Hashing(num_bins=3, output_mode="count")
    np.testing.assert_array_equal(layer(np.array([[0, 1, 2, 3, 4]])).data, [[2, 2, 1]])
    one_hot = nd.layers.Hashing(num_bins=3, output_mode="one_hot")
    out = one_hot(np.array([[0], [1], [4]])).data
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert out.dtype == np.float32
    symbolic = one_hot(nd.Input(shape=(1,), dtype="int32"))
    assert symbolic.shape == (None, 3)


def test_hashing_rejects_bad_arguments():
    with pytest.raises(ValueError, match="cannot be `None` or non-positive"):
        nd.layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="tuple of size 2"):
        nd.layers.Hashing(num_bins=2, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="should be an integer type"):
        nd.layers.Hashing(num_bins=2, dtype="float32")
