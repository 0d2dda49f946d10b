import math

import numpy as np
import pytest

import numdeep as nd
from tests.callbacks.common import data, model

CB = nd.callbacks


class PoisonAt(nd.callbacks.Callback):
    """Make the loss NaN from batch ``batch`` of epoch ``epoch`` on (a diverging run)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None
        self.batches = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.model.layers[0].weights[0].data[...] = np.nan

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((self.epoch, batch))


def test_stops_at_the_nan_batch_without_another_step(capsys):
    m, poison = model(), PoisonAt(1, 2)
    x, y = data()
    history = m.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
                    callbacks=[poison, CB.TerminateOnNaN()])
    assert poison.batches[-1] == (1, 2)
    assert m.optimizer.iterations == 8 + 3
    assert history.epoch == [0, 1] and math.isnan(history.history["loss"][1])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_inf_loss_stops_too():
    stop = CB.TerminateOnNaN()
    stop.set_model(model())
    stop.on_train_batch_end(0, {"loss": math.inf})
    assert stop.model.stop_training


def test_raise_error_mode():
    m, ends = model(), []
    x, y = data()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        m.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[PoisonAt(0, 0), CB.TerminateOnNaN(raise_error=True),
                         CB.LambdaCallback(on_train_end=lambda logs: ends.append(1))])
    assert ends == []


def test_non_finite_targets_are_refused_unless_allowed_then_the_callback_stops():
    # Keras's own TerminateOnNaN tests train on inf targets; numdeep refuses them up front
    # (check_finite=True) and, when they are allowed, stops like Keras on the first bad loss.
    m = model()
    x, y = data(16)
    y = y.astype("float32")
    y[3] = np.inf
    with pytest.raises(ValueError, match=r"`y` contains inf values \(first at sample indices "
                                         r"\[3\]\)"):
        m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    m = nd.Sequential([nd.Input((4,)), nd.layers.Dense(1)])
    m.compile("sgd", "mse")
    history = m.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                    check_finite=False, callbacks=[CB.TerminateOnNaN()])
    assert m.optimizer.iterations == 1 and history.epoch == [0]
    assert not math.isfinite(history.history["loss"][0])
