"""The backward engine: deep graphs, shared nodes, no_grad scoping, freed graphs, dtypes."""

import gc
import weakref

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor, is_grad_enabled, no_grad


def test_10000_deep_chain_backward_needs_no_recursion():
    x = Tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000)


def test_deep_chain_is_freed_without_recursion_error():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = ops.tanh(y)
    ref = weakref.ref(y._ctx)
    del y
    gc.collect()
    assert ref() is None


def test_reused_non_leaf_accumulates():
    a = Tensor([3.0], requires_grad=True)
    b = a + a
    c = b * b
    c.backward(np.ones(1))
    np.testing.assert_allclose(a.grad, [24.0])  # c = 4 a^2


def test_diamond_graph():
    x = Tensor([2.0, -1.0], requires_grad=True, dtype="float64")
    left = ops.exp(x)
    right = x * 3.0
    top = left * right
    top.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data) * 3 * x.data + np.exp(x.data) * 3)


def test_no_grad_builds_no_graph_and_is_scoped():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = ops.sigmoid(w * 2.0).sum()
    assert not y.requires_grad and y._ctx is None
    assert is_grad_enabled()
    with pytest.raises(KeyError), no_grad():
        assert not is_grad_enabled()
        raise KeyError("boom")
    assert is_grad_enabled()
    assert (w * 2.0).requires_grad


def test_grad_mode_nests_restores_and_decorates():
    from numdeep.autograd.engine import set_grad_enabled

    outer = no_grad()
    with outer:
        with set_grad_enabled(True):
            assert is_grad_enabled()
            with outer:  # the same object entered again restores what it found each time
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()

    seen = []

    @no_grad()
    def step(depth):
        seen.append(is_grad_enabled())
        if depth:
            with set_grad_enabled(True):
                step(depth - 1)
                seen.append(is_grad_enabled())

    step(2)
    assert seen == [False, False, False, True, True] and is_grad_enabled()


def test_grad_mode_is_per_thread():
    import threading

    from numdeep.autograd.engine import set_grad_enabled

    inside, seen = threading.Event(), []

    def other():
        inside.wait(5)
        seen.append(is_grad_enabled())

    thread = threading.Thread(target=other)
    thread.start()
    with set_grad_enabled(False):
        inside.set()
        thread.join(5)
    assert seen == [True]


def test_second_backward_raises_unless_graph_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (ops.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (ops.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_saved_arrays_are_freed_after_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    h = ops.tanh(x)
    y = (h * x).sum()
    ctxs = [h._ctx, y._ctx]
    y.backward()
    assert all(ctx.saved is None for ctx in ctxs)


def test_leaf_grads_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0 + 2.0, 3.0 + 4.0])
    x.zero_grad()
    assert x.grad is None


def test_float32_stays_float32_with_python_scalars():
    x = Tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    y = (2 * x + 1) / 3 - 0.5
    y = y**2 + 2**x + ops.exp(-y) * 1e-3 + ops.maximum(y, 0.25) + ops.relu6(x * 7.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_backward_on_non_scalar_without_grad_raises():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()


def test_inputs_without_grad_receive_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_broadcast_gradients_are_reduced_to_input_shapes():
    a = Tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = Tensor(np.ones((4, 1)), requires_grad=True)
    ops.add(a, b).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad, 4.0)
    np.testing.assert_allclose(b.grad, 6.0)
