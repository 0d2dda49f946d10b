"""Training plans (numdeep.models.plan.training): ``fit`` through a plan gives the eager step's
numbers bit for bit (losses, metrics, weights, optimizer state), and whatever the check cannot
prove stays on the eager path."""

import gc
import weakref

import numpy as np
import pytest

import numdeep as nd
from numdeep.models import plan
from numdeep.models.plan import training as train_plans

L = nd.layers


@pytest.fixture(autouse=True)
def _plans_on():
    train_plans.set_enabled(True)
    yield
    train_plans.set_enabled(True)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _fit_both(build, x, y, epochs=3, **fit_kwargs):
    """The same model fitted with plans and without; returns (planned model, eager model,
    planned history, eager history)."""
    runs = []
    for enabled in (True, False):
        train_plans.set_enabled(enabled)
        nd.utils.set_random_seed(1234)
        model = build()
        history = model.fit(x, y, epochs=epochs, verbose=0, **fit_kwargs)
        runs.append((model, history.history))
    train_plans.set_enabled(True)
    (planned, hp), (eager, he) = runs
    return planned, eager, hp, he


def _assert_same_training(planned, eager, hp, he):
    assert hp == he  # Python floats: equal means bit for bit
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(planned.optimizer.variables, eager.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def _mlp():
    model = nd.Sequential([L.Flatten(input_shape=(4, 5)), L.Dense(16, activation="relu"),
                           L.Dropout(0.3), L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _cnn():
    model = nd.Sequential([L.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                           L.MaxPooling2D(2), L.Flatten(), L.Dense(3, activation="softmax")])
    model.compile(optimizer=nd.optimizers.SGD(0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _regularized():
    model = nd.Sequential([nd.Input((5,)), L.Dense(8, activation="tanh",
                                                   kernel_regularizer="l2"),
                           L.Dense(1, bias_regularizer=nd.regularizers.L1(0.01))])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def _two_heads():
    a, b = nd.Input((4,), name="a"), nd.Input((3,), name="b")
    shared = L.Dense(6, activation="relu")
    h = L.Concatenate()([shared(a), shared(L.Dense(4)(b))])
    out1 = L.Dense(1, name="reg")(h)
    out2 = L.Dense(3, activation="softmax", name="cls")(L.Dropout(0.2)(h))
    model = nd.Model([a, b], [out1, out2])
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.5, 1.0], metrics=[["mae"], ["accuracy"]])
    return model


def _recurrent():
    model = nd.Sequential([nd.Input((6, 2)), L.LSTM(5, return_sequences=True), L.GRU(4),
                           L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _labels(n, classes=3, seed=1):
    return _rng(seed).integers(0, classes, n)


def test_mlp_with_dropout_and_accuracy():
    x = _rng().random((40, 4, 5), dtype=np.float32)
    planned, *rest = _fit_both(_mlp, x, _labels(40), batch_size=8)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def test_cnn_with_momentum_and_a_last_smaller_batch():
    x = _rng().random((45, 8, 8, 1), dtype=np.float32)  # batches of 8 and a last one of 5
    planned, *rest = _fit_both(_cnn, x, _labels(45), batch_size=8, epochs=5)
    assert train_plans.plans_of(planned) == 2  # one per batch shape
    _assert_same_training(planned, *rest)


def test_weight_regularizers_sample_weights_and_validation():
    rng = _rng()
    x = rng.standard_normal((48, 5)).astype(np.float32)
    y = x[:, :1] * 0.5 - x[:, 1:2]
    planned, *rest = _fit_both(_regularized, x, y, batch_size=6, validation_split=0.25,
                               sample_weight=rng.random(48).astype(np.float32))
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def test_multiple_inputs_and_outputs_with_a_shared_layer():
    rng = _rng()
    x = [rng.random((32, 4), dtype=np.float32), rng.random((32, 3), dtype=np.float32)]
    y = [rng.random((32, 1), dtype=np.float32), _labels(32)]
    planned, *rest = _fit_both(_two_heads, x, y, batch_size=8)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def test_recurrent_layers():
    x = _rng().standard_normal((24, 6, 2)).astype(np.float32)
    planned, *rest = _fit_both(_recurrent, x, x[:, -1, :1] * 2.0, batch_size=6, epochs=2)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def _recurrent_dropout(kind):
    def build():
        if kind == "stacked cells":  # the per-step loop over the cells, not the fused op
            rnn = L.RNN(L.StackedRNNCells([L.LSTMCell(5, dropout=0.2, recurrent_dropout=0.3),
                                           L.GRUCell(4, dropout=0.1, recurrent_dropout=0.2)]))
        else:
            rnn = getattr(L, kind)(5, dropout=0.25, recurrent_dropout=0.3)
        model = nd.Sequential([nd.Input((6, 3)), rnn, L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model
    return build


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN", "stacked cells"])
def test_recurrent_dropout_masks_are_drawn_at_every_planned_step(kind):
    # A cell's dropout and recurrent-dropout masks are drawn by ops (DropoutMask), one pair per
    # sequence as in the eager call: each replayed step draws its own, in the eager order.
    x = _rng().standard_normal((40, 6, 3)).astype(np.float32)
    planned, *rest = _fit_both(_recurrent_dropout(kind), x, x[:, -1, :1], batch_size=8,
                               epochs=2)
    assert train_plans.plans_of(planned) == 1, train_plans.last_refusal()
    _assert_same_training(planned, *rest)


def _stateful(kind):
    def build():
        if kind == "LSTM":
            rnn = L.LSTM(5, stateful=True, return_sequences=True)
        elif kind == "GRU":
            rnn = L.GRU(4, stateful=True)
        elif kind == "Bidirectional":  # two layers' states
            rnn = L.Bidirectional(L.LSTM(3, stateful=True))
        else:  # cells stepped one by one, three states
            rnn = L.RNN([L.SimpleRNNCell(3), L.LSTMCell(2)], stateful=True)
        model = nd.Sequential([nd.Input((6, 2), batch_size=8), rnn, L.Flatten(), L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model
    return build


def _carried(model):
    return [v.numpy() for layer in model._flatten_layers()
            if getattr(layer, "stateful", False) and not isinstance(layer, L.Bidirectional)
            for v in nd.tree.flatten(layer.states)]


class _ResetAtEpochEnd(nd.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()


@pytest.mark.parametrize("reset", [False, True], ids=["carried", "reset each epoch"])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "cells", "Bidirectional"])
def test_stateful_layers_carry_their_states_through_planned_steps(kind, reset):
    # The carried states are read and written by ops (ReadState, WriteState), so each replayed
    # step starts from the state the last one left, as the eager steps do; a reset between
    # epochs is read by the plan too. Equal losses after the first steps mean the replay
    # carried the states: without the write, every planned step would start from one state.
    x = _rng().standard_normal((40, 6, 2)).astype(np.float32)
    callbacks = [_ResetAtEpochEnd()] if reset else []
    planned, eager, hp, he = _fit_both(_stateful(kind), x, x[:, -1, :1], batch_size=8,
                                       epochs=3, shuffle=False, callbacks=callbacks)
    assert train_plans.plans_of(planned) == 1, train_plans.last_refusal()
    _assert_same_training(planned, eager, hp, he)
    carried = _carried(planned)
    assert len(carried) == {"LSTM": 2, "GRU": 1, "cells": 3, "Bidirectional": 4}[kind]
    for a, b in zip(carried, _carried(eager)):
        np.testing.assert_array_equal(a, b)
        # the last batch's final states, or zeros after the last epoch's reset
        assert (np.abs(a).max() == 0) == reset


def test_a_stateful_conv_lstm_carries_its_states_through_planned_steps():
    def build():
        model = nd.Sequential([nd.Input((3, 5, 5, 2), batch_size=4),
                               L.ConvLSTM2D(2, 3, stateful=True), L.Flatten(), L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    x = _rng().standard_normal((16, 3, 5, 5, 2)).astype(np.float32)
    planned, eager, hp, he = _fit_both(build, x, x[:, -1, 0, 0, :1], batch_size=4, epochs=2,
                                       shuffle=False)
    assert train_plans.plans_of(planned) == 1, train_plans.last_refusal()
    _assert_same_training(planned, eager, hp, he)
    for a, b in zip(_carried(planned), _carried(eager)):
        np.testing.assert_array_equal(a, b)


def test_autoencoder_fits_the_same_array_as_inputs_and_targets():
    def build():
        model = nd.Sequential([nd.Input((6,)), L.Dense(3, activation="relu"), L.Dense(6)])
        model.compile(optimizer="adam", loss="mse")
        return model

    x = _rng().random((30, 6), dtype=np.float32)
    planned, *rest = _fit_both(build, x, x, batch_size=5)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def test_the_plan_skips_the_layer_machinery(monkeypatch):
    x = _rng().random((40, 4, 5), dtype=np.float32)
    nd.utils.set_random_seed(0)
    model = _mlp()
    model.fit(x, _labels(40), batch_size=8, epochs=1, verbose=0)  # 5 steps: traced, planned
    calls = []
    original = L.Dense.call
    monkeypatch.setattr(L.Dense, "call", lambda self, *a, **k: calls.append(1) or
                        original(self, *a, **k))
    model.fit(x, _labels(40), batch_size=8, epochs=1, verbose=0)
    assert calls == []


@pytest.mark.parametrize("layers", [
    lambda: [nd.Input((5,)), L.Dense(6), L.BatchNormalization(), L.Dense(1)],
    lambda: [nd.Input((6, 6, 2)), L.Conv2D(3, 3), L.BatchNormalization(momentum=0.5),
             L.ReLU(), L.GlobalAveragePooling2D(), L.Dense(1)],
], ids=["dense", "conv"])
def test_batchnorm_moving_statistics_are_written_by_the_replay(layers):
    def build():
        model = nd.Sequential(layers())
        model.compile(optimizer="adam", loss="mse")
        return model

    rng = _rng()
    x = rng.random((32,) + tuple(layers()[0].shape[1:]), dtype=np.float32)
    y = rng.random((32, 1), dtype=np.float32)
    planned, *rest = _fit_both(build, x, y, batch_size=8)
    assert train_plans.plans_of(planned) == 1
    bn = next(layer for layer in planned.layers if isinstance(layer, L.BatchNormalization))
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)
    _assert_same_training(planned, *rest)  # get_weights holds the moving statistics


class _CountsCalls(L.Layer):
    """Updates a metric of its own in ``call``: state the replay would not write."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = nd.metrics.Sum(name="calls")

    def call(self, x):
        self.calls.update_state(1.0)
        return x


class _ReadsValues(L.Layer):
    """Scales by a value computed with NumPy outside the ops: not static, never planned."""

    def call(self, x):
        return x * float(np.abs(x.numpy()).max())


class _Branches(L.Layer):
    """Takes one of two paths on a tensor's value: the same path in both traced steps, the
    other one on later batches. The trace sees the value read and makes no plan."""

    def call(self, x):
        if nd.ops.mean(x) > 0.5:
            return x * 2.0
        return x - 1.0


@pytest.mark.parametrize("layer, why", [(_CountsCalls, "state"), (_ReadsValues, "into Python"),
                                        (_Branches, "into Python")],
                         ids=["a layer's own metric", "values read outside the ops",
                              "a branch on a tensor"])
def test_what_the_replay_cannot_reproduce_keeps_the_eager_step(layer, why):
    def build():
        model = nd.Sequential([nd.Input((4,)), layer(), L.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    x = _rng().random((24, 4), dtype=np.float32)
    x[:12] += 0.5  # the first three steps (no shuffling) take one branch, the others the other
    x[12:] -= 0.3
    planned, *rest = _fit_both(build, x, x[:, :1], batch_size=4, shuffle=False)
    assert train_plans.plans_of(planned) == 0
    assert why in train_plans.last_refusal()
    _assert_same_training(planned, *rest)
    if layer is _CountsCalls:
        assert float(planned.layers[0].calls.result()) == 6.0  # reset each epoch: 6 steps


def test_trainable_changed_by_a_callback_mid_fit():
    class Freeze(nd.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.layers[1].trainable = False

    x = _rng().random((40, 4, 5), dtype=np.float32)
    planned, *rest = _fit_both(_mlp, x, _labels(40), batch_size=8, epochs=4,
                               callbacks=[Freeze()])
    _assert_same_training(planned, *rest)


class _ScaledMSE(nd.losses.Loss):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, y_true, y_pred):
        return nd.ops.mean(nd.ops.square(y_true - y_pred), axis=-1) * self.factor


def _with_and_without_plans(run):
    """``run()``'s result with training plans and without, each from the same seed."""
    results = []
    for enabled in (True, False):
        train_plans.set_enabled(enabled)
        nd.utils.set_random_seed(3)
        results.append(run())
    train_plans.set_enabled(True)
    return results


def test_a_loss_attribute_changed_by_a_callback_is_read_again():
    class Double(nd.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.loss.factor *= 2.0

    x = _rng().standard_normal((24, 5)).astype(np.float32)

    def run():
        model = nd.Sequential([nd.Input((5,)), L.Dense(1)])
        model.compile(optimizer="sgd", loss=_ScaledMSE(1.0))
        return model.fit(x, x[:, :1], batch_size=4, epochs=4, verbose=0,
                         callbacks=[Double()]).history

    planned, eager = _with_and_without_plans(run)
    assert planned == eager


def test_a_loss_scale_factor_changed_between_fits_is_read_again():
    x = _rng().standard_normal((24, 5)).astype(np.float32)

    def run():
        model = nd.Sequential([nd.Input((5,)), L.Dense(1)])
        model.compile(optimizer=nd.optimizers.SGD(0.01, loss_scale_factor=4.0), loss="mse")
        model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0)
        model.optimizer.loss_scale_factor = 64.0
        return model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0).history

    planned, eager = _with_and_without_plans(run)
    assert planned == eager


def test_weights_set_between_fits_are_read_live():
    rng = _rng()
    x = rng.standard_normal((48, 5)).astype(np.float32)
    y = x[:, :1] * 0.5 - x[:, 1:2]
    model = _regularized()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert train_plans.plans_of(model) == 1
    start = [w * 0.5 for w in model.get_weights()]
    start_optimizer = [np.array(v.numpy()) for v in model.optimizer.variables]
    runs = []
    for enabled in (True, False):
        train_plans.set_enabled(enabled)
        model.set_weights(start)  # new arrays: rebound, not written in place
        for v, value in zip(model.optimizer.variables, start_optimizer):
            v.assign(value)
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history
        runs.append((history, model.get_weights()))
    assert train_plans.plans_of(model) == 1
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("compile_kwargs", [{"jit_compile": False}, {"run_eagerly": True}])
def test_jit_compile_false_and_run_eagerly_keep_the_eager_step(compile_kwargs):
    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", **compile_kwargs)
    x = _rng().random((20, 3), dtype=np.float32)
    model.fit(x, x[:, :2], batch_size=2, epochs=1, verbose=0)
    assert train_plans.plans_of(model) == 0
    assert model.jit_compile is False


def test_a_custom_train_step_keeps_the_eager_step():
    class Custom(nd.Model):
        def train_step(self, data):
            return super().train_step(data)

    inputs = nd.Input((3,))
    model = Custom(inputs, L.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x = _rng().random((20, 3), dtype=np.float32)
    model.fit(x, x[:, :2], batch_size=2, epochs=1, verbose=0)
    assert train_plans.plans_of(model) == 0


def test_recompiling_drops_the_plans():
    x = _rng().random((40, 4, 5), dtype=np.float32)
    model = _mlp()
    model.fit(x, _labels(40), batch_size=8, epochs=1, verbose=0)
    assert train_plans.plans_of(model) == 1
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert train_plans.plans_of(model) == 0


def test_models_with_plans_are_garbage_collected():
    x = _rng().random((40, 4, 5), dtype=np.float32)
    model = _mlp()
    model.fit(x, _labels(40), batch_size=8, epochs=1, verbose=0)
    for _ in range(3):
        model.predict(x[:4], verbose=0)
    assert train_plans.plans_of(model) == 1 and plan.plans_of(model) == 1
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_a_model_traced_once_is_garbage_collected():
    # A fit that ends between the two traced steps leaves a pending trace in the cache.
    x = _rng().random((16, 4, 5), dtype=np.float32)
    model = _mlp()
    model.fit(x, _labels(16), batch_size=8, epochs=1, verbose=0)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_embedding_model_and_a_bad_id_in_a_planned_step():
    def build():
        model = nd.Sequential([nd.Input((7,), dtype="int64"), L.Embedding(30, 4),
                               L.GlobalAveragePooling1D(), L.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    ids = _rng().integers(0, 30, (40, 7))
    planned, *rest = _fit_both(build, ids, _labels(40, classes=2), batch_size=8)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)
    ids[3, 4] = 30  # caught by the lookup op itself, in the replay too
    with pytest.raises(ValueError, match=r"token ids outside \[0, 30\)"):
        planned.fit(ids[:8], _labels(8, classes=2), batch_size=8, verbose=0)


def test_padding_masks_are_planned():
    # Embedding's mask is an op (PaddingMask): each replayed step masks its own batch.
    def build():
        model = nd.Sequential([nd.Input((8,), dtype="int64"), L.Embedding(20, 4, mask_zero=True),
                               L.LSTM(3), L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    ids = _rng().integers(1, 20, (32, 8))
    ids[::3, 5:] = 0  # padded sequences, in different rows of each shuffled batch
    ids[1::4, 2:] = 0
    planned, *rest = _fit_both(build, ids, _rng(2).random((32, 1), dtype=np.float32),
                               batch_size=8)
    _assert_same_training(planned, *rest)
    assert train_plans.plans_of(planned) == 1


def test_masking_layer_masks_each_batch():
    # Masking's mask is an op (ValueMask): padding that appears only after the traced steps
    # is masked in the replay too.
    def build():
        model = nd.Sequential([nd.Input((4, 2)), L.Masking(0.0), L.LSTM(3), L.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    rng = _rng()
    x = rng.random((40, 4, 2), dtype=np.float32) + 0.1
    x[24:, 2:] = 0.0  # no padding in the first three steps (no shuffling), then padding
    planned, *rest = _fit_both(build, x, rng.random((40, 1), dtype=np.float32), batch_size=8,
                               epochs=2, shuffle=False)
    assert train_plans.plans_of(planned) == 1
    _assert_same_training(planned, *rest)


def _tagger(loss="sparse_categorical_crossentropy"):
    def build():
        model = nd.Sequential([nd.Input((8,), dtype="int64"), L.Embedding(20, 4, mask_zero=True),
                               L.LSTM(5, return_sequences=True),
                               L.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        return model
    return build


@pytest.mark.parametrize("loss", [
    "sparse_categorical_crossentropy",
    nd.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight"),
    nd.losses.SparseCategoricalCrossentropy(reduction="sum")], ids=["mean", "weighted", "sum"])
def test_outputs_with_masks_carry_them_into_the_loss_and_metrics(loss):
    # A sequence tagger: the padding mask reaches the loss (and the accuracy) through the
    # outputs. The loss's masked mean divides by each batch's own count of real steps, inside
    # an op: the first three steps (traced, no shuffling) have no padding, later ones do.
    ids = _rng().integers(1, 20, (40, 8))
    ids[24:, 5:] = 0
    ids[30:, 2:] = 0
    tags = _rng(2).integers(0, 3, (40, 8))
    weights = _rng(3).random(40).astype(np.float32)
    planned, *rest = _fit_both(_tagger(loss), ids, tags, batch_size=8, epochs=2,
                               shuffle=False, sample_weight=weights)
    assert train_plans.plans_of(planned) == 1, train_plans.last_refusal()
    _assert_same_training(planned, *rest)


def test_a_loss_mask_computed_with_numpy_keeps_the_eager_step():
    # ignore_class: the loss's own mask comes from the labels with NumPy (a batch-sized
    # constant to a trace), combined with the padding mask: refused, same numbers.
    ids = _rng().integers(1, 20, (32, 8))
    ids[::3, 5:] = 0
    tags = _rng(2).integers(0, 3, (32, 8))
    tags[::4, 1] = 2
    loss = nd.losses.SparseCategoricalCrossentropy(ignore_class=2)
    planned, *rest = _fit_both(_tagger(loss), ids, tags, batch_size=8, epochs=2)
    assert train_plans.plans_of(planned) == 0
    assert "size of the batch" in train_plans.last_refusal()
    _assert_same_training(planned, *rest)


class _NumpyMask(L.Layer):
    """Zeroes its input's negative entries with a mask made by NumPy on ``.data`` (no value
    read through the Tensor API): all ones in the two traced steps when neither has one."""

    def call(self, x):
        return x * (x.data > 0).astype(x.dtype)


def test_a_batch_sized_array_made_outside_the_ops_keeps_the_eager_step():
    def build():
        model = nd.Sequential([nd.Input((4,)), _NumpyMask(), L.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    rng = _rng()
    x = rng.random((40, 4), dtype=np.float32) + 0.1
    x[24:, 1:] = -1.0
    planned, *rest = _fit_both(build, x, rng.random((40, 1), dtype=np.float32), batch_size=8,
                               epochs=2, shuffle=False)
    assert train_plans.plans_of(planned) == 0
    assert "size of the batch" in train_plans.last_refusal()
    _assert_same_training(planned, *rest)
