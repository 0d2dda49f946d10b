"""The new image preprocessing layers move between numdeep and Keras 3 in ``.keras`` files
(configs Keras accepts, identity at inference where Keras's are) both ways."""

import os

import numpy as np
import pytest

import numdeep as nd

# Keras's own Equalization cannot sit in a Keras functional model (its symbolic output is its
# input, which Keras reports as a cycle), so it is checked as a single layer's config.
LAYERS = [
    ("Solarization", {"addition_factor": 0.2, "threshold_factor": [0.1, 0.3],
                      "value_range": [0, 1], "seed": 2}),
    ("RandomInvert", {"factor": 0.5, "value_range": [0, 1]}),
    ("RandomGrayscale", {"factor": 0.3}),
    ("RandomColorDegeneration", {"factor": 0.4, "value_range": [0, 1]}),
    ("RandomPosterization", {"factor": 3, "value_range": [0, 1]}),
    ("RandomContrast", {"factor": 0.3, "value_range": [0, 1]}),
    ("RandomFlip", {"mode": "horizontal", "seed": 1}),
]


def _model(lib):
    inputs = lib.Input((6, 6, 3))
    x = lib.layers.Pipeline([lib.layers.AutoContrast(value_range=(0, 1))])(inputs)
    for name, kwargs in LAYERS:
        x = getattr(lib.layers, name)(**kwargs)(x)
    return lib.Model(inputs, lib.layers.Conv2D(2, 3)(x))


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def test_numdeep_files_load_in_keras_and_back(keras, tmp_path):
    nd.utils.set_random_seed(0)
    model = _model(nd)
    x = np.random.default_rng(0).random((2, 6, 6, 3)).astype("float32")
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "numdeep.keras")
    model.save(path)
    in_keras = keras.saving.load_model(path)
    assert [type(la).__name__ for la in in_keras.layers] == \
        [type(la).__name__ for la in model.layers]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(in_keras.predict(x, verbose=0)),
                               expected, atol=1e-5)
    keras.utils.set_random_seed(1)
    keras_model = _model(keras)
    keras_path = str(tmp_path / "keras.keras")
    keras_model.save(keras_path)
    in_numdeep = nd.saving.load_model(keras_path)
    np.testing.assert_allclose(in_numdeep.predict(x, verbose=0),
                               keras.ops.convert_to_numpy(keras_model.predict(x, verbose=0)),
                               atol=1e-5)
    for ours, theirs in zip(in_numdeep.layers[2:-1], keras_model.layers[2:-1]):
        for key in ("factor", "value_range", "seed", "mode"):
            if key in theirs.get_config():
                assert list(np.ravel(ours.get_config()[key])) == \
                    list(np.ravel(theirs.get_config()[key])), (type(ours).__name__, key)


def test_equalization_config_is_keras_config(keras):
    theirs = keras.layers.Equalization(value_range=(0, 1), bins=64).get_config()
    ours = nd.layers.Equalization.from_config(theirs).get_config()
    assert {k: ours[k] for k in ("value_range", "bins", "data_format")} == \
        {k: theirs[k] for k in ("value_range", "bins", "data_format")}
    # Keras pools the histogram over the batch; for one image both equalize that image alone.
    x = np.random.default_rng(2).random((1, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(
        nd.layers.Equalization(value_range=(0, 1))(x).data,
        keras.ops.convert_to_numpy(keras.layers.Equalization(value_range=(0, 1))(x)), atol=1e-6)
