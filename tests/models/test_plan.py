"""Inference plans (numdeep.models.plan) give the eager path's numbers, bit for bit."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import tree
from numdeep.models import plan

L = nd.layers


@pytest.fixture(autouse=True)
def _plans_on():
    plan.set_enabled(True)
    yield
    plan.set_enabled(True)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _arrays(out):
    return [(t.numpy(), None if t._keras_mask is None else np.asarray(t._keras_mask))
            for t in ([out] if isinstance(out, nd.Tensor) else tree.flatten(out))]


def _eager(model, x, **kwargs):
    plan.set_enabled(False)
    try:
        with nd.no_grad():
            return _arrays(model(x, **kwargs))
    finally:
        plan.set_enabled(True)


def _assert_planned_equals_eager(model, x, **kwargs):
    """Three calls (eager, traced, replayed) all equal the eager result; a plan exists."""
    expected = _eager(model, x, **kwargs)
    with nd.no_grad():
        runs = [_arrays(model(x, **kwargs)) for _ in range(3)]
    assert plan.plans_of(model) == 1
    for run in runs:
        assert len(run) == len(expected)
        for (value, mask), (want, want_mask) in zip(run, expected):
            assert value.dtype == want.dtype
            np.testing.assert_array_equal(value, want)
            assert (mask is None) == (want_mask is None)
            if mask is not None:
                np.testing.assert_array_equal(mask, want_mask)


def test_mlp_with_dropout_replays_the_eager_numbers():
    model = nd.Sequential([L.Flatten(input_shape=(4, 5)), L.Dense(8, activation="relu"),
                           L.Dropout(0.5), L.Dense(3, activation="softmax")])
    _assert_planned_equals_eager(model, _rng().random((6, 4, 5), dtype=np.float32))


def test_recurrent_cells_stepped_one_by_one_are_planned():
    # StackedRNNCells runs its cells step by step (no fused op); their zero initial states
    # come from an op (ZeroState), so a replay makes them for its own batch.
    cells = [L.LSTMCell(4), L.GRUCell(3)]
    model = nd.Sequential([nd.Input((5, 2)), L.RNN(L.StackedRNNCells(cells)), L.Dense(2)])
    _assert_planned_equals_eager(model, _rng().standard_normal((6, 5, 2)).astype(np.float32))
    with nd.no_grad():  # another batch size: its own plan, its own zero states
        other = _rng(1).standard_normal((3, 5, 2)).astype(np.float32)
        np.testing.assert_array_equal(model(other).numpy(), _eager(model, other)[0][0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "cells"])
def test_stateful_recurrent_calls_carry_their_states_through_the_plan(kind):
    # A stateful layer's calls read and write its carried states by ops (ReadState,
    # WriteState): the plan keeps the write although no output reads it, and each replayed call
    # starts from the state the previous one left, as eager calls do (a generation loop calling
    # the model one step at a time). A reset in between is read too.
    def build():
        nd.utils.set_random_seed(3)
        rnn = L.LSTM(3, stateful=True) if kind == "LSTM" else L.GRU(3, stateful=True) \
            if kind == "GRU" else L.RNN([L.SimpleRNNCell(3), L.LSTMCell(2)], stateful=True)
        return nd.Sequential([nd.Input((5, 2), batch_size=1), rnn, L.Dense(1)])

    xs = [_rng(i).standard_normal((1, 5, 2)).astype(np.float32) for i in range(6)]

    def calls(model):
        out = []
        with nd.no_grad():
            for i, x in enumerate(xs):
                if i == 4:
                    model.layers[0].reset_states()
                out.append(model(x).numpy())
        out.append(model.predict(xs[0], verbose=0))  # predict's own path replays it too
        return out

    planned, eager = build(), build()
    plan.set_enabled(False)
    try:
        want = calls(eager)
    finally:
        plan.set_enabled(True)
    got = calls(planned)
    assert plan.plans_of(planned) == 1, plan.last_refusal()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(tree.flatten(planned.layers[0].states), tree.flatten(eager.layers[0].states)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert np.abs(a.numpy()).max() > 0


def test_batchnorm_uses_its_moving_statistics():
    model = nd.Sequential([L.Conv2D(4, 3, input_shape=(8, 8, 2)), L.BatchNormalization(),
                           L.ReLU(), L.GlobalAveragePooling2D(), L.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = _rng().random((16, 8, 8, 2), dtype=np.float32)
    model.fit(x, _rng(1).random((16, 2), dtype=np.float32), epochs=2, verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)
    _assert_planned_equals_eager(model, x[:5])


def test_embedding_lookups_are_planned_and_still_check_the_ids():
    # The lookup and its range check are one op (TakeRows): a replay reads each call's ids and
    # rejects bad ones with the eager error.
    model = nd.Sequential([nd.Input((6,), dtype="int64"), L.Embedding(20, 4),
                           L.GlobalAveragePooling1D(), L.Dense(2)])
    with nd.no_grad():
        for seed in range(4):
            ids = _rng(seed).integers(0, 20, (3, 6))
            np.testing.assert_array_equal(model(ids).numpy(), _eager(model, ids)[0][0])
        assert plan.plans_of(model) == 1
        for bad in (20, -1):
            ids = _rng().integers(0, 20, (3, 6))
            ids[1, 2] = bad
            with pytest.raises(ValueError, match=r"Embedding layer .* token ids outside \[0, 20\)"):
                model(ids)


def test_padding_masks_are_planned_and_follow_each_batch():
    # Embedding's mask is an op (PaddingMask) and the LSTM takes it as a parameter: the replay
    # computes the mask of each call's ids, and returns it with the output.
    inputs = nd.Input((6,), dtype="int64")
    outputs = L.LSTM(3, return_sequences=True)(L.Embedding(20, 4, mask_zero=True)(inputs))
    model = nd.Model(inputs, outputs)
    batches = [np.array([[3, 5, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6]]),
               np.array([[3, 0, 0, 0, 0, 0], [1, 2, 3, 4, 0, 0]]),
               np.array([[9, 9, 9, 9, 9, 9], [4, 0, 0, 0, 0, 0]])]
    with nd.no_grad():
        for _ in range(2):
            for ids in batches:
                (want, want_mask), = _eager(model, ids)
                out = model(ids)
                np.testing.assert_array_equal(out.numpy(), want)
                np.testing.assert_array_equal(np.asarray(out._keras_mask), want_mask)
                np.testing.assert_array_equal(want_mask, ids != 0)
    assert plan.plans_of(model) == 1


def test_multiple_inputs_and_outputs_and_a_shared_layer():
    a, b = nd.Input((3,), name="a"), nd.Input((3,), name="b")
    shared = L.Dense(4, activation="tanh")
    ha, hb = shared(a), shared(b)
    out1 = L.Dense(2, name="sum")(L.Add()([ha, hb]))
    out2 = L.Concatenate()([ha, hb])
    model = nd.Model({"a": a, "b": b}, {"first": out1, "second": out2})
    x = {"a": _rng().random((5, 3), dtype=np.float32),
         "b": _rng(1).random((5, 3), dtype=np.float32)}
    _assert_planned_equals_eager(model, x)


def test_list_inputs_and_float64_arrays():
    a, b = nd.Input((3,)), nd.Input((2,))
    model = nd.Model([a, b], L.Dense(2)(L.Concatenate()([a, b])))
    _assert_planned_equals_eager(model, [_rng().random((4, 3)), _rng(1).random((4, 2))])


def test_predict_on_one_sample_and_in_batches():
    model = nd.Sequential([nd.Input((5,)), L.Dense(7, activation="relu"), L.Dense(2)])
    x = _rng().random((70, 5))  # float64: predict converts to float32 as the adapter does
    plan.set_enabled(False)
    want_one, want_all = model.predict(x[:1], verbose=0), model.predict(x, verbose=0)
    plan.set_enabled(True)
    for _ in range(3):
        np.testing.assert_array_equal(model.predict(x[:1], verbose=0), want_one)
        np.testing.assert_array_equal(model.predict(x, batch_size=32, verbose=0), want_all)
    assert plan.plans_of(model) == 3  # batches of 1, 32 and the final 6


def test_in_place_weight_updates_are_read_live():
    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    x = _rng().random((4, 3), dtype=np.float32)
    _assert_planned_equals_eager(model, x)
    model.set_weights([w * 2.0 + 1.0 for w in model.get_weights()])
    model.layers[0].bias.assign([5.0, -5.0])
    _assert_planned_equals_eager(model, x)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((4, 2), "float32"), epochs=1, verbose=0)
    want = _eager(model, x)[0][0]
    with nd.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), want)


def test_rebound_weights_and_changed_configuration_drop_the_plan():
    model = nd.Sequential([nd.Input((3,)), L.Dense(2, activation="relu")])
    x = _rng().random((4, 3), dtype=np.float32) - 0.5
    _assert_planned_equals_eager(model, x)
    dense = model.layers[0]
    dense.kernel.data = np.full((3, 2), -1.0, "float32")  # a new array, not an update
    with nd.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), _eager(model, x)[0][0])
    dense.activation = nd.activations.get("tanh")
    with nd.no_grad():
        got = model(x).numpy()
    np.testing.assert_array_equal(got, _eager(model, x)[0][0])
    assert (got < 0).any()  # tanh, not the traced relu
    dense.trainable = False
    _assert_planned_equals_eager(model, x)


class _ReadsValues(L.Layer):
    """Computes with NumPy on the values: nothing the tracer can see."""

    def call(self, x):
        return x * float(np.abs(x.numpy()).max())


class _Noisy(L.Layer):
    def __init__(self):
        super().__init__()
        self.seed = nd.random.SeedGenerator(1)

    def call(self, x):
        return x + nd.random.normal(x.shape, seed=self.seed)


class _Counts(L.Layer):
    def build(self, shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x):
        self.calls.assign_add(1.0)
        return x * 2.0


class _CountsAndReads(_Counts):
    # The counter is also handed to an op (the product below), so only the replay check can
    # tell that no op writes it: the eager call writes it after the read, the replay never.
    def call(self, x):
        y = x * self.calls
        self.calls.assign_add(1.0)
        return y


@pytest.mark.parametrize("layer", [_ReadsValues, _Noisy, _Counts, _CountsAndReads])
def test_what_the_check_cannot_prove_stays_eager(layer):
    model = nd.Sequential([nd.Input((3,)), L.Dense(3), layer()])
    x = _rng().random((4, 3), dtype=np.float32)
    with nd.no_grad():
        for _ in range(4):
            model(x)
    assert plan.plans_of(model) == 0
    if issubclass(layer, _Counts):
        assert float(model.layers[1].calls.numpy()) == 4.0  # every call ran the layer


def test_a_call_that_writes_a_variable_it_reads_is_refused_by_the_replay_check():
    # _CountsAndReads hands its counter to an op, so only the A/B replay can refuse it; its
    # perturbed copy for that check is a 0-d array again (it was a NumPy scalar, and the check
    # raised on it instead of comparing).
    from numdeep.models.plan import check

    rng = np.random.default_rng(0)
    for value in (np.array(1.5, "float32"), np.array(3, "int64"), np.array(True)):
        for weight in (False, True):
            new = check.perturbed(value, rng, weight=weight)
            assert new is None or (type(new) is np.ndarray and new.shape == () and
                                   new.dtype == value.dtype)
    model = nd.Sequential([nd.Input((3,)), L.Dense(3), _CountsAndReads()])
    with nd.no_grad():
        for _ in range(4):
            model(_rng().random((4, 3), dtype=np.float32))
    assert plan.plans_of(model) == 0
    assert plan.last_refusal() == "the replay differs from the eager result"


def test_training_calls_and_graph_recording_stay_eager():
    model = nd.Sequential([nd.Input((50,)), L.Dropout(0.5)])
    x = np.ones((2, 50), "float32")
    with nd.no_grad():
        for _ in range(3):
            assert (model(x, training=True).numpy() == 0).any()
    assert plan.plans_of(model) == 0
    dense = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    for _ in range(3):
        assert dense(np.ones((1, 3), "float32")).requires_grad
    assert plan.plans_of(dense) == 0


def test_run_eagerly_turns_plans_off():
    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    with nd.no_grad():
        for _ in range(3):
            model(np.ones((2, 3), "float32"))
    assert plan.plans_of(model) == 0


def test_replay_skips_the_layer_machinery(monkeypatch):
    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    x = np.ones((2, 3), "float32")
    _assert_planned_equals_eager(model, x)
    calls = []
    monkeypatch.setattr(L.Dense, "call", lambda self, *a, **k: calls.append(1))
    with nd.no_grad():
        model(x)
    model.predict(x, verbose=0)
    assert calls == []


def test_evaluate_and_nested_models_use_plans_with_eager_numbers():
    inner = nd.Sequential([nd.Input((4,)), L.Dense(5, activation="relu"), L.Dropout(0.3)])
    inputs = nd.Input((4,))
    model = nd.Model(inputs, L.Dense(1)(inner(inputs)))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _rng().random((8, 4), dtype=np.float32), _rng(1).random((8, 1), dtype=np.float32)
    plan.set_enabled(False)
    want = model.evaluate(x, y, verbose=0, return_dict=True)
    plan.set_enabled(True)
    for _ in range(3):
        assert model.evaluate(x, y, verbose=0, return_dict=True) == want
    assert plan.plans_of(model) == 1
    assert plan.plans_of(inner) == 0  # traced as part of the outer model, not on its own
    _assert_planned_equals_eager(inner, x)


class _Subclassed(nd.Model):
    def __init__(self):
        super().__init__()
        self.a, self.b = L.Dense(3, activation="sigmoid"), L.Dense(2)

    def call(self, x, training=False):
        h = self.a(x)
        return {"sum": self.b(h + x[:, :3]), "hidden": h}


def test_subclassed_model_with_dict_outputs():
    model = _Subclassed()
    _assert_planned_equals_eager(model, _rng().random((5, 4), dtype=np.float32))


def test_tracing_leaves_the_weights_as_they_were():
    model = nd.Sequential([nd.Input((3,)), L.Dense(4), L.BatchNormalization()])
    arrays = [v.data for v in model.variables]
    values = [a.copy() for a in arrays]
    _assert_planned_equals_eager(model, _rng().random((2, 3), dtype=np.float32))
    assert all(v.data is a for v, a in zip(model.variables, arrays))
    for a, want in zip(arrays, values):
        np.testing.assert_array_equal(a, want)


def test_predict_with_callbacks_still_runs_them():
    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    x = np.ones((4, 3), "float32")
    for _ in range(3):
        model.predict(x, verbose=0)
    seen = []
    cb = nd.callbacks.LambdaCallback(on_predict_batch_end=lambda batch, logs: seen.append(batch))
    model.predict(x, verbose=0, callbacks=[cb])
    assert seen == [0]


def test_concurrent_predictions_are_each_right():
    import threading

    model = nd.Sequential([nd.Input((6,)), L.Dense(16, activation="tanh"), L.Dense(3)])
    xs = [_rng(i).random((4, 6), dtype=np.float32) for i in range(4)]
    plan.set_enabled(False)
    wants = [model.predict(x, verbose=0) for x in xs]
    plan.set_enabled(True)
    for _ in range(3):
        model.predict(xs[0], verbose=0)
    errors = []

    def work(i):
        for _ in range(50):
            if not np.array_equal(model.predict(xs[i], verbose=0), wants[i]):
                errors.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and plan.plans_of(model) == 1


def test_fit_validation_losses_match_the_eager_path():
    def history():
        nd.utils.set_random_seed(3)
        model = nd.Sequential([nd.Input((4,)), L.Dense(6, activation="relu"), L.Dropout(0.2),
                               L.BatchNormalization(), L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        x, y = _rng().random((64, 4), dtype=np.float32), _rng(1).random((64, 1), dtype=np.float32)
        h = model.fit(x, y, batch_size=16, epochs=4, validation_data=(x[:8], y[:8]), verbose=0)
        return h.history["val_loss"], model

    plan.set_enabled(False)
    want, _ = history()
    plan.set_enabled(True)
    got, model = history()
    assert got == want
    assert plan.plans_of(model) == 1  # validation ran from the plan after the second epoch


def test_inputs_too_uniform_to_check_are_traced_on_a_later_call():
    model = nd.Sequential([nd.Input((4,), dtype="int64"), L.Lambda(lambda t: t * 2)])
    zeros, ids = np.zeros((2, 4), "int64"), _rng().integers(0, 9, (2, 4))
    with nd.no_grad():
        for _ in range(3):
            np.testing.assert_array_equal(model(zeros).numpy(), zeros)
        assert plan.plans_of(model) == 0
        assert plan.last_refusal() == "inputs too uniform to perturb (tried again later)"
        for _ in range(2):
            np.testing.assert_array_equal(model(ids).numpy(), ids * 2)
        assert plan.plans_of(model) == 1
        np.testing.assert_array_equal(model(zeros).numpy(), zeros)  # the plan, on any ids


def test_a_trace_never_waits_for_another_threads_trace():
    from numdeep.models.plan import tracer

    model = nd.Sequential([nd.Input((3,)), L.Dense(2)])
    x = _rng().random((2, 3), dtype=np.float32)
    want = _eager(model, x)[0][0]
    with tracer._LOCK:  # as if another thread were tracing
        with nd.no_grad():
            for _ in range(3):
                np.testing.assert_array_equal(model(x).numpy(), want)
        assert plan.plans_of(model) == 0
        assert plan.last_refusal() == "another thread was tracing (tried again later)"
    with nd.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), want)
    assert plan.plans_of(model) == 1


class _Branches(L.Layer):
    """Takes one of two paths on a tensor's value: a plan traced on one path would replay it
    for inputs that take the other, so the trace refuses once it sees the value read."""

    def call(self, x):
        if nd.ops.mean(x) > 0.5:
            return x * 2.0
        return x - 1.0


def test_a_branch_on_a_tensor_value_keeps_the_eager_path():
    model = nd.Sequential([nd.Input((4,)), _Branches()])
    high, low = np.full((2, 4), 0.9, np.float32), np.full((2, 4), 0.1, np.float32)
    with nd.no_grad():
        for x in (high, high, high, low, high, low):
            np.testing.assert_array_equal(model(x).numpy(), _eager(model, x)[0][0])
    assert plan.plans_of(model) == 0
    assert "into Python" in plan.last_refusal()


def test_bert_with_attention_masks_is_planned_and_masks_each_batch():
    # The id lookups (TakeRows), the key mask (KeyMask) and its expansion over the heads are
    # ops: the replay gives each batch's own masking, and bad ids still raise.
    from numdeep.pretrained import BertConfig, BertModel

    nd.utils.set_random_seed(0)
    bert = BertModel(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=16,
                                max_position_embeddings=8))
    rng = _rng()
    with nd.no_grad():
        for step in range(5):
            ids = rng.integers(1, 30, (3, 6))
            mask = np.ones((3, 6), np.int64)
            mask[step % 3, 3 + step % 3:] = 0
            plan.set_enabled(False)
            want = bert([ids, mask])["last_hidden_state"].numpy()
            plan.set_enabled(True)
            got = bert([ids, mask])["last_hidden_state"].numpy()
            np.testing.assert_array_equal(got, want)
        assert plan.plans_of(bert) == 1
        ids[0, 0] = 30
        with pytest.raises(ValueError, match=r"input_ids .*\[0, 30\)"):
            bert([ids, mask])


class _NumpyMask(L.Layer):
    """Zeroes its input's negative entries with a mask made by NumPy on ``.data``: the mask is
    all ones for both traced calls when neither has one (the check's noise leaves none here),
    so only the size rule keeps a plan from freezing it."""

    def call(self, x):
        return x * (x.data > 0).astype(x.dtype)


def test_a_batch_sized_array_made_outside_the_ops_keeps_the_eager_path():
    model = nd.Sequential([nd.Input((4,)), _NumpyMask(), L.Dense(2)])
    full = _rng().random((3, 4), dtype=np.float32) + 0.6
    padded = full.copy()
    padded[:, 2:] = -1.0
    with nd.no_grad():
        for x in (full, full, full, padded):
            np.testing.assert_array_equal(model(x).numpy(), _eager(model, x)[0][0])
    assert plan.plans_of(model) == 0
    assert "size of the batch" in plan.last_refusal()
