"""``EinsumDense``: shapes of kernel, bias and output for Keras's equation forms, values against
``np.einsum``, the fans of its initializer, a float64 gradcheck and PyTorch parity."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor
from numdeep.layers.einsum_dense import _analyze_einsum_string, _einsum
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(0)

# equation, bias_axes, input shape, output_shape, kernel shape, bias shape, output shape
CASES = [
    ("ab,b->a", None, (2, 32), (), (32,), None, (2,)),
    ("ab,bc->ac", "c", (2, 32), 64, (32, 64), (64,), (2, 64)),
    ("abc,cde->abde", "be", (2, 7, 2), (7, 3, 4), (2, 3, 4), (7, 1, 4), (2, 7, 3, 4)),
    ("abc,cde->abde", "d", (2, 1, 2), (1, 3, 4), (2, 3, 4), (3, 1), (2, 1, 3, 4)),
    ("BFNH,NHD->BFD", None, (2, 1, 2, 3), (1, 4), (2, 3, 4), None, (2, 1, 4)),
    ("ibd,nd->ibn", None, (2, 2, 1), (2, 2), (2, 1), None, (2, 2, 2)),
    ("...b,bc->...c", None, (2, 3, 32), (64,), (32, 64), None, (2, 3, 64)),
    ("...bc,bc->...b", None, (2, 32, 64), (32,), (32, 64), None, (2, 32)),
    ("...c,cde->...de", "de", (2, 1, 2), (3, 4), (2, 3, 4), (3, 4), (2, 1, 3, 4)),
    ("bc...,cd->bd...", None, (2, 1, 2, 3), (4,), (1, 4), None, (2, 4, 2, 3)),
    ("bc...,cde->bde...", "de", (2, 1, 2), (3, 4), (1, 3, 4), (3, 4, 1), (2, 3, 4, 2)),
]


@pytest.mark.parametrize("eq, bias_axes, in_shape, out, kernel, bias, out_shape", CASES,
                         ids=[c[0] for c in CASES])
def test_shapes_and_values(eq, bias_axes, in_shape, out, kernel, bias, out_shape):
    layer = L.EinsumDense(eq, output_shape=out, bias_axes=bias_axes,
                          bias_initializer="glorot_uniform")
    x = RNG.standard_normal(in_shape).astype("float32")
    y = layer(x)
    assert layer.kernel.shape == kernel and y.shape == out_shape
    assert (layer.bias is None) == (bias is None) and (bias is None or layer.bias.shape == bias)
    want = np.einsum(eq, x, layer.kernel.numpy())
    if bias is not None:
        want = want + layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape(in_shape) == out_shape


def test_check_layer_and_symbolic_shapes():
    check_layer(lambda: L.EinsumDense("abc,cd->abd", (5, 4), bias_axes="d",
                                      activation="tanh"), (3, 5, 6), (3, 5, 4), 2)
    layer = L.EinsumDense("abc,cd->abd", output_shape=(None, 4))
    assert layer.compute_output_shape((None, 3, 8)) == (None, None, 4)  # before build
    assert layer(nd.Input((3, 8))).shape == (None, None, 4)  # None in output_shape, as Keras


def test_analyze_einsum_string_axes():
    kernel, bias, full, in_axes, out_axes = _analyze_einsum_string(
        "abc,cde->abde", None, (None, 10, 32), (10, 3, 4))
    assert (kernel, bias, full, in_axes, out_axes) == ([32, 3, 4], None, [None, 10, 3, 4],
                                                       [0], [1, 2])


def test_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        L.EinsumDense("ab->b", 3).build((None, 2))
    with pytest.raises(ValueError, match="Bias dimension 'x' was requested"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="x").build((None, 2))
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'"):
        L.EinsumDense("abc,cd->abd", (5, 4)).build((None, 3, 2))
    with pytest.raises(ValueError, match="Weight dimension 'z' did not have a match"):
        L.EinsumDense("ab,bz->ab", 2).build((None, 2))


def test_variance_scaling_uses_the_einsum_fans():
    # kernel (64, 8, 16): fan_in 64, fan_out 128 -> glorot limit sqrt(6 / 192).
    layer = L.EinsumDense("ab,bcd->acd", output_shape=(8, 16))
    layer.build((None, 64))
    limit = np.sqrt(6.0 / (64 + 128))
    w = layer.kernel.numpy()
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert abs(w.var() - limit ** 2 / 3) < 0.1 * limit ** 2 / 3


def test_constraints_and_config_round_trip():
    layer = L.EinsumDense("abc,cde->abde", (1, 3, 4), kernel_constraint="non_neg",
                          bias_axes="e", bias_constraint="non_neg")
    layer.build((2, 1, 2))
    assert isinstance(layer.kernel.constraint, nd.constraints.NonNeg)
    assert isinstance(layer.bias.constraint, nd.constraints.NonNeg)
    clone = L.EinsumDense.from_config(layer.get_config())
    assert clone.get_config() == {**layer.get_config(), "name": clone.name}


def test_gradcheck_float64():
    layer = L.EinsumDense("abc,cde->abde", (None, 3, 2), bias_axes="de", dtype="float64",
                          activation="tanh")
    assert gradcheck_layer(layer, [RNG.standard_normal((2, 4, 3))])
    summed = L.EinsumDense("abc,cd->ad", 2, dtype="float64")  # sums an input axis away
    assert gradcheck_layer(summed, [RNG.standard_normal((2, 4, 3))])


def test_einsum_helper_matches_numpy_for_batch_and_summed_letters():
    x, w = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    np.testing.assert_allclose(_einsum("bij,bjk->bki", Tensor(x), Tensor(w)).numpy(),
                               np.einsum("bij,bjk->bki", x, w), rtol=1e-6)
    v = RNG.standard_normal((6,))
    np.testing.assert_allclose(_einsum("abc,d->ad", Tensor(x), Tensor(v)).numpy(),
                               np.einsum("abc,d->ad", x, v), rtol=1e-6)


def test_matches_torch_einsum():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 5, 6)).astype("float32")
    layer = L.EinsumDense("...c,cde->...de", (3, 4), bias_axes="e")
    xt = Tensor(x, requires_grad=True)
    cot = RNG.standard_normal((2, 5, 3, 4)).astype("float32")
    (layer(xt) * Tensor(cot)).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tk = torch.tensor(layer.kernel.numpy(), requires_grad=True)
    tb = torch.tensor(layer.bias.numpy(), requires_grad=True)
    out = torch.einsum("...c,cde->...de", tx, tk) + tb
    (out * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(layer(x).numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.kernel.grad, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, tb.grad.numpy(), rtol=1e-4, atol=1e-5)
