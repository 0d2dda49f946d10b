"""The Keras "customizing fit" patterns: train_step overrides, custom compile, tape loops."""

import numpy as np
import pytest

import numdeep as nd

L = nd.layers


def regression_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")


def make_model(cls=nd.Sequential, seed=0):
    nd.utils.set_random_seed(seed)
    return cls([L.Dense(8, activation="tanh", input_shape=(3,)), L.Dense(1)])


class CustomFit(nd.Sequential):
    """train_step written with the tape, as in the Keras guide."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = nd.metrics.Mean(name="loss")
        self.mae_metric = nd.metrics.MeanAbsoluteError(name="mae")

    def train_step(self, data):
        x, y = data
        with nd.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = nd.losses.mean_squared_error(y, y_pred).mean()
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(float(loss.data))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_train_step_override_logs_its_metrics_and_resets_them_each_epoch():
    x, y = regression_data()
    model = make_model(CustomFit)
    model.compile(optimizer="adam")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Trackers were reset per epoch: the last epoch's mean covers only its own 4 batches.
    assert model.loss_tracker.count == 4


def test_tape_loop_and_train_step_give_identical_weights():
    x, y = regression_data()
    fit_model = make_model(CustomFit)
    fit_model.compile(optimizer=nd.optimizers.SGD(0.05))
    fit_model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)

    loop_model = make_model()
    opt = nd.optimizers.SGD(0.05)
    for _ in range(2):
        for start in range(0, 64, 16):
            xb, yb = x[start:start + 16], y[start:start + 16]
            with nd.GradientTape() as tape:
                loss = nd.losses.mean_squared_error(yb, loop_model(xb, training=True)).mean()
            grads = tape.gradient(loss, loop_model.trainable_weights)
            opt.apply(grads, loop_model.trainable_weights)
    for a, b in zip(fit_model.get_weights(), loop_model.get_weights()):
        np.testing.assert_array_equal(a, b)


class TwoOptimizers(nd.Model):
    """A compile() with custom arguments, as GAN wrappers do."""

    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second

    def compile(self, first_optimizer, second_optimizer, loss_fn):
        super().compile()
        self.first_optimizer, self.second_optimizer, self.loss_fn = (
            first_optimizer, second_optimizer, loss_fn)
        self.tracker = nd.metrics.Mean(name="custom_loss")

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, data):
        x = data  # fit(x) without targets hands over the bare batch, as Keras does
        self.second.trainable = False
        with nd.GradientTape() as tape:
            loss = self.loss_fn(self.second(self.first(x)))
        grads = tape.gradient(loss, self.first.trainable_weights)
        self.first_optimizer.apply(grads, self.first.trainable_weights)
        self.second.trainable = True
        self.tracker.update_state(float(loss.data))
        return {"custom_loss": self.tracker.result()}


def test_custom_compile_without_targets_and_frozen_submodel():
    x, _ = regression_data()
    first = make_model(seed=1)
    second = nd.Sequential([L.Dense(1, input_shape=(1,))])
    second.build((None, 1))
    frozen_before = second.get_weights()
    model = TwoOptimizers(first, second)
    model.compile(nd.optimizers.Adam(0.01), nd.optimizers.Adam(0.01),
                  loss_fn=lambda out: (out ** 2).mean())
    history = model.fit(x, epochs=3, batch_size=16, verbose=0)
    assert history.history["custom_loss"][-1] < history.history["custom_loss"][0]
    for a, b in zip(frozen_before, second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fit_respects_trainable_false():
    x, y = regression_data()
    model = make_model()
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2


def test_default_train_step_without_targets_is_a_clear_error():
    x, _ = regression_data()
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="no targets"):
        model.fit(x, epochs=1, verbose=0)
