import math
import warnings

import pytest

import numdeep as nd
from tests.callbacks.common import Scripted, data, model, weights_equal

CB = nd.callbacks


def fit(m, series, epochs, *callbacks, monitor="val_loss"):
    """Fit with scripted ``monitor`` values; returns the weights seen at each epoch end."""
    seen = []
    record = CB.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(m.get_weights()))
    x, y = data()
    m.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.25,
          callbacks=[Scripted(**{monitor: series}), record, *callbacks])
    return seen


def test_stops_after_patience_epochs_without_improvement():
    m = model()
    stop = CB.EarlyStopping(patience=2)
    seen = fit(m, [1.0, 0.5, 0.6, 0.7, 0.8, 0.9], 6, stop)
    assert len(seen) == 4 and stop.stopped_epoch == 3 and stop.best == 0.5
    assert m.history.epoch == [0, 1, 2, 3]


def test_min_delta_ignores_tiny_improvements():
    stop = CB.EarlyStopping(patience=1, min_delta=0.1)
    seen = fit(model(), [1.0, 0.95, 0.92, 0.5], 4, stop)
    assert len(seen) == 2 and stop.best == 1.0


def test_restores_best_weights_on_early_stop():
    m = model()
    seen = fit(m, [1.0, 0.4, 0.6, 0.7], 10, CB.EarlyStopping(patience=2, restore_best_weights=True))
    assert len(seen) == 4
    assert weights_equal(m.get_weights(), seen[1])


def test_restores_best_weights_when_training_runs_to_the_last_epoch():
    m = model()
    seen = fit(m, [1.0, 0.2, 0.5, 0.6], 4,
               CB.EarlyStopping(patience=10, restore_best_weights=True))
    assert len(seen) == 4
    assert weights_equal(m.get_weights(), seen[1])


def test_nan_never_counts_as_best():
    m = model()
    stop = CB.EarlyStopping(patience=10, restore_best_weights=True)
    seen = fit(m, [math.nan, 1.0, math.nan, 2.0], 4, stop)
    assert stop.best == 1.0 and stop.best_epoch == 1
    assert weights_equal(m.get_weights(), seen[1])


def test_all_nan_restores_the_first_monitored_epoch():
    # Keras: until something improves, the first monitored epoch holds the best weights.
    m = model()
    seen = fit(m, [math.nan] * 3, 3, CB.EarlyStopping(patience=5, restore_best_weights=True))
    assert weights_equal(m.get_weights(), seen[0])
    assert not weights_equal(m.get_weights(), seen[-1])


def test_baseline_never_beaten_still_restores_the_best_weights():
    # The defect of the contract issue: numdeep kept the last weights here, Keras restores the
    # best epoch's (epoch 1, loss 0.9), even though no epoch beat the baseline.
    m = model()
    stop = CB.EarlyStopping(patience=1, baseline=0.1, restore_best_weights=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seen = fit(m, [1.0, 0.9, 0.95, 0.97], 4, stop)
    assert stop.stopped_epoch == 2 and stop.best == 0.9 and stop.best_epoch == 1
    assert len(seen) == 3
    assert weights_equal(m.get_weights(), seen[1])
    assert not weights_equal(m.get_weights(), seen[-1])


def test_baseline_beaten_restores_best():
    m = model()
    seen = fit(m, [1.0, 0.05, 0.5], 3,
               CB.EarlyStopping(patience=5, baseline=0.1, restore_best_weights=True))
    assert weights_equal(m.get_weights(), seen[1])


def test_auto_mode_maximises_accuracy():
    stop = CB.EarlyStopping(monitor="val_accuracy", patience=1)
    seen = fit(model(), [0.5, 0.9, 0.8, 0.95], 4, stop, monitor="val_accuracy")
    assert len(seen) == 3 and stop.best == 0.9


def test_start_from_epoch_skips_the_warm_up():
    stop = CB.EarlyStopping(patience=0, start_from_epoch=2)
    seen = fit(model(), [1.0, 2.0, 3.0, 4.0, 5.0], 5, stop)
    assert len(seen) == 4 and stop.best_epoch == 2


def test_misspelled_monitor_in_auto_mode_raises_at_the_first_epoch_end():
    m = model()
    x, y = data()
    with pytest.raises(ValueError, match="monitor=val_los, but Keras isn't able"):
        m.fit(x, y, epochs=5, verbose=0, validation_split=0.25,
              callbacks=[CB.EarlyStopping(monitor="val_los")])
    assert m.history.epoch == [0]


def test_missing_validation_warns_each_epoch_and_does_not_stop():
    m = model()
    x, y = data()
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not "
                                         "available. Available metrics are: loss,accuracy"
                      ) as record:
        m.fit(x, y, epochs=3, verbose=0, callbacks=[CB.EarlyStopping(patience=0)])
    assert len(record) == 3 and m.history.epoch == [0, 1, 2]


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'maximum' is unknown"):
        assert CB.EarlyStopping(mode="maximum").mode == "auto"


def test_auto_mode_follows_the_compiled_metrics():
    stop = CB.EarlyStopping(monitor="val_accuracy")
    stop.set_model(model())
    stop.model.fit(*data(), epochs=1, verbose=0, validation_split=0.25)
    stop._set_monitor_op()
    assert stop.monitor_op is nd.ops.greater and stop.min_delta == 0
    loss = CB.EarlyStopping(monitor="val_loss", min_delta=0.1)
    loss._set_monitor_op()
    assert loss.monitor_op is nd.ops.less and loss.min_delta == -0.1


def test_verbose_messages(capsys):
    fit(model(), [1.0, 0.5, 0.9, 0.9], 4,
        CB.EarlyStopping(patience=1, verbose=1, restore_best_weights=True))
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "best epoch: 2" in out


def test_no_warning_in_the_normal_case():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(model(), [1.0, 0.5, 0.4], 3, CB.EarlyStopping(restore_best_weights=True))
