"""Second derivatives: nested tapes, ``grad(grad(f))``, Hessian-vector products.

Every row of the gradcheck tables (``test_table_coverage.CASES``) is checked in float64: the
Hessian-vector product of ``<f(x), u>`` computed through the primitives' differentiable
backward (``backward_graph``) must equal central differences of the first-order gradient, and,
when torch is importable, PyTorch's ``create_graph=True`` result. A row that goes through a
primitive with no differentiable backward (``FIRST_ORDER_ONLY``) must instead raise an error
naming that primitive, never give a silent zero.
"""

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import GradientTape, Tensor

from .test_ops_gradcheck import Case, distinct, normal
from .test_table_coverage import CASES

# Primitives whose backward is not differentiable yet: a nested gradient through them raises.
FIRST_ORDER_ONLY = {
    "MaskedSoftmax", "BatchNorm", "Prod", "Cumsum", "Cumprod",
    "Einsum", "Slogdet", "Cholesky", "Solve", "SolveTriangular", "Eigh", "Inv",
    "SparseCrossEntropyFromProbs", "Arctan2",
    "Conv",  # grouped convolutions only; groups=1 is twice differentiable
    "_Custom",  # a user's Function without backward_graph (ops.custom_gradient)
}


def _float_inputs(case):
    return [x for x in case.sample() if x.dtype.kind == "f"]


def _cotangents(case, inputs):
    rng = np.random.default_rng(1)
    y = case.fn(*[Tensor(x) for x in inputs])
    u = rng.standard_normal(y.shape)
    return u, [rng.standard_normal(x.shape) for x in inputs]


def _first_order(case, inputs, u):
    ts = [Tensor(x, requires_grad=True) for x in inputs]
    y = case.fn(*ts)
    with GradientTape() as tape:
        pass
    grads = tape.gradient(y, ts, output_gradients=u)
    return [np.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


def hvp(case, inputs, u, vs):
    """d/dx <grad_x <f(x), u>, v> with nested tapes."""
    ts = [Tensor(x, requires_grad=True) for x in inputs]
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = case.fn(*ts)
        grads = inner.gradient(y, ts, output_gradients=u)
        s = Tensor(0.0, dtype="float64")
        for g, v in zip(grads, vs):
            if g is not None:
                assert isinstance(g, Tensor)
                s = s + (g * v).sum()
    second = outer.gradient(s, ts)
    return [np.zeros_like(x) if h is None else h for h, x in zip(second, inputs)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hessian_vector_product_matches_central_differences(case):
    inputs = _float_inputs(case)
    if len(inputs) != len(case.sample()):
        pytest.skip("integer inputs")
    u, vs = _cotangents(case, inputs)
    try:
        ours = hvp(case, inputs, u, vs)
    except NotImplementedError as err:
        name = str(err).split("primitive ")[1].split(":")[0]
        assert name in FIRST_ORDER_ONLY, err
        return
    eps = 1e-6
    plus = _first_order(case, [x + eps * v for x, v in zip(inputs, vs)], u)
    minus = _first_order(case, [x - eps * v for x, v in zip(inputs, vs)], u)
    for k, (h, p, m) in enumerate(zip(ours, plus, minus)):
        assert h.dtype == np.float64
        np.testing.assert_allclose(h, (p - m) / (2 * eps), atol=1e-6, rtol=1e-5,
                                   err_msg=f"Hessian-vector product, input {k}")


@pytest.mark.parametrize("case", [c for c in CASES if c.torch is not None],
                         ids=lambda c: c.name)
def test_hessian_vector_product_matches_torch_create_graph(case):
    torch = pytest.importorskip("torch")
    inputs = _float_inputs(case)
    if len(inputs) != len(case.sample()):
        pytest.skip("integer inputs")
    u, vs = _cotangents(case, inputs)
    try:
        ours = hvp(case, inputs, u, vs)
    except NotImplementedError:
        pytest.skip("first-order only (checked above)")
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    y = case.torch(torch, *theirs)
    if not np.allclose(case.fn(*inputs).data, y.detach().numpy(), atol=1e-9, rtol=1e-7):
        # e.g. ops.gelu defaults to the tanh form, the row's torch reference to the exact one
        pytest.skip("the row's torch reference differs in float64 (first-order tolerance)")
    grads = torch.autograd.grad(y, theirs, torch.from_numpy(u), create_graph=True,
                                allow_unused=True)
    s = sum((g * torch.from_numpy(v)).sum() for g, v in zip(grads, vs) if g is not None)
    expected = [np.zeros_like(x) for x in inputs]
    if isinstance(s, torch.Tensor) and s.requires_grad:
        try:
            second = torch.autograd.grad(s, theirs, allow_unused=True)
        except (RuntimeError, NotImplementedError) as err:  # hardsigmoid, cdist, ctc_loss
            if "not implemented" not in str(err):
                raise
            pytest.skip("PyTorch has no double backward here (central differences check it)")
        expected = [e if h is None else h.numpy(force=True) for e, h in zip(expected, second)]
    for k, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, atol=1e-9, rtol=1e-7, err_msg=f"input {k}")


# ----- the public API ---------------------------------------------------------------------------
def test_nested_tapes_give_the_second_derivative_and_plain_tapes_still_give_arrays():
    x = Tensor([1.0, 2.0, -0.5])
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            y = (x ** 3 + x.exp()).sum()
        dy = inner.gradient(y, x)
    assert isinstance(dy, Tensor)
    d2y = outer.gradient(dy, x)
    assert isinstance(d2y, np.ndarray) and d2y.dtype == np.float32
    np.testing.assert_allclose(d2y, 6 * x.data + np.exp(x.data), rtol=1e-6)


def test_grad_of_grad_and_third_derivative():
    f = lambda x: (x * x.tanh()).sum()  # noqa: E731
    d1 = nd.grad(f)
    d2 = nd.grad(lambda x: d1(x).sum())
    d3 = nd.grad(lambda x: d2(x).sum())
    x = np.array([0.3, -1.2, 2.0])
    t, s2 = np.tanh(x), 1 - np.tanh(x) ** 2
    assert isinstance(d1(x), np.ndarray)
    np.testing.assert_allclose(d1(x), t + x * s2, rtol=1e-12)
    np.testing.assert_allclose(d2(x), 2 * s2 - 2 * x * t * s2, rtol=1e-12)
    np.testing.assert_allclose(d3(x), -6 * t * s2 - 2 * x * s2 * (1 - 3 * t * t), rtol=1e-12)


def test_persistent_tape_differentiates_its_own_gradient_inside_its_block():
    x = Tensor([0.5, 1.5])
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = (x.sigmoid() * x).sum()
        dy = tape.gradient(y, x)
        d2y = tape.gradient(dy.sum(), x)
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(dy.data, s + x.data * s * (1 - s), rtol=1e-6)
    np.testing.assert_allclose(d2y.data, 2 * s * (1 - s) + x.data * s * (1 - s) * (1 - 2 * s),
                               rtol=1e-5)


def test_unconnected_second_derivative_is_none_for_tapes_and_zero_for_grad():
    x = Tensor([1.0, 2.0])
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            y = (3 * x).sum()  # linear: the gradient is a constant
        dy = inner.gradient(y, x)
    assert outer.gradient(dy, x) is None
    assert nd.grad(lambda x: nd.grad(lambda z: (3 * z).sum())(x).sum())(x).tolist() == [0, 0]


def test_primitive_without_differentiable_backward_raises_naming_it():
    x = Tensor([0.5, 1.5, 2.0])
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            y = nd.ops.cumprod(x).sum()
        dy = inner.gradient(y, x)  # the first-order value is still right
    np.testing.assert_allclose(dy.data, [1 + 1.5 + 3.0, 0.5 + 1.0, 0.75], rtol=1e-6)
    with pytest.raises(NotImplementedError, match="primitive Cumprod"):
        outer.gradient(dy, x)
    with pytest.raises(NotImplementedError, match="primitive Cumprod"):
        nd.grad(lambda x: nd.grad(lambda z: nd.ops.cumprod(z).sum())(x).sum())(x)


def test_conv_kernel_gradient_op_passes_gradcheck():
    from numdeep.autograd import gradcheck
    from numdeep.autograd.primitives.conv import _ConvKernelGrad

    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((2, 3, 2, 4))
    fn = lambda x, gy: _ConvKernelGrad.apply(  # noqa: E731
        x, gy, strides=(2, 2), dilation=(1, 1), padding=[(1, 1), (0, 1)], ksize=(3, 3))
    assert fn(Tensor(x), Tensor(gy)).shape == (3, 3, 3, 4)
    assert gradcheck(fn, [x, gy])


def test_mlp_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype("float32")
    labels = np.array([0, 2, 1, 2, 0, 1])
    layers = [nd.layers.Dense(8, activation="softplus"), nd.layers.LeakyReLU(0.2),
              nd.layers.Dense(8, activation="tanh"), nd.layers.Dense(3)]
    model = nd.Sequential([nd.Input((4,))] + layers)
    weights = model.trainable_weights
    vs = [rng.standard_normal(w.shape).astype("float32") for w in weights]
    loss_fn = nd.losses.SparseCategoricalCrossentropy(from_logits=True)
    with GradientTape() as outer:
        with GradientTape() as inner:
            loss = loss_fn(labels, model(x))
        grads = inner.gradient(loss, weights)
        gv = sum((g * v).sum() for g, v in zip(grads, vs))
    hv = outer.gradient(gv, weights)

    tw = [torch.tensor(np.array(w.data), requires_grad=True) for w in weights]
    h = torch.nn.functional.softplus(torch.from_numpy(x) @ tw[0] + tw[1])
    h = torch.nn.functional.leaky_relu(h, 0.2)
    h = torch.tanh(h @ tw[2] + tw[3])
    t_loss = torch.nn.functional.cross_entropy(h @ tw[4] + tw[5], torch.as_tensor(labels))
    t_grads = torch.autograd.grad(t_loss, tw, create_graph=True)
    t_gv = sum((g * torch.from_numpy(v)).sum() for g, v in zip(t_grads, vs))
    for ours, theirs in zip(hv, torch.autograd.grad(t_gv, tw)):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-5, rtol=1e-4)


def _chain(op):
    return lambda x: ((op(x) * 0.2).tanh() ** 2).sum()  # nonlinear after the op: H v uses it


POOLED = [
    Case("max_pool:2x2", _chain(lambda x: nd.ops.max_pool(x, 2)), (distinct(2, 4, 4, 3),)),
    Case("max_pool:overlapping-same",
         _chain(lambda x: nd.ops.max_pool(x, 3, strides=2, padding="same")),
         (distinct(2, 5, 5, 2),)),
    Case("average_pool:2x2", _chain(lambda x: nd.ops.average_pool(x, 2)), (normal(2, 4, 4, 3),)),
    Case("average_pool:overlapping-same",
         _chain(lambda x: nd.ops.average_pool(x, 3, strides=2, padding="same")),
         (normal(2, 5, 5, 2),)),
    Case("conv:third-order", lambda x, w: _chain(lambda x: nd.ops.conv(x, w, 2, "same"))(x),
         (normal(2, 5, 5, 2), normal(3, 3, 2, 3))),
]


@pytest.mark.parametrize("case", POOLED, ids=lambda c: c.name)
def test_hessian_vector_product_through_pooling_and_convolution(case):
    inputs = case.sample()
    u, vs = _cotangents(case, inputs)
    ours = hvp(case, inputs, u, vs)
    eps = 1e-6
    plus = _first_order(case, [x + eps * v for x, v in zip(inputs, vs)], u)
    minus = _first_order(case, [x - eps * v for x, v in zip(inputs, vs)], u)
    for h, p, m in zip(ours, plus, minus):
        assert np.abs(h).max() > 1e-3
        np.testing.assert_allclose(h, (p - m) / (2 * eps), atol=1e-6, rtol=1e-5)
