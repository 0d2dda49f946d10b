"""LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization: the layer
harness, float64 gradchecks through the layers, torch parity, Keras semantics and errors."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, n_weights",
    [
        (lambda: L.LayerNormalization(), (3, 5), 2),
        (lambda: L.LayerNormalization(axis=[1, 2], center=False), (2, 3, 4), 1),
        (lambda: L.LayerNormalization(axis=1, gamma_regularizer="l2"), (2, 3, 4), 2),
        (lambda: L.LayerNormalization(rms_scaling=True), (2, 3, 4), 1),
        (lambda: L.GroupNormalization(groups=2), (2, 5, 4), 2),
        (lambda: L.GroupNormalization(groups=-1, axis=1, scale=False), (2, 3, 4), 1),
        (lambda: L.UnitNormalization(axis=[1, 2]), (2, 3, 4), 0),
        (lambda: L.RMSNormalization(), (3, 2, 6), 1),
    ],
)
def test_check_layer(make, in_shape, n_weights):
    check_layer(make, in_shape, in_shape, n_weights)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: L.LayerNormalization(epsilon=1e-3, dtype="float64"), (3, 5)),
        (lambda: L.LayerNormalization(axis=[1, 2], dtype="float64"), (2, 3, 2)),
        (lambda: L.LayerNormalization(rms_scaling=True, dtype="float64"), (2, 4)),
        (lambda: L.GroupNormalization(groups=2, dtype="float64"), (2, 3, 4)),
        (lambda: L.UnitNormalization(dtype="float64"), (3, 4)),
        (lambda: L.RMSNormalization(dtype="float64"), (3, 4)),
    ],
)
def test_gradcheck_through_the_layer(make, shape):
    layer = make()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 2 + 1
    layer(nd.Tensor(x))
    # non-trivial gamma/beta so their gradients are exercised
    layer.set_weights([rng.standard_normal(w.shape) for w in layer.weights])
    assert gradcheck_layer(layer, [x])


def test_layer_norm_matches_keras_formula_and_weight_order():
    layer = L.LayerNormalization(axis=-1, epsilon=1e-3)
    x = np.random.default_rng(1).standard_normal((4, 6)).astype("float32") * 3
    y = layer(x)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-5)
    assert layer.get_config()["epsilon"] == 1e-3 and layer.get_config()["axis"] == -1


def test_group_norm_groups_channels_and_instance_mode():
    x = np.random.default_rng(2).standard_normal((2, 5, 6))
    y = L.GroupNormalization(groups=3, epsilon=0.0, dtype="float64")(nd.Tensor(x)).numpy()
    g = x.reshape(2, 5, 3, 2)
    ref = (g - g.mean((1, 3), keepdims=True)) / g.std((1, 3), keepdims=True)
    np.testing.assert_allclose(y, ref.reshape(x.shape), atol=1e-10)
    inst = L.GroupNormalization(groups=-1, epsilon=0.0, dtype="float64")(nd.Tensor(x)).numpy()
    np.testing.assert_allclose(inst, (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True),
                               atol=1e-10)


def test_unit_normalization_of_zero_is_zero_with_finite_gradient():
    x = nd.Tensor(np.zeros((2, 3), dtype="float32"), requires_grad=True)
    with np.errstate(all="raise"):
        y = L.UnitNormalization()(x)
        y.sum().backward()
    assert (y.data == 0).all() and np.isfinite(x.grad).all()


def test_layer_norm_passes_masks_through():
    x = nd.Tensor(np.ones((2, 3, 4), dtype="float32"))
    x._keras_mask = np.array([[True, True, False], [True, False, False]])
    for layer in (L.LayerNormalization(), L.GroupNormalization(2), L.UnitNormalization()):
        np.testing.assert_array_equal(layer(x)._keras_mask, x._keras_mask)
    # Keras's RMSNormalization does not support masking: the mask ends there.
    assert getattr(L.RMSNormalization()(x), "_keras_mask", None) is None


def test_errors_name_the_layer_and_the_problem():
    with pytest.raises(ValueError, match=r"Number of groups \(4\) must be a multiple of the "
                                         r"number of channels \(6\)"):
        L.GroupNormalization(groups=4, name="gn")(np.zeros((1, 6), dtype="float32"))
    with pytest.raises(ValueError, match=r"Number of groups \(5\) cannot be more than the "
                                         r"number of channels \(4\)"):
        L.GroupNormalization(groups=5)(np.zeros((1, 4), dtype="float32"))
    with pytest.raises(ValueError, match="should have a defined dimension"):
        L.GroupNormalization()(nd.Input(batch_shape=(None, 2, None)))
    for bad in (0, -2, 1.5, "32"):
        with pytest.raises(ValueError, match="invalid value for argument `groups`"):
            L.GroupNormalization(groups=bad)
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints for the "
                                        "argument 'axis'"):
        L.LayerNormalization(axis="last")
    with pytest.raises(TypeError, match="Invalid value for `axis` argument"):
        L.UnitNormalization(axis={"axis": -1})
    with pytest.raises(ValueError, match=r"'ln': Axis 3 is out of bounds"):
        L.LayerNormalization(axis=3, name="ln")(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="batch axis"):
        L.LayerNormalization(axis=0)(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="epsilon"):
        L.LayerNormalization(epsilon=-1.0)
    layer = L.LayerNormalization()
    layer(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="expected axis -1"):
        layer(np.zeros((2, 4), dtype="float32"))


# ----- float32 parity with PyTorch ---------------------------------------------------------------
def _torch_parity(ours, theirs, x, to_torch=lambda t: t, from_torch=lambda t: t):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    xn = nd.Tensor(x, requires_grad=True)
    y = ours(xn)
    t = from_torch(theirs(to_torch(xt)))
    np.testing.assert_allclose(y.data, t.detach().numpy(), atol=1e-5, rtol=1e-4)
    cot = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    y.backward(cot)
    t.backward(torch.from_numpy(cot))
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-5, rtol=1e-4)
    return torch


def test_layer_norm_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((4, 7, 16)).astype("float32") * 2 + 1
    ref = torch.nn.LayerNorm(16, eps=1e-5)
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    ours = L.LayerNormalization(epsilon=1e-5)
    ours(x)
    ours.set_weights([ref.weight.detach().numpy(), ref.bias.detach().numpy()])
    _torch_parity(ours, ref, x)
    np.testing.assert_allclose(ours.gamma.grad, ref.weight.grad.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(ours.beta.grad, ref.bias.grad.numpy(), atol=1e-4, rtol=1e-4)


def test_group_norm_matches_torch_channels_first():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((2, 5, 8)).astype("float32")  # (N, L, C)
    ref = torch.nn.GroupNorm(4, 8, eps=1e-3)
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    ours = L.GroupNormalization(groups=4)
    ours(x)
    ours.set_weights([ref.weight.detach().numpy(), ref.bias.detach().numpy()])
    _torch_parity(ours, ref, x, lambda t: t.transpose(1, 2), lambda t: t.transpose(1, 2))


def test_rms_norm_matches_torch():
    torch = pytest.importorskip("torch")
    if not hasattr(torch.nn, "RMSNorm"):
        pytest.skip("torch.nn.RMSNorm needs torch >= 2.4")
    x = np.random.default_rng(5).standard_normal((3, 4, 10)).astype("float32")
    ref = torch.nn.RMSNorm(10, eps=1e-6)
    with torch.no_grad():
        ref.weight.normal_()
    ours = L.RMSNormalization()
    ours(x)
    ours.set_weights([ref.weight.detach().numpy()])
    _torch_parity(ours, ref, x)


def test_unit_normalization_matches_torch_normalize():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal((3, 5)).astype("float32")
    _torch_parity(L.UnitNormalization(), lambda t: torch.nn.functional.normalize(t, dim=-1), x)


def test_per_sample_norms_follow_the_rank_of_each_call():
    # Built on rank 3, called on rank 4: axis -1 stays the last axis (Keras resolves it per call).
    x = np.random.default_rng(0).normal(5.0, 10.0, (50, 2, 2, 2)).astype("float32")
    ln = L.LayerNormalization()
    ln.build((2, 2, 2))
    y = ln(x).data
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-4)
    np.testing.assert_allclose(y, (x - x.mean(-1, keepdims=True)) /
                               np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-4, atol=1e-4)
    rms = L.RMSNormalization()
    rms.build((2, 2, 2))
    np.testing.assert_allclose(rms(x).data, x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6),
                               rtol=1e-5)
    assert not rms.supports_masking  # as in Keras
    unit = L.UnitNormalization(axis=(1, 2))
    assert unit.built  # no state: built at creation, as Keras's
    np.testing.assert_allclose((unit(x).data ** 2).sum((1, 2)), 1, rtol=1e-5)


def test_constraints_are_attached():
    ln = L.LayerNormalization(gamma_constraint="non_neg", beta_constraint="unit_norm")
    ln.build((None, 3))
    assert isinstance(ln.gamma.constraint, nd.constraints.NonNeg)
    assert isinstance(ln.beta.constraint, nd.constraints.UnitNorm)
    gn = L.GroupNormalization(groups=2, gamma_constraint="non_neg")
    gn.build((None, 4))
    assert isinstance(gn.gamma.constraint, nd.constraints.NonNeg)
    assert gn.get_config()["gamma_constraint"]["class_name"] == "NonNeg"
