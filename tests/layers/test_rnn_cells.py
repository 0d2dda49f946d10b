"""The cell API: ``RNN`` over built-in and user-written cells, ``StackedRNNCells``, dropout
masks of ``DropoutRNNCell``; the stepped cells agree with the fused ``SimpleRNN``/``LSTM``/``GRU``
(outputs and gradients), with ``torch.nn.RNNCell/LSTMCell/GRUCell``, and pass float64
gradchecks."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor
from numdeep.saving import torch_layout as layout
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# A subclass of a built-in cell is stepped in Python (a subclass may change what a step does),
# so these run the same weights through the per-step path instead of the fused op.
class SteppedSimpleRNNCell(L.SimpleRNNCell):
    pass


class SteppedLSTMCell(L.LSTMCell):
    pass


class SteppedGRUCell(L.GRUCell):
    pass


class OneState(L.Layer):
    """A user cell: ``h' = x @ k + h @ u`` (Keras's ``MinimalRNNCell``)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.k = self.add_weight((input_shape[-1], self.units), "ones", name="k")
        self.u = self.add_weight((self.units, self.units), "ones", name="u")

    def call(self, inputs, states):
        out = inputs @ self.k + states[0] @ self.u
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


FUSED_AND_STEPPED = [
    ("simple-rnn", lambda: L.SimpleRNN(4, return_sequences=True, return_state=True),
     lambda: SteppedSimpleRNNCell(4)),
    ("simple-rnn-relu", lambda: L.SimpleRNN(4, activation="relu", return_sequences=True,
                                            return_state=True),
     lambda: SteppedSimpleRNNCell(4, activation="relu")),
    ("lstm", lambda: L.LSTM(4, return_sequences=True, return_state=True),
     lambda: SteppedLSTMCell(4)),
    ("lstm-hard-sigmoid", lambda: L.LSTM(4, recurrent_activation="hard_sigmoid",
                                         return_sequences=True, return_state=True),
     lambda: SteppedLSTMCell(4, recurrent_activation="hard_sigmoid")),
    ("gru", lambda: L.GRU(4, return_sequences=True, return_state=True),
     lambda: SteppedGRUCell(4)),
    ("gru-reset-before", lambda: L.GRU(4, reset_after=False, return_sequences=True,
                                       return_state=True),
     lambda: SteppedGRUCell(4, reset_after=False)),
]
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 0, 1, 1, 0]], bool)


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backwards"])
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
@pytest.mark.parametrize("name, fused, cell", FUSED_AND_STEPPED,
                         ids=[c[0] for c in FUSED_AND_STEPPED])
def test_stepped_cells_match_the_fused_layers(name, fused, cell, masked, go_backwards):
    x = _x(3, 5, 2, seed=1)
    mask = MASK if masked else None
    layer = fused()
    layer.go_backwards = go_backwards
    stepped = L.RNN(cell(), return_sequences=True, return_state=True, go_backwards=go_backwards)
    layer(x)
    stepped(x)
    stepped.set_weights(layer.get_weights())
    n_states = 2 if "lstm" in name else 1
    h0 = [_x(3, 4, seed=10 + k) for k in range(n_states)]
    results = []
    for rnn in (layer, stepped):
        xt = Tensor(x, requires_grad=True)
        states = [Tensor(s, requires_grad=True) for s in h0]
        outs = rnn(xt, initial_state=states, mask=mask)
        sum((o * _x(*o.shape, seed=20 + k)).sum() for k, o in enumerate(outs)).backward()
        results.append([o.data for o in outs] + [xt.grad] + [s.grad for s in states]
                       + [w.grad for w in rnn.weights])
    assert len(results[0]) == len(results[1])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=2e-6, rtol=1e-5)


def test_rnn_of_a_builtin_cell_is_the_fused_layer():
    x = _x(2, 6, 3)
    layer, rnn = L.LSTM(5), L.RNN(L.LSTMCell(5))
    layer(x)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    np.testing.assert_array_equal(rnn(x).data, layer(x).data)
    out = rnn(Tensor(x, requires_grad=True))
    op = out._ctx.parents[0]._ctx  # the output is a slice of one op's packed result
    assert type(op).__name__ == "LSTMSequence"


def test_activation_without_a_fused_kernel_steps_the_cell():
    x = _x(2, 4, 3)
    layer = L.LSTM(3, activation="gelu", return_sequences=True)
    reference = L.RNN(SteppedLSTMCell(3, activation="gelu"), return_sequences=True)
    layer(x)
    reference(x)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).data, reference(x).data, atol=1e-7)
    assert layer.get_config()["activation"] == "gelu"


def test_user_cell_state_shapes_initial_state_and_masks():
    x = np.ones((2, 4, 3), "float32")
    layer = L.RNN(OneState(2), return_sequences=True, return_state=True)
    seq, h = layer(x, initial_state=np.ones((2, 2)), mask=np.array([[1, 1, 0, 1]] * 2, bool))
    # h1 = 3 + 2, h2 = 3 + 10, step 3 masked (repeats), h4 = 3 + 2 * 13
    np.testing.assert_allclose(seq.data[0, :, 0], [5, 13, 13, 29])
    np.testing.assert_allclose(h.data, seq.data[:, -1])
    assert layer.compute_output_shape((None, None, 3)) == ((None, None, 2), (None, 2))
    zeros = L.RNN(OneState(2), return_sequences=True, zero_output_for_mask=True)
    out = zeros(x, mask=np.array([[1, 1, 0, 1]] * 2, bool)).data
    np.testing.assert_allclose(out[0, :, 0], [3, 9, 0, 21])
    with pytest.raises(ValueError, match="`call` method"):
        L.RNN(object())
    with pytest.raises(ValueError, match="`state_size` attribute"):
        L.RNN(L.Dense(2))
    with pytest.raises(ValueError, match="Cannot unroll"):
        L.RNN(OneState(2), unroll=True)(nd.Input((None, 3)))
    config = layer.get_config()
    clone = L.RNN.from_config(config, custom_objects={"OneState": OneState})
    assert clone.get_config()["cell"]["config"]["units"] == 2


def test_stacked_cells_compose_and_nest_their_states():
    x = _x(2, 5, 3)
    cells = [SteppedGRUCell(4), SteppedLSTMCell(3)]
    stacked = L.RNN(cells, return_state=True)
    out, h_gru, (h, c) = stacked(x)
    first, second = L.RNN(SteppedGRUCell(4), return_sequences=True), L.RNN(SteppedLSTMCell(3))
    first(x)
    second(first(x))
    first.set_weights(cells[0].get_weights())
    second.set_weights(cells[1].get_weights())
    np.testing.assert_allclose(out.data, second(first(x)).data, atol=1e-6)
    np.testing.assert_allclose(out.data, h.data)
    assert stacked.cell.state_size == [4, [3, 3]] and stacked.cell.output_size == 3
    assert stacked.compute_output_shape((2, 5, 3)) == ((2, 3), (2, 4), [(2, 3), (2, 3)])
    assert [w.shape for w in stacked.weights] == [(3, 12), (4, 12), (2, 12), (4, 12), (3, 12),
                                                  (12,)]


def test_dropout_masks_are_drawn_once_per_sequence_and_seeded():
    cell = L.LSTMCell(3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    assert cell.implementation == 1 and cell.dropout_mask_count == 4
    x = np.ones((2, 4), "float32")
    masks = cell.get_dropout_mask(x)
    assert len(masks) == 4 and masks is cell.get_dropout_mask(x)
    assert any(not np.array_equal(masks[0].data, m.data) for m in masks[1:])
    cell.reset_dropout_mask()
    assert cell.get_dropout_mask(x) is not masks
    seq = _x(3, 6, 2)
    a = L.RNN(SteppedGRUCell(3, dropout=0.4, recurrent_dropout=0.4, seed=5))
    b = L.RNN(SteppedGRUCell(3, dropout=0.4, recurrent_dropout=0.4, seed=5))
    a(seq)
    b(seq)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(seq, training=True).data, b(seq, training=True).data)
    assert not np.allclose(a(seq, training=True).data, a(seq).data)
    np.testing.assert_array_equal(a(seq).data, b(seq).data)
    assert a.cell._dropout_mask is None  # cleared after the call
    assert len(nd.random.seed_generators_of(a)) == 1


def test_stateful_rnn_keeps_states_as_variables():
    x = _x(2, 6, 3)
    layer = L.RNN(SteppedLSTMCell(4), stateful=True)
    first = layer(x[:, :3]).data
    second = layer(x[:, 3:]).data
    assert all(isinstance(s, nd.Variable) for s in layer.states)
    assert len(layer.weights) == 3 and not layer.non_trainable_weights
    layer.reset_state()
    np.testing.assert_allclose(layer(x[:, :3]).data, first, atol=1e-7)
    plain = L.RNN(SteppedLSTMCell(4))
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(plain(x).data, second, atol=1e-6)
    with pytest.raises(ValueError, match="batch size"):
        layer(x[:1])


def test_weights_live_in_the_cell_with_keras_paths_and_constraints():
    layer = L.GRU(3, kernel_constraint="non_neg", name="g")
    layer(_x(2, 4, 2))
    assert [w.path for w in layer.weights] == ["g/gru_cell/kernel", "g/gru_cell/recurrent_kernel",
                                               "g/gru_cell/bias"]
    assert layer.kernel is layer.cell.kernel and layer.units == 3
    assert isinstance(layer.cell.kernel.constraint, nd.constraints.NonNeg)
    assert layer.cell.recurrent_kernel.constraint is None
    assert layer.get_config()["kernel_constraint"]["class_name"] == "NonNeg"
    projected = layer.cell.kernel.constraint(layer.cell.kernel)
    np.testing.assert_array_equal(nd.ops.convert_to_numpy(projected),
                                  np.maximum(layer.cell.kernel.numpy(), 0))


@pytest.mark.parametrize("make, out_shape", [
    (lambda: L.RNN(L.LSTMCell(3), return_sequences=True), (3, 5, 3)),
    (lambda: L.RNN(SteppedLSTMCell(3), return_sequences=True), (3, 5, 3)),
    (lambda: L.RNN([SteppedGRUCell(2, reset_after=False), L.SimpleRNNCell(3)],
                   go_backwards=True), (3, 3)),
])
def test_check_layer_for_cell_rnns(make, out_shape):
    custom = {"SteppedLSTMCell": SteppedLSTMCell, "SteppedGRUCell": SteppedGRUCell}
    with nd.saving.custom_object_scope(custom):
        check_layer(make, (3, 5, 2), out_shape)


@pytest.mark.parametrize("cell", [
    lambda: SteppedLSTMCell(2, dtype="float64"),
    lambda: SteppedGRUCell(2, dtype="float64"),
    lambda: SteppedGRUCell(2, reset_after=False, dtype="float64"),
    lambda: SteppedSimpleRNNCell(2, dtype="float64"),
])
def test_stepped_rnn_gradcheck_float64(cell):
    layer = L.RNN(cell(), return_sequences=True, dtype="float64")
    mask = np.array([[True, True, False], [False, True, True]])
    x = np.random.default_rng(3).standard_normal((2, 3, 2))
    assert gradcheck_layer(layer, [x], call=lambda la, xs: la(xs[0], mask=mask))


# ----- float32 parity of one step with torch's cells --------------------------------------------
TORCH_CELLS = [("RNNCell", L.SimpleRNNCell, layout.simple_rnn_from_torch),
               ("LSTMCell", L.LSTMCell, layout.lstm_from_torch),
               ("GRUCell", L.GRUCell, layout.gru_from_torch)]


@pytest.mark.parametrize("kind, cls, convert", TORCH_CELLS, ids=[c[0] for c in TORCH_CELLS])
def test_cells_match_torch_cells(kind, cls, convert):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(3, 4)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    cell = cls(4)
    n_states = 2 if kind == "LSTMCell" else 1
    h0 = [_x(2, 4, seed=5 + k) for k in range(n_states)]
    x = _x(2, 3, seed=4)
    cell(x, [Tensor(s) for s in h0])
    cell.set_weights(convert(*(getattr(module, n).detach().numpy() for n in names)))
    xt, states = Tensor(x, requires_grad=True), [Tensor(s, requires_grad=True) for s in h0]
    out, new_states = cell(xt, states)
    tx = torch.tensor(x, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in h0]
    theirs = module(tx, tuple(ts) if n_states == 2 else ts[0])
    theirs = list(theirs) if n_states == 2 else [theirs]
    for ours, t in zip(new_states, theirs):
        np.testing.assert_allclose(ours.data, t.detach().numpy(), atol=1e-6, rtol=1e-5)
    cot = [_x(2, 4, seed=9 + k) for k in range(n_states)]
    sum((s * c).sum() for s, c in zip(new_states, cot)).backward()
    sum((t * torch.tensor(c)).sum() for t, c in zip(theirs, cot)).backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-6, rtol=1e-5)
    for s, t in zip(states, ts):
        np.testing.assert_allclose(s.grad, t.grad.numpy(), atol=1e-6, rtol=1e-5)
    grads = convert(*(getattr(module, n).grad.numpy() for n in names))
    if kind != "GRUCell":  # one Keras bias stands for bias_ih + bias_hh: its gradient is either's
        grads[2] = module.bias_ih.grad.numpy()
    for w, g in zip(cell.weights, grads):
        np.testing.assert_allclose(w.grad, g, atol=1e-6, rtol=1e-5, err_msg=w.name)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cell_rnn_files_move_between_numdeep_and_keras(tmp_path):
    os = pytest.importorskip("os")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    inputs = nd.Input((5, 3))
    outputs = [L.RNN([L.GRUCell(3), L.LSTMCell(2)], return_sequences=True)(inputs),
               L.Bidirectional(L.RNN(L.SimpleRNNCell(2)))(inputs)]
    model = nd.Model(inputs, outputs)
    path = str(tmp_path / "cells.keras")
    model.save(path)
    x = _x(2, 5, 3)
    theirs = keras.models.load_model(path)
    for a, b in zip(model.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    theirs.save(str(tmp_path / "back.keras"))
    back = nd.models.load_model(str(tmp_path / "back.keras"))
    for a, b in zip(model.predict(x, verbose=0), back.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)


class StartsAtOnes(OneState):
    """A user cell with its own ``get_initial_state`` and an ``output_size`` unlike its state."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.output_size = 1

    def get_initial_state(self, batch_size=None):
        return [np.ones((batch_size, self.units), "float32")]

    def call(self, inputs, states):
        h = inputs @ self.k + states[0] @ self.u
        return h[:, :1] * 0.5, [h]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_user_cell_initial_state_output_size_and_unroll(go_backwards):
    x = np.ones((2, 3, 2), "float32")
    mask = np.array([[1, 1, 1], [1, 0, 1]], bool)
    rolled = L.RNN(StartsAtOnes(2), return_sequences=True, return_state=True,
                   go_backwards=go_backwards)
    unrolled = L.RNN(StartsAtOnes(2), return_sequences=True, return_state=True,
                     go_backwards=go_backwards, unroll=True)
    seq, h = rolled(x, mask=mask)
    seq_u, h_u = unrolled(x, mask=mask)
    # From the cell's ones: h = 2 + 2 * 1 = 4, then 2 + 2 * 4 = 10, then 2 + 2 * 10 = 22.
    np.testing.assert_allclose(h.data[0], [22, 22])
    np.testing.assert_allclose(seq.data[0, :, 0], [2, 5, 11])
    # Sample 2 skips its masked step (the middle one, in either direction): 4, 4, 10.
    np.testing.assert_allclose(seq.data[1, :, 0], [2, 2, 5])
    np.testing.assert_array_equal(seq_u.data, seq.data)
    np.testing.assert_array_equal(h_u.data, h.data)
    assert rolled.compute_output_shape((None, 3, 2)) == ((None, 3, 1), (None, 2))
