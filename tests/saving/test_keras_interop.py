"""Files move between numdeep and real Keras (torch backend) in both directions: predictions
agree to 1e-5 for every layer both libraries have, compiled Adam state resumes training in the
other library, and legacy ``.h5`` files written by Keras open in numdeep."""

import os
import warnings

os.environ["KERAS_BACKEND"] = "torch"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("torch")
keras = pytest.importorskip("keras")

import numdeep as nd  # noqa: E402
from tests.saving.layer_cases import FILE_CASES, build, inputs_for  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _randomize(values, assign, seed):
    rng = np.random.default_rng(seed)
    for value, setter in zip(values, assign):
        if np.dtype(value.dtype).kind == "f":
            setter(rng.uniform(0.5, 1.0, value.shape).astype(value.dtype))


def _randomize_nd(model, seed=1):
    _randomize([w.data for w in model.weights],
               [lambda v, w=w: w.data.__setitem__(..., v) for w in model.weights], seed)


def _randomize_keras(model, seed=1):
    ws = model.weights
    _randomize([np.asarray(w) for w in ws], [w.assign for w in ws], seed)


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return np.asarray(out)


@pytest.mark.parametrize("name, ext", FILE_CASES)
def test_numdeep_file_loads_in_keras(tmp_path, name, ext):
    model = build(nd, name)
    _randomize_nd(model)
    path = str(tmp_path / f"m{ext}")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = inputs_for(name)
    np.testing.assert_allclose(_predict(loaded, x), _predict(model, x), **TOL)


@pytest.mark.parametrize("name, ext", FILE_CASES)
def test_keras_file_loads_in_numdeep(tmp_path, name, ext):
    model = build(keras, name)
    _randomize_keras(model)
    path = str(tmp_path / f"m{ext}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    loaded = nd.models.load_model(path)
    x = inputs_for(name)
    np.testing.assert_allclose(_predict(loaded, x), _predict(model, x), **TOL)


def _regression_data(n=24, seed=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype("float32"), \
        rng.standard_normal((n, 2)).astype("float32")


def _adam_mlp(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((4,)), L.Dense(8, activation="tanh"), L.Dense(2)])
    opt = (nd if lib is nd else keras).optimizers.Adam(learning_rate=0.01)
    model.compile(optimizer=opt, loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


def _steps(model, x, y, start, count):
    for i in range(start, start + count):
        model.train_on_batch(x[4 * i:4 * i + 4], y[4 * i:4 * i + 4])


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("ext", [".keras", ".h5", ".weights.h5"])
def test_adam_state_resumes_from_numdeep_in_keras(tmp_path, ext):
    x, y = _regression_data()
    model = _adam_mlp(nd)
    _steps(model, x, y, 0, 3)
    path = str(tmp_path / f"m{ext}")
    if ext == ".weights.h5":
        model.save_weights(path)
        other = _adam_mlp(keras)
        other.optimizer.build(other.trainable_variables)
        other.load_weights(path)
    else:
        model.save(path)
        other = keras.saving.load_model(path)
    assert int(other.optimizer.iterations) == 3
    for a, b in zip(other.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-7)
    if ext == ".h5":
        pytest.xfail("Keras 3.15 (torch backend) cannot train on after loading the optimizer "
                     "from a legacy .h5 file, its own files included ('Unknown variable').")
    _steps(model, x, y, 3, 3)
    _steps(other, x, y, 3, 3)
    for a, b in zip(_weights(other), _weights(model)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("ext", [".keras", ".h5", ".weights.h5"])
def test_adam_state_resumes_from_keras_in_numdeep(tmp_path, ext):
    x, y = _regression_data()
    model = _adam_mlp(keras)
    _steps(model, x, y, 0, 3)
    path = str(tmp_path / f"m{ext}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ext == ".weights.h5":
            model.save_weights(path)
        else:
            model.save(path)
    if ext == ".weights.h5":
        other = _adam_mlp(nd)
        other.load_weights(path)
    else:
        other = nd.models.load_model(path)
    assert other.optimizer.iterations == 3
    _steps(model, x, y, 3, 3)
    _steps(other, x, y, 3, 3)
    for a, b in zip(_weights(other), _weights(model)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_keras_legacy_h5_of_a_cnn_opens_with_its_compile_state(tmp_path):
    L = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 1)), L.Rescaling(1 / 255), L.Conv2D(4, 3, activation="relu"),
        L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(), L.Dropout(0.2),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, 16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / "x.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    loaded = nd.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), **TOL)
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.optimizer.iterations == 2
    logs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
