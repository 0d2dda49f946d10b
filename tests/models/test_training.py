import subprocess
import sys

import numpy as np
import pytest

import numdeep as nd

L = nd.layers


def tutorial_mlp(input_shape, seed=0):
    nd.utils.set_random_seed(seed)
    model = nd.Sequential([
        L.Flatten(input_shape=input_shape),
        L.Dense(128, activation="relu"),
        L.Dropout(0.2),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def small_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def binary_model(seed=0):
    nd.utils.set_random_seed(seed)
    model = nd.Sequential([L.Dense(8, activation="relu", input_shape=(4,)),
                           L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_tutorial_mlp_on_bundled_digits_reaches_95_percent():
    (x_train, y_train), (x_test, y_test) = nd.datasets.digits.load_data()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    model = tutorial_mlp((8, 8))
    history = model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0,
                        validation_split=0.1)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc >= 0.95, acc
    assert all(isinstance(v, float) for vs in history.history.values() for v in vs)


def test_tutorial_mlp_on_real_mnist_split():
    from tests.helpers import SHARED_DATA

    path = SHARED_DATA / "mnist"
    if not (path / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST test set not present in ../shared/data/mnist")
    (x_train, y_train), (x_test, y_test) = nd.datasets.mnist.load_t10k_split(path)
    model = tutorial_mlp((28, 28))
    model.fit(x_train / 255.0, y_train, epochs=10, batch_size=32, verbose=0)
    _, acc = model.evaluate(x_test / 255.0, y_test, verbose=0)
    assert acc >= 0.94, acc


def test_fit_returns_history_with_validation_keys_and_floats():
    x, y = small_data()
    model = binary_model()
    history = model.fit(x, y, epochs=3, batch_size=16, validation_data=(x[:10], y[:10]),
                        verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2]
    assert all(len(v) == 3 for v in history.history.values())


def test_validation_split_takes_last_fraction_before_shuffling():
    x, y = small_data(50)
    model = binary_model()
    model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    val_loss = model.history.history["val_loss"][0]
    # Weights did not change after the epoch ended, so validation equals evaluate on x[40:]
    # (and differs from evaluate on the first 10 samples).
    assert val_loss == pytest.approx(model.evaluate(x[40:], y[40:], verbose=0)[0], rel=1e-5)
    assert val_loss != pytest.approx(model.evaluate(x[:10], y[:10], verbose=0)[0], rel=1e-5)


def test_evaluate_and_predict_shapes_and_return_dict():
    x, y = small_data()
    model = binary_model()
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(result) == {"loss", "accuracy"}
    assert model.predict(x, verbose=0).shape == (64, 1)
    assert model.predict(x, batch_size=7, verbose=0).shape == (64, 1)
    np.testing.assert_allclose(model.predict(x, batch_size=7, verbose=0),
                               model.predict_on_batch(x), rtol=1e-6)


def test_predict_builds_no_graph():
    x, _ = small_data()
    model = binary_model()
    out = model.predict_step((x,))
    assert isinstance(out, np.ndarray)
    with nd.no_grad():
        assert model(x).requires_grad is False


def test_train_and_test_on_batch():
    x, y = small_data()
    model = binary_model()
    before = model.test_on_batch(x, y)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y)
    assert after[0] < before[0]
    assert set(model.train_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}


def test_sample_weight_and_class_weight_change_the_loss():
    x, y = small_data()
    model = binary_model()
    plain = model.evaluate(x, y, verbose=0)[0]
    sw = np.where(y == 1, 2.0, 0.0).astype("float32")
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0)[0]
    assert weighted != pytest.approx(plain)
    model.fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="class_weight.*classes \\[1\\]"):
        model.fit(x, y, class_weight={0: 1.0}, epochs=1, verbose=0)


def test_regularization_losses_enter_the_training_loss():
    x, y = small_data()
    nd.utils.set_random_seed(0)
    reg = nd.regularizers.L2(10.0)
    model = nd.Sequential([L.Dense(1, input_shape=(4,), kernel_regularizer=reg)])
    model.compile(optimizer="sgd", loss="mse")
    total = model.evaluate(x, y.astype("float32"), verbose=0)
    data_loss = float(np.mean((model.predict(x, verbose=0)[:, 0] - y) ** 2))
    penalty = 10.0 * float((model.layers[0].kernel.data ** 2).sum())
    assert total == pytest.approx(data_loss + penalty, rel=1e-4)


def test_bad_inputs_give_clear_errors():
    x, y = small_data()
    model = binary_model()
    with pytest.raises(ValueError, match=r"same number of samples.*x: 64.*y: 63"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="empty data"):
        model.fit(x[:0], y[:0], verbose=0)
    bad = x.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"`x` contains NaN.*\[5\]"):
        model.fit(bad, y, verbose=0)
    # As in Keras, the Sequential model's first Dense layer is what checks the width.
    with pytest.raises(ValueError, match=r"of layer 'dense\w*' is incompatible with the layer: "
                                         r"expected axis -1 of input shape to have value 4"):
        model.predict(np.zeros((64, 5)), verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x[:2], y[:2], validation_split=0.1, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        nd.Sequential([L.Dense(1, input_shape=(4,))]).fit(x, y)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)


def test_sparse_labels_are_never_broadcast_against_n_by_1():
    x, y = small_data()
    nd.utils.set_random_seed(0)
    model = nd.Sequential([L.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    a = model.evaluate(x, y.astype("float32"), verbose=0)
    b = model.evaluate(x, y.astype("float32")[:, None], verbose=0)
    assert a == pytest.approx(b)
    with pytest.raises(ValueError):
        model.evaluate(x, np.zeros((64, 3), dtype="float32"), verbose=0)


def test_one_hot_labels_with_sparse_loss_are_rejected():
    x = np.zeros((8, 4), dtype="float32")
    model = nd.Sequential([L.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.fit(x, nd.utils.to_categorical(np.arange(8) % 3, 3), verbose=0)
    with pytest.raises(ValueError, match="range"):
        model.fit(x, np.full(8, 5), verbose=0)


def test_batch_size_larger_than_data_trains_one_partial_batch():
    x, y = small_data(10)
    model = binary_model()
    steps = []
    cb = nd.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    model.fit(x, y, batch_size=100, epochs=1, verbose=0, callbacks=[cb])
    assert steps == [0]


def test_early_stop_flag_and_keyboard_interrupt_keep_history():
    x, y = small_data()
    model = binary_model()

    class Interrupt(nd.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=5, verbose=0, callbacks=[Interrupt()])
    assert model.history.epoch == [0, 1]

    class Stop(nd.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    assert model.fit(x, y, epochs=5, verbose=0, callbacks=[Stop()]).epoch == [0]


def test_progress_output_to_a_log_has_no_carriage_returns(capsys):
    x, y = small_data()
    model = binary_model()
    model.fit(x, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2 [" in out and "loss:" in out and "accuracy:" in out
    model.fit(x, y, epochs=2, verbose=2)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) == 4 and "[" not in lines[1]
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_summary_lists_layers_shapes_and_params(capsys):
    model = tutorial_mlp((28, 28))
    model.summary()
    out = capsys.readouterr().out
    assert "flatten" in out and "(None, 784)" in out and "100,480" in out
    assert "Total params: 101,770" in out and "Trainable params: 101,770" in out


def test_get_set_weights_round_trip_and_count_params():
    a, b = binary_model(0), binary_model(1)
    x, _ = small_data()
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    assert a.count_params() == 4 * 8 + 8 + 8 + 1
    with pytest.raises(ValueError, match="expects 4 weight arrays"):
        b.set_weights(a.get_weights()[:2])


def test_functional_model_trains_like_sequential():
    x, y = small_data()
    nd.utils.set_random_seed(0)
    inputs = nd.Input(shape=(4,))
    h = L.Dense(8, activation="relu")(inputs)
    outputs = L.Dense(1, activation="sigmoid")(h)
    functional = nd.Model(inputs, outputs)
    functional.compile(optimizer="adam", loss="binary_crossentropy")
    seq = binary_model(0)
    np.testing.assert_array_equal(seq.predict(x, verbose=0), functional.predict(x, verbose=0))
    h1 = seq.fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    h2 = functional.fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h1, h2, rtol=1e-6)


def test_sequential_builds_lazily_from_data():
    model = nd.Sequential([L.Dense(4, activation="relu"), L.Dense(2)])
    assert not model.built
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((3, 5), dtype="float32")
    model.fit(x, np.zeros((3, 2)), verbose=0)
    assert model.built and model.output_shape == (None, 2)


SEEDED_RUN = """
import numpy as np, numdeep as nd
state = np.random.get_state()[1].copy()
nd.utils.set_random_seed(42)
m = nd.Sequential([nd.layers.Dense(16, activation='relu', input_shape=(4,)),
                   nd.layers.Dropout(0.3), nd.layers.Dense(1)])
m.compile(optimizer='adam', loss='mse')
rng = np.random.default_rng(1)
x = rng.standard_normal((100, 4)).astype('float32'); y = x.sum(1, keepdims=True)
m.fit(x, y, epochs=2, batch_size=16, verbose=0)
assert (np.random.get_state()[1] == state).all(), 'global numpy RNG state was touched'
print(np.concatenate([w.ravel() for w in m.get_weights()]).tobytes().hex())
"""


def test_seeded_runs_are_bit_identical_in_fresh_processes():
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    import os

    env = {**os.environ, **env}
    runs = [subprocess.run([sys.executable, "-c", SEEDED_RUN], capture_output=True, text=True,
                           env=env, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) > 100
    other = subprocess.run([sys.executable, "-c", SEEDED_RUN.replace("42", "43")],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert other != runs[0]
