"""The Keras optimizer pipeline on numdeep Variables: EMA, gradient accumulation, loss scaling,
constraints, overwrite-with-gradient, the learning-rate variable, Keras-style subclasses and the
state API (variables, set_weights, stateless_apply, pickling)."""

import pickle
import warnings

import numpy as np
import pytest

import numdeep as nd
from numdeep import constraints
from numdeep.optimizers import SGD, Adam, Optimizer, schedules


def var(values, name="w"):
    return nd.Variable(np.asarray(values, dtype="float32"), name=name)


def test_ema_tracks_the_weights_and_overwrites_them_every_frequency_steps():
    v = var([[3.0, 4.0], [5.0, 6.0]])
    opt = SGD(1.0, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)
    ones = np.ones((2, 2), "float32")
    opt.apply([ones], [v])  # the first step starts the average at the weights
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), v.numpy())
    opt.apply([ones], [v])
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(),
                               0.9 * np.array([[2, 3], [4, 5]]) + 0.1 * np.array([[1, 2], [3, 4]]),
                               rtol=1e-6)
    opt.apply([ones], [v])  # step 3: the weights take the average
    np.testing.assert_allclose(v.numpy(), [[1.71, 2.71], [3.71, 4.71]], rtol=1e-6)


def test_finalize_variable_values_copies_the_average_and_fit_calls_it():
    v = var([1.0, 2.0])
    opt = Adam(1.0, use_ema=True, ema_momentum=0.9)
    g = np.array([0.1, 0.2], "float32")
    opt.apply([g], [v])
    first = v.numpy().copy()
    opt.apply([g], [v])
    expected = 0.9 * first + 0.1 * v.numpy()
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.numpy(), expected, rtol=1e-6)

    model = nd.Sequential([nd.layers.Dense(2, use_bias=False, kernel_initializer="ones",
                                           input_shape=(1,))])
    model.compile(optimizer=SGD(0.1, use_ema=True, ema_momentum=0.9), loss="mse")
    model.fit(np.ones((1, 1)), np.zeros((1, 2)), epochs=2, batch_size=1, verbose=0)
    # mse over two outputs: the gradient is w, so w: 1 -> 0.9 -> 0.81; the average: 0.9, then
    # 0.9 * 0.9 + 0.1 * 0.81 = 0.891, which fit copies into the weights at its end.
    np.testing.assert_allclose(model.get_weights()[0], [[0.891, 0.891]], rtol=1e-6)


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    v = var([[1.0, 2.0], [3.0, 4.0]])
    opt = SGD(1.0, gradient_accumulation_steps=3)
    ones = np.ones((2, 2), "float32")
    for step in range(1, 5):
        opt.apply([ones * step], [v])
        assert int(opt._iterations) == step and int(opt.iterations) == step // 3
        if step < 3:
            np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    # the update used (1 + 2 + 3) / 3 = 2; the accumulator restarted with the 4th gradient
    np.testing.assert_allclose(v.numpy(), [[-1, 0], [1, 2]])
    np.testing.assert_allclose(opt._accumulated_gradients[0].numpy(), ones * 4)
    with pytest.raises(ValueError, match="must be an integer >= 2"):
        SGD(gradient_accumulation_steps=1)


def test_gradient_accumulation_equals_the_mean_gradient_for_adam_with_decay():
    rng = np.random.default_rng(0)
    a, b = var([[0.9], [0.5]]), var([[0.9], [0.5]])
    plain = Adam(0.01, weight_decay=0.05)
    accumulating = Adam(0.01, weight_decay=0.05, gradient_accumulation_steps=3)
    for _ in range(5):
        grads = rng.random((3, 2, 1)).astype("float32")
        plain.apply([grads.mean(axis=0)], [a])
        for g in grads:
            accumulating.apply([g], [b])
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_loss_scale_factor_scales_the_loss_and_unscales_the_gradients():
    v = var([[1.0, 2.0], [3.0, 4.0]])
    opt = SGD(1.0, loss_scale_factor=1024.0)
    assert opt.scale_loss(2.0) == 2048.0 and SGD().scale_loss(2.0) == 2.0
    opt.apply([v.numpy() * 1024.0], [v])
    np.testing.assert_allclose(v.numpy(), np.zeros((2, 2)))


def test_constraints_are_applied_after_each_update():
    v = nd.Variable(np.array([[-0.5, 0.2], [0.3, -0.1]], "float32"),
                    constraint=constraints.NonNeg())
    SGD(0.1).apply([np.array([[1.0, -1.0], [1.0, 1.0]], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [[0.0, 0.3], [0.2, 0.0]], rtol=1e-6)
    assert float(np.min(v)) == 0.0  # NumPy's reductions accept a Variable (as in Keras's test)


def test_overwrite_with_gradient_skips_the_update():
    v, w = var([1.0, 2.0]), var([1.0, 2.0])
    v.overwrite_with_gradient = True
    opt = Adam(0.1)
    opt.apply([np.array([5.0, 6.0], "float32"), np.ones(2, "float32")], [v, w])
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])
    assert len(opt.variables) == 2 + 2  # no slots for the overwritten variable
    # With accumulation: the running maximum over the cycle.
    u = var([0.0])
    u.overwrite_with_gradient = True
    acc = SGD(1.0, gradient_accumulation_steps=2)
    acc.apply([np.array([3.0], "float32")], [u])
    acc.apply([np.array([2.0], "float32")], [u])
    np.testing.assert_array_equal(u.numpy(), [3.0])


def test_missing_gradients_warn_and_all_missing_raises():
    v, w = var([1.0]), var([1.0], name="other")
    opt = SGD(1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['other'\]"):
        opt.apply([np.ones(1, "float32"), None], [v, w])
    assert v.numpy()[0] == 0.0 and w.numpy()[0] == 1.0
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None], [v])


def test_learning_rate_is_a_keras_variable_and_settable():
    opt = SGD(0.5)
    assert opt.learning_rate is opt.variables[1] and opt.learning_rate.path.endswith(
        "learning_rate")
    opt.learning_rate = 0.25
    assert float(opt.learning_rate) == 0.25
    opt.learning_rate = schedules.PolynomialDecay(0.25, 4)
    assert len(opt.variables) == 1  # the schedule replaced the variable
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float"):
        SGD("fast")


def test_update_step_applies_one_rule_to_one_built_variable():
    v = var([1.0, 2.0, 3.0, 4.0])
    opt = Adam()
    opt.build([v])
    opt.update_step(np.array([1.0, 6.0, 7.0, 2.0], "float32"), v, 0.5)
    np.testing.assert_allclose(v.numpy(), [0.5, 1.5, 2.5, 3.5], rtol=1e-4)
    assert int(opt.iterations) == 0  # only apply() counts steps


class KerasStyleSGD(Optimizer):
    """A subclass written as for Keras: build with add_variable_from_reference, update_step on
    Variables."""

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.velocities[self._get_variable_index(variable)]
        self.assign(velocity, velocity.numpy() * 0.5 + gradient)
        self.assign_sub(variable, velocity.numpy() * learning_rate)


def test_keras_style_subclasses_work():
    v = var([1.0])
    opt = KerasStyleSGD(learning_rate=0.1)
    for _ in range(2):
        opt.apply([np.ones(1, "float32")], [v])
    # velocity 1, then 1.5: w = 1 - 0.1 - 0.15
    np.testing.assert_allclose(v.numpy(), [0.75], rtol=1e-6)
    assert [p.path for p in opt.variables][-1] == f"{opt.name}/w_velocity"


def test_stateless_apply_returns_new_values_and_changes_nothing():
    v = var([1.0, 2.0])
    opt = Adam(0.1)
    opt.build([v])
    before = [x.numpy().copy() for x in opt.variables]
    new_vars, new_opt = opt.stateless_apply([x.numpy() for x in opt.variables],
                                            [np.ones(2, "float32")], [np.array([3.0, 4.0])])
    assert all(np.array_equal(a.numpy(), b) for a, b in zip(opt.variables, before))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(new_vars[0], [2.9, 3.9], rtol=1e-5)
    assert int(new_opt[0]) == 1
    with pytest.raises(ValueError, match="must be built"):
        Adam().stateless_apply([], [], [])


def test_names_are_keras_automatic_names():
    nd.utils.clear_session()
    assert [Adam().name, Adam().name, SGD().name, nd.optimizers.AdamW().name] == [
        "adam", "adam_1", "sgd", "adam_w"]
    assert nd.optimizers.deserialize(nd.optimizers.serialize(Adam(name="mine"))).name == "mine"


def test_unknown_arguments_raise_and_decay_warns():
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        Adam(lr_decay=0.1)
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        Adam(decay=0.1)


@pytest.mark.parametrize("name", ["adam", "sgd", "lion", "ftrl", "adafactor", "muon"])
def test_pickled_optimizers_keep_their_config_and_state(name):
    opt = nd.optimizers.get(name)
    v = var([1.0, 2.0])
    opt.apply([np.ones(2, "float32")], [v])
    again = pickle.loads(pickle.dumps((opt, v)))
    assert again[0].get_config() == opt.get_config()
    again[0].apply([np.ones(2, "float32")], [again[1]])  # the copy indexes its own variables
    opt.apply([np.ones(2, "float32")], [v])
    np.testing.assert_array_equal(again[1].numpy(), v.numpy())


def test_no_warning_in_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = var([1.0])
        Adam().apply([np.ones(1, "float32")], [v])
