"""ConvLSTM1D/2D/3D and ConvLSTMCell: Keras's layout and numbers (against a NumPy reference and
Keras itself), both data formats, masks, dropout, float64 gradchecks and the layer harness."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _conv1d(x, w, padding):
    """``(batch, steps, in) * (k, in, out)`` cross-correlation, stride 1."""
    k = w.shape[0]
    if padding == "same":
        x = np.pad(x, ((0, 0), ((k - 1) // 2, k // 2), (0, 0)))
    steps = x.shape[1] - k + 1
    return sum(x[:, i:i + steps] @ w[i] for i in range(k))


def _conv_lstm1d_reference(x, kernel, recurrent, bias, padding):
    h = c = None
    for t in range(x.shape[1]):
        z = _conv1d(x[:, t], kernel, padding) + bias
        if h is None:
            h = c = np.zeros(z.shape[:2] + (recurrent.shape[1],))
        i, f, g, o = np.split(z + _conv1d(h, recurrent, "same"), 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
    return h


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_lstm1d_matches_a_numpy_reference(padding):
    x = _x(2, 4, 7, 3, seed=1)
    layer = L.ConvLSTM1D(5, 3, padding=padding, bias_initializer="glorot_uniform")
    out = layer(x).data
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 20) and recurrent.shape == (3, 5, 20) and bias.shape == (20,)
    np.testing.assert_allclose(out, _conv_lstm1d_reference(x, kernel, recurrent, bias, padding),
                               atol=1e-5)


def test_unit_forget_bias_and_weight_paths():
    layer = L.ConvLSTM2D(2, 3, name="c")
    layer(_x(1, 2, 5, 5, 1))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    assert [w.path for w in layer.weights] == ["c/conv_lstm_cell/kernel",
                                               "c/conv_lstm_cell/recurrent_kernel",
                                               "c/conv_lstm_cell/bias"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs", [{}, {"padding": "same", "return_sequences": True,
                                         "go_backwards": True},
                                    {"strides": 2, "return_state": True}])
def test_conv_lstm2d_matches_keras(kwargs):
    os = pytest.importorskip("os")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = _x(2, 3, 6, 6, 2, seed=2)
    theirs = keras.layers.ConvLSTM2D(3, 3, **kwargs)
    expected = theirs(x)
    ours = L.ConvLSTM2D(3, 3, **kwargs)
    ours(x)
    ours.set_weights(theirs.get_weights())
    got = ours(x)
    expected = expected if isinstance(expected, list | tuple) else [expected]
    got = got if isinstance(got, tuple) else [got]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.data, keras.ops.convert_to_numpy(b), atol=2e-6)
    assert ours.compute_output_shape(x.shape) == (
        tuple(t.shape for t in got) if len(got) > 1 else got[0].shape)


def test_channels_first_is_a_transpose_of_channels_last():
    x = _x(2, 3, 5, 5, 2, seed=3)
    last = L.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    first = L.ConvLSTM2D(4, 3, padding="same", return_sequences=True,
                         data_format="channels_first")
    y = last(x)
    first(x.transpose(0, 1, 4, 2, 3))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first(x.transpose(0, 1, 4, 2, 3)).data,
                               y.data.transpose(0, 1, 4, 2, 3), atol=1e-6)


def test_masks_dropout_and_errors():
    x = _x(2, 4, 5, 2, seed=4)
    layer = L.ConvLSTM1D(3, 3, return_sequences=True, dropout=0.3, recurrent_dropout=0.3,
                         seed=1)
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 1]], bool)
    out = layer(x, mask=mask).data
    np.testing.assert_array_equal(out[1, 2], out[1, 0])  # masked steps repeat the output
    assert not np.allclose(layer(x, training=True).data, layer(x).data)
    assert len(layer.cell.get_dropout_mask(x[:, 0])) == 4  # one mask per gate
    layer.cell.reset_dropout_mask()
    with pytest.raises(ValueError, match="`strides > 1` is not compatible"):
        L.ConvLSTM2D(1, 1, strides=2, dilation_rate=3)
    with pytest.raises(ValueError, match="expects inputs of rank 5"):
        L.ConvLSTM2D(1, 3)(_x(2, 3, 4, 1))


@pytest.mark.parametrize("make, shape, out", [
    (lambda: L.ConvLSTM1D(3, 2, padding="same", return_sequences=True), (2, 3, 5, 2),
     (2, 3, 5, 3)),
    (lambda: L.ConvLSTM2D(2, 2), (2, 2, 4, 4, 1), (2, 3, 3, 2)),
    (lambda: L.ConvLSTM3D(2, 2, padding="same"), (1, 2, 3, 3, 3, 1), (1, 3, 3, 3, 2)),
])
def test_check_layer(make, shape, out):
    check_layer(make, shape, out, 3)


@pytest.mark.parametrize("make", [
    lambda: L.ConvLSTM1D(2, 2, padding="same", return_sequences=True, dtype="float64"),
    lambda: L.ConvLSTM2D(2, 2, strides=1, go_backwards=True, dtype="float64"),
])
def test_gradcheck_float64(make):
    layer = make()
    shape = (2, 3, 4, 2) if isinstance(layer, L.ConvLSTM1D) else (1, 2, 3, 3, 1)
    x = np.random.default_rng(5).standard_normal(shape)
    assert gradcheck_layer(layer, [x], mode="random")


def test_cell_steps_like_the_layer():
    x = _x(2, 3, 4, 4, 2, seed=6)
    layer = L.ConvLSTM2D(3, 3, padding="same", return_state=True)
    out, h, c = layer(x)
    cell = layer.cell
    states = cell.get_initial_state(2)
    for t in range(3):
        _, states = cell(x[:, t], states)
    np.testing.assert_allclose(states[0].data, h.data, atol=1e-6)
    np.testing.assert_allclose(states[1].data, c.data, atol=1e-6)
    assert cell.compute_output_shape((2, 4, 4, 2))[0] == (2, 4, 4, 3)
