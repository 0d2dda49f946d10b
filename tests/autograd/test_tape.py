import numpy as np
import pytest

import numdeep as nd


def test_tape_gradients_match_backward_and_leave_grad_untouched():
    rng = np.random.default_rng(0)
    w = nd.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = nd.Tensor(rng.standard_normal((4, 3)))
    with nd.GradientTape() as tape:
        loss = ((x @ w).tanh() ** 2).sum()
    (g,) = tape.gradient(loss, [w])
    assert w.grad is None
    loss2 = ((x @ w).tanh() ** 2).sum()
    loss2.backward()
    np.testing.assert_allclose(g, w.grad, rtol=1e-6)


def test_unconnected_source_gives_none_and_structure_is_kept():
    a = nd.Tensor([1.0], requires_grad=True)
    b = nd.Tensor([2.0], requires_grad=True)
    with nd.GradientTape() as tape:
        y = (a * 3).sum()
    ga, (gb,) = tape.gradient(y, (a, [b]))
    assert ga.tolist() == [3.0] and gb is None


def test_second_gradient_call_needs_persistent_tape():
    a = nd.Tensor([2.0], requires_grad=True)
    with nd.GradientTape() as tape:
        y = (a * a).sum()
    tape.gradient(y, [a])
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, [a])
    with nd.GradientTape(persistent=True) as tape:
        y = (a * a).sum()
    assert tape.gradient(y, a).tolist() == tape.gradient(y, a).tolist() == [4.0]


def test_watch_differentiates_plain_tensors_only_inside_the_tape():
    x = nd.Tensor([1.0, 2.0])
    with nd.GradientTape() as tape:
        tape.watch(x)
        y = (x ** 2).sum()
    assert tape.gradient(y, x).tolist() == [2.0, 4.0]
    assert x.requires_grad is False


def test_grad_function_transform():
    df = nd.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))
    gx, gy = df(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]


def test_frozen_layer_records_no_weight_gradient_but_passes_gradient_through():
    first, second = nd.layers.Dense(3), nd.layers.Dense(1)
    x = np.ones((2, 4), dtype="float32")
    second(first(x))
    second.trainable = False
    with nd.GradientTape() as tape:
        loss = second(first(x)).sum()
    g_first, g_second = tape.gradient(loss, [first.kernel, second.kernel])
    assert g_first is not None and g_second is None
    second.trainable = True
    assert second.kernel.requires_grad
