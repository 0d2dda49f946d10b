"""Activation layers: Keras's argument checks, ``Softmax`` with a mask and over several axes,
``PReLU`` (harness, shared axes, float64 gradcheck, PyTorch parity)."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("make, match", [
    (lambda: L.ReLU(max_value=-1), "max_value of a ReLU layer cannot be a negative value"),
    (lambda: L.ReLU(negative_slope=None), "negative_slope of a ReLU layer cannot be None"),
    (lambda: L.ReLU(threshold=None), "threshold of a ReLU layer cannot be None"),
    (lambda: L.ReLU(threshold=-0.5), "threshold of a ReLU layer cannot be None or a negative"),
    (lambda: L.LeakyReLU(negative_slope=None), "negative_slope value of a Leaky ReLU layer"),
])
def test_invalid_arguments_use_keras_messages(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_relu_threshold_and_cap():
    y = L.ReLU(max_value=8, threshold=5)(np.array([6.0, 7.0, 0.0, 5.0, 10.0], "float32"))
    np.testing.assert_array_equal(y.numpy(), [6.0, 7.0, 0.0, 0.0, 8.0])


def test_softmax_mask_zeroes_masked_entries_and_fully_masked_rows():
    x = np.array([[1.0, 2.0, 5.0, 1.0], [1.0, 1.0, 1.0, 1.0]], "float32")
    mask = np.array([[True, True, False, False], [False, False, False, False]])
    y = L.Softmax()(x, mask=mask).numpy()
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(y[0], [*(e / e.sum()), 0.0, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(y[1], 0.0)
    # 0/1 floats and masks with fewer axes broadcast.
    y = L.Softmax()(np.ones((2, 3), "float32"), mask=np.array([1.0, 0.0, 1.0])).numpy()
    np.testing.assert_allclose(y, [[0.5, 0.0, 0.5]] * 2)


def test_softmax_over_two_axes():
    x = np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]], "float32")
    y = L.Softmax(axis=(1, 0))(x).numpy()
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(), rtol=1e-6)


def test_softmax_mask_errors():
    layer = L.Softmax()
    with pytest.raises(ValueError, match="broadcastable"):
        layer(np.ones((1, 3), "float32"), mask=np.ones((2, 3)))
    with pytest.raises(ValueError, match="must not have more dimensions"):
        layer(np.ones((1, 3), "float32"), mask=np.ones((1, 1, 3)))


def test_softmax_mask_gradient_float64():
    mask = np.array([[True, False, True], [True, True, False]])
    layer = L.Softmax(dtype="float64")
    assert nd.autograd.gradcheck(lambda x: layer(x, mask=mask), [RNG.standard_normal((2, 3))])


@pytest.mark.parametrize("make, shape, n_alpha", [
    (lambda: L.PReLU(), (4, 5), 5),
    (lambda: L.PReLU(shared_axes=[1, 2], alpha_initializer="ones"), (2, 3, 3, 4), 4),
    (lambda: L.PReLU(shared_axes=1, alpha_regularizer="l2", alpha_constraint="non_neg"),
     (2, 3, 4), 4),
])
def test_prelu_check_layer(make, shape, n_alpha):
    layer = check_layer(make, shape, shape, 1)
    assert layer.alpha.size == n_alpha


def test_prelu_values_and_input_spec():
    layer = L.PReLU(alpha_initializer=nd.initializers.Constant(0.25), shared_axes=1)
    x = np.array([[[-4.0, 2.0], [1.0, -8.0]]], "float32")
    np.testing.assert_array_equal(layer(x).numpy(), [[[-1.0, 2.0], [1.0, -2.0]]])
    assert layer.alpha.shape == (1, 2)
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 2"):
        layer(np.ones((1, 2, 3), "float32"))


def test_prelu_gradcheck_float64():
    x = RNG.uniform(0.1, 1.0, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4))  # away from the kink
    layer = L.PReLU(alpha_initializer="glorot_uniform", dtype="float64")
    assert gradcheck_layer(layer, [x])


def test_prelu_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    alpha = RNG.uniform(0.0, 0.5, (3,)).astype("float32")
    layer = L.PReLU(shared_axes=[2, 3])
    layer.build(x.shape)
    layer.alpha.assign(alpha.reshape(3, 1, 1))
    xt = Tensor(x, requires_grad=True)
    cot = RNG.standard_normal(x.shape).astype("float32")
    (layer(xt) * Tensor(cot)).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    ta = torch.tensor(alpha, requires_grad=True)
    out = torch.nn.functional.prelu(tx, ta)  # channels on axis 1, as the shared axes give
    (out * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(layer(x).numpy(), out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(layer.alpha.grad.ravel(), ta.grad.numpy(), rtol=1e-4, atol=1e-4)
