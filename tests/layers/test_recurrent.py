"""Recurrent layers and wrappers: the layer harness, Keras semantics, masks, states, errors, and
float32 parity with ``torch.nn.LSTM/GRU/RNN`` (outputs and gradients) after weight conversion."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor, gradcheck
from numdeep.saving import torch_layout as layout
from tests.helpers import check_layer

L = nd.layers
RNG = np.random.default_rng(0)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(
    "make, in_shape, out_shape, n_weights",
    [
        (lambda: L.SimpleRNN(3), (4, 5, 2), (4, 3), 3),
        (lambda: L.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True),
         (4, 5, 2), (4, 5, 3), 3),
        (lambda: L.LSTM(4), (3, 6, 2), (3, 4), 3),
        (lambda: L.LSTM(4, return_sequences=True, use_bias=False, unit_forget_bias=False,
                        kernel_regularizer="l2", recurrent_regularizer="l1"), (3, 6, 2),
         (3, 6, 4), 2),
        (lambda: L.GRU(3), (4, 5, 2), (4, 3), 3),
        (lambda: L.GRU(3, reset_after=False, return_sequences=True, bias_regularizer="l2"),
         (4, 5, 2), (4, 5, 3), 3),
        (lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), (2, 5, 2), (2, 5, 6), 6),
        (lambda: L.Bidirectional(L.GRU(3), merge_mode="sum"), (2, 5, 2), (2, 3), 6),
        (lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul"),
         (2, 5, 2), (2, 5, 3), 6),
        (lambda: L.Bidirectional(L.LSTM(3), merge_mode="ave"), (2, 5, 2), (2, 3), 6),
        (lambda: L.TimeDistributed(L.Dense(2)), (3, 4, 5), (3, 4, 2), 2),
        (lambda: L.RepeatVector(3), (2, 5), (2, 3, 5), 0),
        (lambda: L.Masking(), (2, 4, 3), (2, 4, 3), 0),
    ],
)
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


def test_keras_weight_layout_and_initializers():
    lstm = L.LSTM(5)
    lstm(_x(2, 3, 4))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (4, 20) and recurrent.shape == (5, 20) and bias.shape == (20,)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(5), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    gru = L.GRU(2, reset_after=False)
    gru(_x(2, 3, 4))
    assert [w.shape for w in gru.weights] == [(4, 6), (2, 6), (6,)]
    assert [w.name for w in gru.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_return_sequences_and_state_agree():
    x = _x(3, 6, 2)
    nd.utils.set_random_seed(1)
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True)(x)
    nd.utils.set_random_seed(1)
    last = L.LSTM(4)(x)
    np.testing.assert_allclose(seq.data[:, -1], h.data, atol=1e-6)
    np.testing.assert_allclose(last.data, h.data, atol=1e-6)
    assert c.shape == (3, 4)
    out, h = L.GRU(3, return_state=True)(x)
    np.testing.assert_array_equal(out.data, h.data)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_go_backwards_is_reversed_input(cls):
    x = _x(2, 5, 3)
    fwd = cls(4, return_sequences=True)
    bwd = cls(4, return_sequences=True, go_backwards=True)
    fwd(x)
    bwd(x)
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(bwd(x).data, fwd(x[:, ::-1]).data, atol=1e-6)


def _numpy_rnn(layer, x):
    """The last output of a SimpleRNN, written out."""
    k, u, b = layer.get_weights()
    h = np.zeros((x.shape[0], u.shape[0]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ k + h @ u + b)
    return h


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    x = _x(2, 4, 3)
    layer = L.Bidirectional(L.SimpleRNN(3), merge_mode=merge_mode)
    out = layer(x)
    fw = _numpy_rnn(layer.forward_layer, x)
    bw = _numpy_rnn(layer.backward_layer, x[:, ::-1])
    expected = {"concat": np.concatenate([fw, bw], -1), "sum": fw + bw, "mul": fw * bw,
                "ave": (fw + bw) / 2}
    if merge_mode is None:
        np.testing.assert_allclose(out[0].data, fw, atol=1e-5)
        np.testing.assert_allclose(out[1].data, bw, atol=1e-5)
    else:
        np.testing.assert_allclose(out.data, expected[merge_mode], atol=1e-5)
    assert layer.compute_output_shape((None, 4, 3)) == (
        ((None, 3), (None, 3)) if merge_mode is None else (None, 6 if merge_mode == "concat"
                                                          else 3))


def test_bidirectional_sequences_align_and_states_and_initial_state():
    x = _x(2, 5, 3)
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))
    out, hf, cf, hb, cb = layer(x)
    assert out.shape == (2, 5, 6) and hb.shape == (2, 3)
    np.testing.assert_allclose(out.data[:, -1, :3], hf.data, atol=1e-6)
    np.testing.assert_allclose(out.data[:, 0, 3:], hb.data, atol=1e-6)  # flipped back
    states = [Tensor(_x(2, 3, seed=s)) for s in range(4)]
    out2 = layer(x, initial_state=states)[0]
    ref = layer.backward_layer(x, initial_state=states[2:])[0]
    np.testing.assert_allclose(out2.data[:, ::-1, 3:], ref.data, atol=1e-6)
    config = layer.get_config()
    assert config["layer"]["class_name"] == "LSTM"
    clone = L.Bidirectional.from_config(config)
    assert clone.get_config()["backward_layer"] == config["backward_layer"]
    with pytest.raises(ValueError, match="Invalid merge mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")


def test_time_distributed_and_repeat_vector_in_a_model():
    model = nd.Sequential([
        L.LSTM(4, input_shape=(None, 2)),
        L.RepeatVector(3),
        L.LSTM(5, return_sequences=True),
        L.TimeDistributed(L.Dense(2)),
    ])
    assert model.output_shape == (None, 3, 2)
    assert model(_x(4, 7, 2)).shape == (4, 3, 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        L.TimeDistributed(L.Dense(2))(_x(3, 4))
    config = L.TimeDistributed(L.Dense(2, name="proj")).get_config()
    assert L.TimeDistributed.from_config(config).layer.name == "proj"


# ----- masks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_masked_padding_changes_neither_state_nor_gradient(cls):
    x = _x(2, 6, 3)
    mask = np.array([[True] * 4 + [False] * 2, [False] * 2 + [True] * 4])
    layer = cls(4, return_state=True)
    xt = Tensor(x, requires_grad=True)
    out = layer(xt, mask=mask)
    short = [layer(x[:1, :4]), layer(x[1:, 2:])]
    for k in range(len(out)):  # output and states: post- and pre-padding both ignored
        np.testing.assert_allclose(out[k].data[0], short[0][k].data[0], atol=1e-6)
        np.testing.assert_allclose(out[k].data[1], short[1][k].data[0], atol=1e-6)
    sum(o.sum() for o in out).backward()
    assert np.all(xt.grad[~mask] == 0) and np.all(np.abs(xt.grad[mask]).sum(-1) > 0)


def test_masked_outputs_carry_or_zero():
    x = _x(1, 4, 2)
    mask = np.array([[True, False, True, False]])
    layer = L.GRU(3, return_sequences=True)
    seq = layer(x, mask=mask).data
    np.testing.assert_array_equal(seq[:, 1], seq[:, 0])
    np.testing.assert_array_equal(seq[:, 3], seq[:, 2])
    layer.zero_output_for_mask = True
    zeroed = layer(x, mask=mask).data
    np.testing.assert_array_equal(zeroed[:, [1, 3]], 0.0)
    np.testing.assert_allclose(zeroed[:, [0, 2]], seq[:, [0, 2]], atol=1e-7)
    out_mask = L.LSTM(2, return_sequences=True, go_backwards=True).compute_mask(x, mask)
    np.testing.assert_array_equal(out_mask, mask[:, ::-1])
    assert L.LSTM(2).compute_mask(x, mask) is None


def test_masks_propagate_through_sequential_models():
    ids = np.array([[4, 2, 7, 0, 0], [3, 0, 0, 0, 0]])
    nd.utils.set_random_seed(3)
    model = nd.Sequential([L.Embedding(10, 4, mask_zero=True, input_shape=(None,)), L.LSTM(3)])
    out = model(ids).data
    for row, length in ((0, 3), (1, 1)):
        np.testing.assert_allclose(out[row], model(ids[row:row + 1, :length]).data[0],
                                   atol=1e-6)
    x = _x(2, 5, 2)
    x[0, 3:] = 0.0
    masked = nd.Sequential([L.Masking(input_shape=(None, 2)), L.GRU(3)])
    np.testing.assert_allclose(masked(x).data[0], masked(x[:1, :3]).data[0], atol=1e-6)


def test_padded_steps_do_not_count_in_the_loss():
    ids = np.array([[3, 5, 2, 0, 0], [4, 1, 0, 0, 0]])
    y = np.random.default_rng(0).random((2, 5, 1)).astype("float32")
    y[ids == 0] = 100.0  # targets of padded steps must not matter
    nd.utils.set_random_seed(0)
    model = nd.Sequential([L.Embedding(8, 4, mask_zero=True, input_shape=(None,)),
                           L.LSTM(3, return_sequences=True), L.TimeDistributed(L.Dense(1))])
    model.compile(optimizer="adam", loss="mse")
    pred = model(ids)
    np.testing.assert_array_equal(pred._keras_mask, ids != 0)
    expected = ((pred.data[..., 0] - y[..., 0]) ** 2)[ids != 0].mean()
    assert model.evaluate(ids, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_bidirectional_with_mask_matches_unpadded():
    x = _x(1, 6, 2)
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True))
    padded = np.concatenate([x, np.zeros((1, 2, 2), "float32")], axis=1)
    full = layer(padded, mask=np.array([[True] * 6 + [False] * 2])).data
    np.testing.assert_allclose(full[:, :6], layer(x).data, atol=1e-6)
    np.testing.assert_array_equal(full[:, 6:], 0.0)


# ----- states, dropout, variable length ------------------------------------------------------
def test_stateful_carries_states_across_calls():
    x = _x(2, 6, 3)
    layer = L.LSTM(4, stateful=True)
    first_half = layer(x[:, :3])
    second = layer(x[:, 3:]).data
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]).data, first_half.data, atol=1e-6)
    plain = L.LSTM(4)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(second, plain(x).data, atol=1e-6)
    with pytest.raises(ValueError, match=r"batch size.*\n- Expected batch size: 2"):
        layer(x[:1])


def test_dropout_is_seeded_and_only_in_training():
    x = _x(3, 5, 4)
    a = L.GRU(3, dropout=0.5, recurrent_dropout=0.3, seed=7)
    b = L.GRU(3, dropout=0.5, recurrent_dropout=0.3, seed=7)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x, training=True).data, b(x, training=True).data)
    assert not np.allclose(a(x, training=True).data, a(x).data)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    xt = Tensor(x, requires_grad=True)
    a(xt, training=True).sum().backward()
    assert xt.grad is not None and a.recurrent_kernel.grad is not None


def test_variable_length_batches_train_and_predict():
    nd.utils.set_random_seed(0)
    model = nd.Sequential([L.LSTM(8, return_sequences=True, input_shape=(None, 1)),
                           L.LSTM(4), L.Dense(1)])
    assert model.output_shape == (None, 1)
    model.compile(optimizer="adam", loss="mse")
    for steps in (5, 9):
        model.train_on_batch(_x(8, steps, 1), _x(8, 1))
    assert model.predict(_x(3, 12, 1), verbose=0).shape == (3, 1)


def test_functional_initial_state_is_a_graph_input():
    seq, h0, c0 = nd.Input((None, 2)), nd.Input((3,)), nd.Input((3,))
    out = L.LSTM(3)(seq, initial_state=[h0, c0])
    model = nd.Model([seq, h0, c0], out)
    h, c = _x(2, 3, seed=1), _x(2, 3, seed=2)
    got = model([_x(2, 4, 2), h, c]).data
    layer = model.layers[-1]
    np.testing.assert_allclose(got, layer(_x(2, 4, 2), initial_state=[h, c]).data, atol=1e-6)
    assert not np.allclose(got, layer(_x(2, 4, 2)).data)


def test_fused_op_keeps_the_graph_small():
    layer = L.LSTM(4, return_sequences=True)
    x = Tensor(_x(2, 50, 3), requires_grad=True)
    out = layer(x)
    seen, stack = set(), [out]
    while stack:
        t = stack.pop()
        if t._ctx is not None and id(t) not in seen:
            seen.add(id(t))
            stack.extend(p for p in t._ctx.parents if p is not None)
    assert len(seen) <= 2  # the fused op and the slice of its packed output, for 50 steps


# ----- errors --------------------------------------------------------------------------------
def test_errors_name_the_layer_and_shapes():
    lstm = L.LSTM(4, name="enc")
    with pytest.raises(ValueError, match=r"'enc' expects 3-D input .*\(5, 7\).*\(5, 7, 1\)"):
        lstm(_x(5, 7))
    lstm(_x(5, 7, 2))
    with pytest.raises(ValueError, match=r"'enc' was built for 2 features.*\(5, 7, 3\)"):
        lstm(_x(5, 7, 3))
    with pytest.raises(ValueError, match=r"'enc' expects 2 initial state.*\(5, 4\).*\(5, 3\)"):
        lstm(_x(5, 7, 2), initial_state=[_x(5, 4), _x(5, 3)])
    with pytest.raises(ValueError, match=r"'enc' expects 2 initial state"):
        lstm(_x(5, 7, 2), initial_state=[_x(5, 4)])
    with pytest.raises(ValueError, match=r"'enc' received a mask of shape \(5, 6\) for inputs "
                                         r"of shape \(5, 7, 2\).*\(5, 7\)"):
        lstm(_x(5, 7, 2), mask=np.ones((5, 6), bool))
    with pytest.raises(ValueError, match="at least one time step"):
        lstm(np.zeros((5, 0, 2), "float32"))
    with pytest.raises(ValueError, match="units"):
        L.GRU(0)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        L.SimpleRNN(3, recurrent_dropout=1.0)
    with pytest.raises(ValueError, match="'seq' expects 3-D"):
        nd.Sequential([L.GRU(2, input_shape=(4,), name="seq")])


# ----- float64 gradchecks through whole layers -------------------------------------------------
def _gradcheck_layer(layer, x, **kwargs):
    """Gradcheck of the layer's output wrt ``x`` and every weight (swapped in as tensors)."""
    layer(x, **kwargs)
    owners = [(o, name, w) for o in (layer, *layer._layers) for name, w in vars(o).items()
              if isinstance(w, Tensor) and any(w is v for v in layer.weights)]

    def fn(x, *weights):
        for (owner, name, _), w in zip(owners, weights):
            object.__setattr__(owner, name, w)
        try:
            out = layer(x, **kwargs)
        finally:
            for owner, name, w in owners:
                object.__setattr__(owner, name, w)
        outs = out if isinstance(out, list | tuple) else [out]
        return sum(o * (k + 1.0) for k, o in enumerate(outs))

    return gradcheck(fn, [x] + [w.data.copy() for _, _, w in owners])


@pytest.mark.parametrize("make, kwargs", [
    (lambda: L.LSTM(2, return_state=True, go_backwards=True, dtype="float64"),
     {"mask": np.array([[True, True, False], [False, True, True]])}),
    (lambda: L.Bidirectional(L.GRU(2, return_sequences=True, dtype="float64")), {}),
    (lambda: L.SimpleRNN(2, return_sequences=True, dtype="float64"),
     {"initial_state": [np.full((2, 2), 0.3)]}),
])
def test_layer_gradcheck_float64(make, kwargs):
    assert _gradcheck_layer(make(), np.random.default_rng(2).standard_normal((2, 3, 2)),
                            **kwargs)


# ----- float32 parity with PyTorch -------------------------------------------------------------
# Tolerances: float32 through 7 steps of recurrences; outputs and gradients agree to ~1e-6
# absolute, so 2e-5 / 1e-4 leaves room for BLAS summation order.
TORCH_TOL = {"atol": 2e-5, "rtol": 1e-4}
PARITY = [
    ("lstm", lambda: L.LSTM(5, return_sequences=True, return_state=True), "LSTM", {}),
    ("gru", lambda: L.GRU(5, return_sequences=True, return_state=True), "GRU", {}),
    ("rnn-tanh", lambda: L.SimpleRNN(5, return_sequences=True, return_state=True), "RNN", {}),
    ("rnn-relu", lambda: L.SimpleRNN(5, activation="relu", return_sequences=True,
                                     return_state=True), "RNN", {"nonlinearity": "relu"}),
]


def _torch_module(torch, kind, features, units, **kwargs):
    torch.manual_seed(0)
    return getattr(torch.nn, kind)(features, units, batch_first=True, **kwargs)


def _keras_weights(kind, module, suffix="_l0"):
    get = {"LSTM": layout.lstm_from_torch, "GRU": layout.gru_from_torch,
           "RNN": layout.simple_rnn_from_torch}[kind]
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return get(*(getattr(module, n + suffix).detach().numpy() for n in names))


def _keras_grads(kind, module, suffix="_l0"):
    grads = [getattr(module, n + suffix).grad.numpy()
             for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    if kind == "GRU":
        return layout.gru_from_torch(*grads)
    # One Keras bias stands for bias_ih + bias_hh: its gradient equals either one's.
    return [grads[0].T, grads[1].T, grads[2]]


@pytest.mark.parametrize("name, make, kind, torch_kwargs", PARITY, ids=[p[0] for p in PARITY])
def test_matches_torch_outputs_and_gradients(name, make, kind, torch_kwargs):
    torch = pytest.importorskip("torch")
    x = _x(3, 7, 4, seed=5)
    module = _torch_module(torch, kind, 4, 5, **torch_kwargs)
    layer = make()
    layer(x)
    layer.set_weights(_keras_weights(kind, module))
    n_states = 2 if kind == "LSTM" else 1
    h0 = [_x(3, 5, seed=10 + k) for k in range(n_states)]
    xt = Tensor(x, requires_grad=True)
    states = [Tensor(s, requires_grad=True) for s in h0]
    seq, *finals = layer(xt, initial_state=states)

    tx = torch.tensor(x, requires_grad=True)
    ts = [torch.tensor(s[None], requires_grad=True) for s in h0]
    tseq, tfinal = module(tx, tuple(ts) if kind == "LSTM" else ts[0])
    tfinals = list(tfinal) if kind == "LSTM" else [tfinal]
    np.testing.assert_allclose(seq.data, tseq.detach().numpy(), **TORCH_TOL)
    for ours, theirs in zip(finals, tfinals):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy()[0], **TORCH_TOL)

    cot = [_x(*t.shape, seed=20 + k) for k, t in enumerate([seq, *finals])]
    sum((t * c).sum() for t, c in zip([seq, *finals], cot)).backward()
    torch_loss = (tseq * torch.tensor(cot[0])).sum() + sum(
        (t[0] * torch.tensor(c)).sum() for t, c in zip(tfinals, cot[1:]))
    torch_loss.backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), **TORCH_TOL)
    for s, t in zip(states, ts):
        np.testing.assert_allclose(s.grad, t.grad.numpy()[0], **TORCH_TOL)
    for w, g in zip(layer.weights, _keras_grads(kind, module)):
        np.testing.assert_allclose(w.grad, g, err_msg=w.name, **TORCH_TOL)


def test_bidirectional_lstm_matches_torch():
    torch = pytest.importorskip("torch")
    x = _x(2, 6, 3, seed=8)
    module = _torch_module(torch, "LSTM", 3, 4, bidirectional=True)
    layer = L.Bidirectional(L.LSTM(4, return_sequences=True))
    layer(x)
    layer.set_weights(_keras_weights("LSTM", module) + _keras_weights("LSTM", module,
                                                                        "_l0_reverse"))
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, (tout, _) = layer(xt), module(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TORCH_TOL)
    cot = _x(*out.shape, seed=9)
    (out * cot).sum().backward()
    (tout * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), **TORCH_TOL)
    grads = _keras_grads("LSTM", module) + _keras_grads("LSTM", module, "_l0_reverse")
    for w, g in zip(layer.weights, grads):
        np.testing.assert_allclose(w.grad, g, err_msg=w.name, **TORCH_TOL)


def test_masked_gru_matches_torch_packed_sequences():
    torch = pytest.importorskip("torch")
    x = _x(3, 6, 2, seed=11)
    lengths = [6, 4, 2]
    mask = np.arange(6)[None, :] < np.array(lengths)[:, None]
    module = _torch_module(torch, "GRU", 2, 3)
    layer = L.GRU(3, return_sequences=True, return_state=True)
    layer(x)
    layer.set_weights(_keras_weights("GRU", module))
    seq, h = layer(x, mask=mask)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=True)
    tpacked, th = module(packed)
    tseq, _ = torch.nn.utils.rnn.pad_packed_sequence(tpacked, batch_first=True)
    np.testing.assert_allclose(h.data, th.detach().numpy()[0], **TORCH_TOL)
    np.testing.assert_allclose(seq.data[mask], tseq.detach().numpy()[mask], **TORCH_TOL)


def test_torch_layout_round_trips_and_rejects_reset_before():
    w = [_x(5, 12, seed=1), _x(4, 12, seed=2), _x(2, 12, seed=3)]
    back = layout.gru_from_torch(*layout.gru_to_torch(*w).values())
    for a, b in zip(w, back):
        np.testing.assert_array_equal(a, b)
    lstm = [_x(5, 16, seed=4), _x(4, 16, seed=5), _x(16, seed=6)]
    for a, b in zip(lstm, layout.lstm_from_torch(*layout.lstm_to_torch(*lstm).values())):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="reset_after=True"):
        layout.gru_to_torch(w[0], w[1], np.zeros(12))


# ----- float32 parity with Keras 3 itself (same weight layout, masks, directions) -------------
KERAS_MASK = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1]], bool)
KERAS_CASES = [
    ("lstm", lambda m: m.LSTM(5, return_sequences=True, return_state=True)),
    ("lstm-hard-sigmoid", lambda m: m.LSTM(5, recurrent_activation="hard_sigmoid")),
    ("gru", lambda m: m.GRU(5, return_sequences=True, return_state=True)),
    ("gru-reset-before-backwards", lambda m: m.GRU(5, reset_after=False, go_backwards=True,
                                                   return_sequences=True)),
    ("simple-rnn-relu", lambda m: m.SimpleRNN(5, activation="relu", return_sequences=True)),
    ("bidirectional-lstm", lambda m: m.Bidirectional(m.LSTM(5, return_sequences=True))),
    ("bidirectional-gru-sum", lambda m: m.Bidirectional(m.GRU(5), merge_mode="sum")),
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside Keras and torch
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
@pytest.mark.parametrize("name, make", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_matches_keras(name, make, masked):
    """Keras's own layers with the same weights: outputs, final states and masked steps."""
    os = pytest.importorskip("os")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = _x(3, 6, 4, seed=12)
    mask = KERAS_MASK if masked else None
    theirs_layer, ours_layer = make(keras.layers), make(L)
    theirs = theirs_layer(x, mask=mask)
    ours_layer(x)
    ours_layer.set_weights(theirs_layer.get_weights())
    ours = ours_layer(x, mask=mask)
    theirs = theirs if isinstance(theirs, list | tuple) else [theirs]
    ours = ours if isinstance(ours, list | tuple) else [ours]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, keras.ops.convert_to_numpy(b), atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_masked_leading_steps_with_initial_state_match_keras(kind):
    """Before the first kept step a masked step outputs zeros, not the initial state."""
    os = pytest.importorskip("os")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = _x(3, 6, 4, seed=13)
    mask = KERAS_MASK.copy()
    mask[1, :3] = False
    states = [_x(3, 5, seed=14 + k) for k in range(2 if kind == "LSTM" else 1)]
    theirs = getattr(keras.layers, kind)(5, return_sequences=True, return_state=True)
    ours = getattr(L, kind)(5, return_sequences=True, return_state=True)
    expected = theirs(x, mask=mask, initial_state=states)
    ours(x)
    ours.set_weights(theirs.get_weights())
    got = ours(x, mask=mask, initial_state=states)
    np.testing.assert_array_equal(got[0].data[1, :2], 0.0)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.data, keras.ops.convert_to_numpy(b), atol=1e-6)


def test_wrapper_around_a_registered_custom_layer_saves_and_loads(tmp_path):
    from numdeep.saving import register_serializable

    @register_serializable(package="tests")
    class ScaleSteps(nd.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs, training=False):
            return inputs * self.w

    inp = nd.Input(shape=(3, 2))
    model = nd.Model(inp, nd.layers.TimeDistributed(ScaleSteps())(inp))
    model.layers[-1].layer.w.data[...] = [2.0, 3.0]
    model.save(tmp_path / "m.keras")
    loaded = nd.models.load_model(tmp_path / "m.keras")
    x = np.ones((1, 3, 2), dtype="float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
