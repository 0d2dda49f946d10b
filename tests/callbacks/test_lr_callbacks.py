import pytest

import numdeep as nd
from tests.callbacks.common import Scripted, data, model

CB = nd.callbacks


def sgd_model(lr=0.1):
    return model(optimizer=nd.optimizers.SGD(lr))


def run(m, epochs, *callbacks, series=None):
    x, y = data()
    pre = [Scripted(val_loss=series)] if series else []
    return m.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.25,
                 callbacks=[*pre, *callbacks])


def test_reduce_lr_on_plateau_reduces_after_patience_and_logs_the_rate():
    m = sgd_model(0.1)
    history = run(m, 6, CB.ReduceLROnPlateau(factor=0.5, patience=2),
                  series=[1.0, 0.5, 0.6, 0.7, 0.8, 0.9])
    # epoch 3 is the second without improvement: the rate halves after it, and again after 5
    assert history.history["learning_rate"] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]
    assert m.optimizer.learning_rate == 0.025


def test_reduce_lr_on_plateau_respects_min_lr_and_cooldown():
    m = sgd_model(0.1)
    run(m, 6, CB.ReduceLROnPlateau(factor=0.1, patience=1, cooldown=2, min_lr=0.005),
        series=[1.0] * 6)
    # reductions after epoch 1 and, after a 2-epoch cooldown, epoch 4 (clipped at min_lr)
    assert m.optimizer.learning_rate == 0.005


def test_reduce_lr_on_plateau_rejects_bad_factor_and_unknown_monitor():
    with pytest.raises(ValueError, match="factor"):
        CB.ReduceLROnPlateau(factor=1.0)
    x, y = data()
    with pytest.raises(ValueError, match="monitor=los, but Keras isn't able"):
        sgd_model().fit(x, y, epochs=2, verbose=0, callbacks=[CB.ReduceLROnPlateau("los")])


def test_reduce_lr_on_plateau_verbose(capsys):
    run(sgd_model(), 2, CB.ReduceLROnPlateau(patience=0, verbose=1), series=[1.0, 1.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01" in capsys.readouterr().out


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    m = sgd_model(0.1)
    history = run(m, 3, CB.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)))
    assert history.history["learning_rate"] == [0.1, 0.05, 0.1 / 3]


def test_learning_rate_scheduler_accepts_a_one_argument_schedule(capsys):
    m = sgd_model(0.1)
    run(m, 2, CB.LearningRateScheduler(lambda epoch: 0.2 * (epoch + 1), verbose=1))
    assert m.optimizer.learning_rate == 0.4
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.4" in capsys.readouterr().out


def test_learning_rate_scheduler_rejects_non_numbers():
    with pytest.raises(ValueError, match="output of the `schedule` function should be a float"):
        run(sgd_model(), 1, CB.LearningRateScheduler(lambda epoch, lr: "fast"))
    with pytest.raises(ValueError, match="function"):
        CB.LearningRateScheduler(0.1)


def test_learning_rate_in_logs_reaches_later_callbacks():
    seen = []
    run(sgd_model(0.1), 2, CB.LearningRateScheduler(lambda epoch, lr: lr),
        CB.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["learning_rate"])))
    assert seen == [0.1, 0.1]
