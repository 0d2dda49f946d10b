"""Training-loop behaviour Keras code observes (regressions of the contract issue)."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import layers as L


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def _model(seed=0):
    nd.utils.set_random_seed(seed)
    return nd.Sequential([nd.Input((3,)), L.Dense(4, activation="relu"), L.Dense(1)])


def test_fit_without_targets_hands_train_step_the_bare_batch():
    seen = []

    class Probe(nd.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(type(data))
            return {"n": 0.0}

    model = Probe()
    model.compile()
    model.fit(np.ones((4, 2), "float32"), epochs=1, batch_size=2, verbose=0)
    assert seen == [np.ndarray, np.ndarray]


def test_fit_on_a_model_without_trainable_weights_runs_the_step():
    model = nd.Sequential([nd.Input((3,)), L.Dense(1, trainable=False)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    with pytest.warns(UserWarning, match="no trainable weights"):
        history = model.fit(*_data(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_callbacks_receive_a_logs_dict_in_every_hook():
    received = {}

    def record(name):
        def hook(self, *args):
            received.setdefault(name, []).append(args[-1] if args else None)
        return hook

    hooks = ["on_train_begin", "on_epoch_begin", "on_test_begin", "on_predict_begin",
             "on_predict_end", "on_train_batch_begin"]
    Spy = type("Spy", (nd.callbacks.Callback,), {name: record(name) for name in hooks})

    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[Spy()])
    model.evaluate(x, y, verbose=0, callbacks=[Spy()])
    model.predict(x, verbose=0, batch_size=8, callbacks=[Spy()])
    for name in hooks:
        assert name in received and all(isinstance(v, dict) for v in received[name]), name


def test_metrics_are_unweighted_and_weighted_metrics_weighted():
    x, y = _data(64)
    w = np.where(y[:, 0] > 0, 5.0, 0.0).astype("float32")  # only the positives count
    model = _model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    pred = (model.predict(x, verbose=0)[:, 0] > 0.5).astype("float32")
    plain = float((pred == y[:, 0]).mean())
    weighted = float(((pred == y[:, 0]) * w).sum() / w.sum())
    assert logs["accuracy"] == pytest.approx(plain, abs=1e-6)
    assert logs["weighted_accuracy"] == pytest.approx(weighted, abs=1e-6)


def test_metrics_given_as_a_string_is_a_clear_error():
    model = _model()
    with pytest.raises(ValueError, match="Expected `metrics` argument to be a list"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")


def test_model_metrics_list_keras_order_and_tracked_metrics():
    class WithTracker(nd.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)
            self.extra = nd.metrics.Mean(name="extra")

        def call(self, x):
            return self.dense(x)

    model = WithTracker()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(*_data(), epochs=1, verbose=0)
    names = [m.name for m in model.metrics]
    assert names[:2] == ["loss", "compile_metrics"] and "extra" in names


@pytest.mark.parametrize("bad", [0, -3, True, 1.5])
def test_invalid_steps_are_errors_not_empty_epochs(bad):
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(x, y, steps_per_epoch=bad, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.evaluate(x, y, steps=bad, verbose=0)


@pytest.mark.parametrize("arg, value", [("epochs", True), ("batch_size", True),
                                         ("validation_freq", 0), ("validation_freq", [1, 2])])
def test_invalid_fit_arguments_are_clear_errors(arg, value):
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=arg):
        model.fit(*_data(), verbose=0, **{arg: value})


def test_class_weight_with_a_negative_class_id_is_an_error():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(*_data(), class_weight={-1: 2.0, 0: 1.0, 1: 1.0}, verbose=0)


def test_more_steps_than_data_warns_once_and_trains_on_what_there_is():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(32)
    with pytest.warns(UserWarning, match="ran out of data") as record:
        model.fit(x, y, batch_size=16, steps_per_epoch=5, epochs=1, verbose=0)
    assert sum("ran out of data" in str(r.message) for r in record) == 1


def _fit_losses(source, epochs=2, **kwargs):
    model = _model()
    model.compile(optimizer=nd.optimizers.SGD(0.1), loss="mse")
    return model, model.fit(source, epochs=epochs, verbose=0, **kwargs).history["loss"]


def test_generator_pydataset_and_iterable_train_like_the_arrays():
    x, y = _data(32)
    _, reference = _fit_losses(x, batch_size=8, shuffle=False, y=y)

    def generator():
        while True:
            for i in range(0, 32, 8):
                yield x[i:i + 8], y[i:i + 8]

    class Batches(nd.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[8 * i:8 * i + 8], y[8 * i:8 * i + 8]

    loader = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]  # re-iterable, like a DataLoader
    for source, kwargs in ((generator(), {"steps_per_epoch": 4}), (Batches(), {}),
                           (Batches(workers=2), {}), (iter_only(loader), {})):
        _, losses = _fit_losses(source, shuffle=False, **kwargs)  # a PyDataset shuffles batches
        np.testing.assert_allclose(losses, reference, rtol=1e-5)


class iter_only:  # noqa: N801 - a minimal DataLoader-like iterable (no __getitem__)
    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def test_datasets_reject_separate_targets():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(iter_only([(x, y)]), y=y, verbose=0)


def test_fit_never_materializes_an_iterable_as_an_array():
    calls = []

    class Endless:
        def __iter__(self):
            x, y = _data(8)
            while True:
                calls.append(1)
                yield x, y

    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(calls) == 6


def test_sequential_shapes_before_and_after_build_and_inputs():
    model = nd.Sequential([L.Dense(4), L.Dense(2)])
    assert model.compute_output_shape((None, 3)) == (None, 2)
    with pytest.raises(AttributeError, match="no defined inputs"):
        _ = model.inputs
    model.build((None, 3))
    assert model.compute_output_shape((None, 3)) == (None, 2)
    assert model.inputs[0].shape == (None, 3)


def test_sequential_whose_first_layer_is_a_model():
    inner = nd.Model(*(lambda i: (i, L.Dense(3)(i)))(nd.Input((5,))))
    model = nd.Sequential([inner, L.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.predict(np.ones((2, 5), "float32"), verbose=0).shape == (2, 1)


def test_tf_keras_names():
    import numdeep as tf
    from numdeep.keras.layers import Dense

    model = tf.keras.Sequential([tf.keras.Input((2,)), Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(), loss="mse")
    assert model.predict(np.zeros((1, 2), "float32"), verbose=0).shape == (1, 1)


def test_add_loss_in_call_reaches_model_losses_and_the_training_loss():
    class ActivityLoss(nd.layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * nd.ops.sum(x * x))
            return x

    inp = nd.Input((2,))
    h = nd.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inp)
    model = nd.Model(inp, ActivityLoss()(h))
    x = np.array([[1.0, 2.0]], "float32")
    model(x)
    # h = [3, 3]: the layer's loss is 0.5 * (9 + 9).
    assert [float(v) for v in model.losses] == [9.0]
    model.compile("sgd", "mse")
    # mse against zeros (9) plus the added loss (9).
    assert model.evaluate(x, np.zeros((1, 2)), verbose=0) == pytest.approx(18.0)
    # The added loss is differentiated too: one SGD step moves the kernel by lr * d(total)/dW.
    model.fit(x, np.zeros((1, 2)), epochs=1, verbose=0)
    # d/dW of mean(h^2) + 0.5 sum(h^2) = (h + h) * x = 6 x per unit; lr 0.01.
    expected = 1.0 - 0.01 * 6.0 * np.array([[1.0], [2.0]])
    np.testing.assert_allclose(model.layers[1].kernel.numpy(), np.tile(expected, (1, 2)),
                               rtol=1e-5)


def test_a_model_with_tuple_outputs_reads_back_its_own_config():
    inp = nd.Input((3,))
    model = nd.Model(inp, (nd.layers.Dense(2)(inp), nd.layers.Dense(1)(inp)))
    back = nd.Model.from_config(model.get_config())
    back.set_weights(model.get_weights())
    x = np.ones((1, 3), "float32")
    ours, theirs = model(x), back(x)
    assert isinstance(theirs, tuple) and len(theirs) == 2
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_metric_subclass_creates_its_variables_after_the_base_init():
    class Total(nd.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)  # Keras does not call reset_state here
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, values):
            self.total.assign_add(nd.ops.sum(values))

        def reset_state(self):
            self.total.assign(0.0)

        def result(self):
            return self.total

    metric = Total()
    metric.update_state(np.array([1.0, 2.0]))
    assert float(metric.result()) == 3.0
    metric.reset_state()
    assert float(metric.result()) == 0.0
