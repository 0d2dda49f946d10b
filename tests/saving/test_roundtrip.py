"""Round trips through every format: predictions equal, compile state (optimizer slots included)
restored so that training continues bit-identically, configs in both Keras dialects."""

import copy
import json
import os

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import CorruptFileError, UnsafeFileError, model_from_json
from tests.saving.common import data, mlp, weights_equal
from tests.saving.layer_cases import CASES, build, inputs_for

L = nd.layers


def _cnn():
    return nd.Sequential([
        nd.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(), L.Conv2D(2, 1, padding="same"), L.Flatten(), L.Dense(3),
    ])


def _rnn():
    return nd.Sequential([
        nd.Input((5,), dtype="int32"), L.Embedding(12, 4, mask_zero=True),
        L.LSTM(6, return_sequences=True), L.Bidirectional(L.GRU(3)), L.Dense(2),
    ])


def _functional():
    a, b = nd.Input((4,), name="a"), nd.Input((4,), name="b")
    x = L.Dense(5, activation="tanh")(a)
    y = L.Dense(5)(b)
    z = L.Concatenate()([L.Add()([x, y]), a])
    return nd.Model([a, b], [L.Dense(2)(z), L.Dense(1, activation="sigmoid")(z)])


def _attention():
    q, v = nd.Input((3, 4)), nd.Input((5, 4))
    h = L.MultiHeadAttention(2, 3)(q, v)
    h = L.LayerNormalization()(L.Add()([q, h]))
    return nd.Model([q, v], L.Dense(2)(L.GlobalAveragePooling1D()(h)))


def _nested():
    inner = nd.Sequential([nd.Input((4,)), L.Dense(3, activation="relu"), L.Dense(3)])
    x = nd.Input((4,))
    return nd.Model(x, L.Dense(2)(inner(x)))


MODELS = {"mlp": lambda: mlp(compiled=False), "cnn": _cnn, "rnn": _rnn,
          "functional": _functional, "attention": _attention, "nested": _nested}


def _inputs(model, rng):
    def one(t):
        shape = (3, *t.shape[1:])
        if np.dtype(t.dtype).kind == "i":
            return rng.integers(0, 12, shape).astype(t.dtype)
        return rng.standard_normal(shape).astype("float32")

    xs = [one(t) for t in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def _randomize(model, rng):
    for w in model.weights:
        w.data[...] = rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)


def _same_predictions(a, b, x):
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    pa, pb = (pa, pb) if isinstance(pa, list) else ([pa], [pb])
    return all(np.array_equal(u, v) for u, v in zip(pa, pb))


@pytest.mark.parametrize("fmt", ["m.keras", "m.h5", "model_dir", "w.weights.h5", "w.h5"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_gives_identical_predictions(tmp_path, name, fmt):
    rng = np.random.default_rng(0)
    model = MODELS[name]()
    _randomize(model, rng)
    x = _inputs(model, rng)
    path = tmp_path / fmt
    if fmt.startswith("w."):
        model.save_weights(path)
        loaded = MODELS[name]()
        loaded.load_weights(path)
    else:
        model.save(path, zipped=not fmt.endswith("dir"))
        loaded = nd.models.load_model(path)
        assert [type(la) for la in loaded.layers] == [type(la) for la in model.layers]
    assert weights_equal(loaded, model)
    assert _same_predictions(loaded, model, x)


def _train_steps(model, x, y, steps):
    for i in range(steps):
        model.train_on_batch(x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4])


@pytest.mark.parametrize("fmt", ["m.keras", "m.h5", "w.weights.h5", "w.h5"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_optimizer_state_resumes_training_bit_identically(tmp_path, fmt, optimizer):
    opt = {"adam": lambda: nd.optimizers.Adam(learning_rate=0.01),
           "sgd_momentum": lambda: nd.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
           "rmsprop": lambda: nd.optimizers.RMSprop(0.01, centered=True)}[optimizer]
    x, y = data()
    model = mlp(compiled=False, dropout=False)  # no random masks: the runs must match exactly
    model.compile(optimizer=opt(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    _train_steps(model, x, y, 2)
    path = tmp_path / fmt
    if fmt.startswith("w."):
        model.save_weights(path)
        resumed = mlp(compiled=False, seed=7, dropout=False)
        resumed.compile(optimizer=opt(), loss="sparse_categorical_crossentropy")
        resumed.load_weights(path)
    else:
        model.save(path)
        resumed = nd.models.load_model(path)
        assert type(resumed.optimizer) is type(model.optimizer)
    assert resumed.optimizer.iterations == 2
    _train_steps(model, x[8:], y[8:], 2)
    _train_steps(resumed, x[8:], y[8:], 2)
    assert weights_equal(resumed, model)
    for a, b in zip(resumed.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_saving_never_mutates_the_live_model(tmp_path):
    model = mlp()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    compile_config = copy.deepcopy(model._compile_config)
    optimizer = model.optimizer
    state = [np.array(v.numpy()) for v in model.optimizer.variables]
    config = model.get_config()
    model.save(tmp_path / "first.h5")  # Keras's legacy save pops the optimizer here
    model.save_weights(tmp_path / "w.h5")
    model.save(tmp_path / "then.keras")
    assert model._compile_config == compile_config and model.optimizer is optimizer
    assert model.get_config() == config
    assert all(np.array_equal(a, b) for a, b in zip(state, model.optimizer.variables))
    loaded = nd.models.load_model(tmp_path / "then.keras")
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.optimizer.built


def test_unbuilt_optimizer_and_learning_rate_schedule_round_trip(tmp_path):
    schedule = nd.optimizers.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    model = mlp(compiled=False)
    model.compile(optimizer=nd.optimizers.Adam(schedule), loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = nd.models.load_model(tmp_path / "m.keras")
    assert not loaded.optimizer.built and loaded.optimizer.iterations == 0
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    x, y = data()
    model.fit(x, np.eye(3)[y], epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = nd.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.iterations == 2
    assert loaded.optimizer.learning_rate == pytest.approx(0.005)  # 0.01 * 0.5 ** (2 / 2)


def test_custom_loss_and_metric_functions_need_custom_objects(tmp_path):
    def my_loss(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1)

    def my_metric(y_true, y_pred):
        return np.abs(y_pred - y_true).mean(axis=-1)

    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    model.compile(optimizer="sgd", loss=my_loss, metrics=[my_metric, "mae"])
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(UnsafeFileError, match="my_loss"):
        nd.models.load_model(path)
    assert nd.models.load_model(path, compile=False).optimizer is None
    loaded = nd.models.load_model(path, custom_objects={"my_loss": my_loss,
                                                        "my_metric": my_metric})
    x = np.ones((4, 3), "float32")
    logs = loaded.evaluate(x, np.zeros((4, 2)), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "my_metric", "mae"}


def test_model_configs_round_trip_in_memory():
    for name, make in sorted(MODELS.items()):
        model = make()
        clone = type(model).from_config(model.get_config())
        assert clone.count_params() == model.count_params(), name
        again = model_from_json(model.to_json())
        assert [type(la) for la in again.layers] == [type(la) for la in model.layers], name


def test_save_arguments_are_checked(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match="extension"):
        model.save(tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="extension"):
        model.save_weights(tmp_path / "w.npz")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    unbuilt = nd.Sequential([L.Dense(2)])
    with pytest.warns(UserWarning, match="not yet been built"):  # Keras saves it anyway
        unbuilt.save(tmp_path / "u.keras")
    assert not nd.models.load_model(tmp_path / "u.keras").built
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    with pytest.raises(CorruptFileError, match="weights only"):
        model.save_weights(tmp_path / "w.h5")
        nd.models.load_model(tmp_path / "w.h5")


def _kernel(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _keras2_dense(name, units, activation="linear"):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "activation": activation, "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None}}


def _write_keras2(path, model_config, weights):
    """A file as tf.keras 2.x writes it: byte-string attributes, ``name:0`` weight names."""
    training = {"loss": "binary_crossentropy", "loss_weights": None, "weighted_metrics": None,
                "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
                    "name": "accuracy", "dtype": "float32", "fn": "binary_accuracy"}}]],
                "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "Adam", "learning_rate": 0.0010000000474974513, "decay": 0.0,
                    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                    "jit_compile": True, "is_legacy_optimizer": False}}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.12.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode() for n in weights])
        g.attrs["backend"], g.attrs["keras_version"] = b"tensorflow", b"2.12.0"
        for layer, arrays in weights.items():
            sub = g.create_group(layer)
            names = [f"{layer}/{w}:0" for w in ("kernel", "bias")][:len(arrays)]
            sub.attrs["weight_names"] = np.array([n.encode() for n in names])
            for n, a in zip(names, arrays):
                sub.create_dataset(n, data=a)


def test_reads_tf_keras_2_functional_h5(tmp_path):
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
         "dtype": "float32", "sparse": False, "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        {**_keras2_dense("dense", 3, "relu"), "name": "dense",
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {**_keras2_dense("dense_1", 3), "name": "dense_1",
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"},
         "name": "add", "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]},
        {"class_name": "LeakyReLU", "config": {"name": "leaky_re_lu", "trainable": True,
         "dtype": "float32", "alpha": 0.2}, "name": "leaky_re_lu",
         "inbound_nodes": [[["add", 0, 0, {}]]]},
        {**_keras2_dense("dense_2", 1, "sigmoid"), "name": "dense_2",
         "inbound_nodes": [[["leaky_re_lu", 0, 0, {}]]]},
    ]
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": layers, "input_layers": [["input_1", 0, 0]],
        "output_layers": [["dense_2", 0, 0]]}, "keras_version": "2.12.0",
        "backend": "tensorflow"}
    w = {"input_1": [], "dense": [_kernel((4, 3), 1), _kernel((3,), 2)],
         "dense_1": [_kernel((4, 3), 3), _kernel((3,), 4)], "add": [],
         "leaky_re_lu": [], "dense_2": [_kernel((3, 1), 5), _kernel((1,), 6)]}
    path = tmp_path / "tf2.h5"
    _write_keras2(path, config, w)
    model = nd.models.load_model(path)
    x = _kernel((5, 4), 7)
    h = np.maximum(x @ w["dense"][0] + w["dense"][1], 0) + x @ w["dense_1"][0] + w["dense_1"][1]
    h = np.where(h > 0, h, 0.2 * h)
    expected = 1 / (1 + np.exp(-(h @ w["dense_2"][0] + w["dense_2"][1])))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.epsilon == 1e-7
    logs = model.evaluate(x, (expected > 0.5).astype("float32"), verbose=0, return_dict=True)
    assert logs["accuracy"] == 1.0


def test_reads_tf_keras_2_sequential_h5(tmp_path):
    first = _keras2_dense("dense", 3, "tanh")
    first["config"]["batch_input_shape"] = [None, 2, 2]
    layers = [{"class_name": "Flatten", "config": {
        "name": "flatten", "trainable": True, "batch_input_shape": [None, 2, 2],
        "dtype": "float32", "data_format": "channels_last"}},
        _keras2_dense("dense", 3, "tanh"),
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True,
         "dtype": "float32", "rate": 0.5, "noise_shape": None, "seed": None}}]
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    w = {"flatten": [], "dense": [_kernel((4, 3), 1), _kernel((3,), 2)], "dropout": []}
    path = tmp_path / "seq2.h5"
    _write_keras2(path, config, w)
    model = nd.models.load_model(path, compile=False)
    x = _kernel((2, 2, 2), 3)
    expected = np.tanh(x.reshape(2, 4) @ w["dense"][0] + w["dense"][1])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    weights_only = mlp(compiled=False)
    with pytest.raises(ValueError, match="layers with weights"):
        weights_only.load_weights(path)


def test_weights_file_layout_follows_keras(tmp_path):
    model = _rnn()
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_weights)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path) as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        assert f["layers/lstm/cell/vars"]["0"].shape == (4, 24)
        assert f["layers/bidirectional/forward_layer/cell/vars"]["1"].shape == (3, 9)
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
    assert "layers/embedding/vars/0" in names and "layers/dense/vars/1" in names
    assert len([n for n in names if n.startswith("optimizer/vars/")]) == 2 + 2 * len(
        model.trainable_weights)
    assert os.listdir(tmp_path) == ["w.weights.h5"]


@nd.saving.register_serializable(package="RoundTrip")
class TwoDense(nd.Model):
    """A subclassed model: sub-layers in attributes, forward pass in ``call``."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = L.Dense(units, activation="relu")
        self.head = L.Dense(1)

    def call(self, x, training=False):
        return self.head(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_registered_subclassed_model_round_trips(tmp_path):
    model = TwoDense(units=4)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((5, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "sub.keras")
    loaded = nd.models.load_model(tmp_path / "sub.keras")
    assert type(loaded) is TwoDense and loaded.units == 4
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 1
    with h5py.File(tmp_path / "sub.weights.h5", "w") as f:
        from numdeep.saving.weights_store import write_store

        write_store(f, model)
        assert {"hidden", "head", "optimizer"} <= set(f)  # attribute names, as Keras


@pytest.mark.parametrize("fmt", ["m.keras", "m.h5", "w.weights.h5", "w.h5"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_layer_kind_round_trips(tmp_path, name, fmt):
    model = build(nd, name)
    _randomize(model, np.random.default_rng(2))
    x = inputs_for(name)
    path = tmp_path / fmt
    if fmt.startswith("w.") and name == "Normalization":
        # Fixed statistics live in the config (as in Keras): weights files cannot hold changes.
        with pytest.warns(UserWarning, match="only by model.save"):
            model.save_weights(path)
        return
    if fmt.startswith("w."):
        model.save_weights(path)
        loaded = build(nd, name)
        loaded.load_weights(path)
    else:
        model.save(path)
        loaded = nd.models.load_model(path)
    assert weights_equal(loaded, model)
    assert _same_predictions(loaded, model, x)
