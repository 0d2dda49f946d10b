"""Keras's callback contract: the ``on_batch_*`` aliases, LambdaCallback's free hooks,
``MonitorCallback``, ``SwapEMAWeights``, learning-rate callbacks with a ``MultiOptimizer`` and
messages that follow ``io_utils``'s logging switch."""

import logging

import numpy as np
import pytest

import numdeep as nd
from numdeep.utils import io_utils
from tests.callbacks.common import data, model

CB = nd.callbacks


def test_on_batch_end_is_the_alias_of_on_train_batch_end():
    seen = []

    class Old(CB.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    model().fit(*data(n=32), epochs=1, batch_size=16, verbose=0, callbacks=[Old()])
    assert seen == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]


def test_lambda_callback_takes_any_hook_and_attribute():
    events = []
    cb = CB.LambdaCallback(on_test_begin=lambda logs: events.append("test_begin"),
                           on_batch_end=lambda batch, logs: events.append(batch),
                           custom_method=len)
    m = model()
    x, y = data(n=32)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[cb])
    m.evaluate(x, y, verbose=0, callbacks=[cb])
    assert events == [0, 1, "test_begin"] and cb.custom_method is len


def test_monitor_callback_decides_improvements_as_keras():
    watch = CB.MonitorCallback(mode="max", min_delta=0.5)
    watch._set_monitor_op()
    assert watch.monitor_op is nd.ops.greater
    assert [watch._is_improvement(0.75, 0), watch._is_improvement(0.5, None),
            watch._is_improvement(0.5, 0), watch._is_improvement(0.2, 0.5)] == [
        True, True, False, False]
    assert not watch._is_improvement(float("nan"), None)  # numdeep: NaN is never best
    low = CB.MonitorCallback(mode="min", min_delta=0.1)
    low._set_monitor_op()
    assert low._is_improvement(0.85, 1.0) and not low._is_improvement(0.95, 1.0)


@pytest.mark.parametrize("monitor,direction", [("val_loss", "less"), ("accuracy", "greater"),
                                               ("val_mse", "less"), ("auc", "greater")])
def test_auto_mode_reads_the_direction_of_the_compiled_metric(monitor, direction):
    m = nd.Sequential([nd.layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    m.compile(optimizer="sgd", loss="binary_crossentropy",
              metrics=["accuracy", "mse", nd.metrics.AUC(name="auc")])
    x, y = data(n=16)
    m.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    watch = CB.MonitorCallback(monitor)
    watch.set_model(m)
    watch._set_monitor_op()
    assert watch.monitor_op is getattr(nd.ops, direction)
    unknown = CB.MonitorCallback("val_f2")
    unknown.set_model(m)
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        unknown._set_monitor_op()


def test_swap_ema_weights_swaps_in_place_and_back():
    m = nd.Sequential([nd.layers.Dense(2, use_bias=False, kernel_initializer="ones",
                                       input_shape=(1,))])
    m.compile(optimizer=nd.optimizers.SGD(0.1, use_ema=True), loss="mse")
    m.fit(np.ones((2, 1)), np.zeros((2, 2)), epochs=1, verbose=0)
    average = m.optimizer._model_variables_moving_average[0]
    average.assign([[9.0, 9.0]])
    trained = m.get_weights()[0].copy()
    swap = CB.SwapEMAWeights()
    swap.set_model(m)
    swap.on_test_begin()
    np.testing.assert_array_equal(m.get_weights()[0], [[9.0, 9.0]])
    np.testing.assert_array_equal(average.numpy(), trained)
    swap.on_test_end()
    np.testing.assert_array_equal(m.get_weights()[0], trained)
    np.testing.assert_array_equal(average.numpy(), [[9.0, 9.0]])
    plain = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
    plain.compile(optimizer="sgd", loss="mse")
    swap.set_model(plain)
    with pytest.raises(ValueError, match="`use_ema=True`"):
        swap.on_test_begin()


def test_reduce_lr_on_plateau_reduces_every_sub_optimizer():
    opts = [nd.optimizers.SGD(0.1), nd.optimizers.SGD(0.01)]
    multi = nd.optimizers.MultiOptimizer(nd.optimizers.OptimizerMap(opts[1], {".*first.*":
                                                                             opts[0]}))
    m = nd.Sequential([nd.layers.Dense(2, name="first", input_shape=(1,)),
                       nd.layers.Dense(1, name="second")])
    m.compile(optimizer=multi, loss="mse")
    cb = CB.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    cb.set_model(m)
    cb.on_train_begin()
    logs = {"val_loss": 1.0}
    cb.on_epoch_end(0, logs)
    assert sorted(logs) == sorted(["val_loss", f"learning_rate_{opts[0].name}",
                                   f"learning_rate_{opts[1].name}"])
    cb.on_epoch_end(1, {"val_loss": 1.0})
    assert [o.get_config()["learning_rate"] for o in opts] == [0.05, 0.005]


def test_verbose_messages_go_to_the_logger_when_interactive_logging_is_off(capsys, caplog):
    io_utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="numdeep"):
            model(optimizer=nd.optimizers.SGD(0.1)).fit(
                *data(n=16), epochs=1, verbose=0,
                callbacks=[CB.LearningRateScheduler(lambda epoch: 0.5, verbose=1)])
    finally:
        io_utils.enable_interactive_logging()
    assert "LearningRateScheduler setting learning rate to 0.5" in caplog.text
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="valid level"):
        io_utils.set_logging_verbosity("LOUD")
