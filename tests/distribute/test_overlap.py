"""Gradient buckets whose allreduce starts while ``backward`` runs (``GradientReducer.arm``),
checked in one process against a stand-in communicator of two ranks that records what starts
when (its "allreduce" leaves each buffer as it is, so the result is this rank's own part)."""

import numpy as np
import pytest

pytest.importorskip("mpi4py")

import numdeep as nd  # noqa: E402
from numdeep.autograd import engine  # noqa: E402
from numdeep.distribute import GradientReducer  # noqa: E402


class _RecordingComm:
    size = 2

    def __init__(self):
        self.events = []

    def start_allreduce(self, buffer, op="sum"):
        self.events.append(("start", buffer.size))
        return None

    def progress(self, requests):
        return True

    def wait(self, requests, what=""):
        self.events.append(("wait", what))


def _model():
    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.layers.Dense(6, activation="relu", input_shape=(5,)),
                           nd.layers.Dense(4, activation="relu"), nd.layers.Dense(1)])
    model.build((None, 5))
    return model


def _backward(model):
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    weights = model.trainable_weights
    for w in weights:
        w.grad = None
    (model(x) ** 2).mean().backward()
    return weights


def test_buckets_start_during_backward_last_first_and_reduce_to_the_same_numbers():
    model = _model()
    weights = _backward(model)
    plain = GradientReducer(_RecordingComm(), bucket_bytes=64)
    expected = [g.copy() for g in plain.reduce([w.grad for w in weights], weights, 0.25)]
    # 64-byte buckets: [kernel 1 (120 B)], [bias 1], [kernel 2 (96 B)], [bias 2, kernel 3,
    # bias 3]; every bucket but the first (which also carries the flags) can start early.
    buckets = len(plain._layout.buckets)
    assert buckets == 4 and plain.early_buckets == 0

    comm = _RecordingComm()
    reducer = GradientReducer(comm, bucket_bytes=64)
    reducer.arm(weights, lambda: 0.25)
    _backward(model)
    assert engine.LEAF_GRAD_HOOKS == [reducer._on_leaf]
    assert reducer.early_buckets == buckets - 1 and not any(e[0] == "wait" for e in comm.events)
    # The last layer's gradients come first out of backward: its bucket started first.
    sizes = [n for kind, n in comm.events if kind == "start"]
    assert sizes == [reducer._layout.buffers[b].size for b in range(buckets - 1, 0, -1)]
    out = reducer.reduce([w.grad for w in weights], weights, 0.25)
    assert engine.LEAF_GRAD_HOOKS == []
    assert comm.events[-2:] == [("start", reducer._layout.buffers[0].size),
                                ("wait", "the gradient allreduce")]
    for a, b, w in zip(out, expected, weights):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, 0.25 * w.grad, rtol=1e-6)


def test_a_gradient_changed_after_backward_sent_it_is_an_error():
    model = _model()
    reducer = GradientReducer(_RecordingComm(), bucket_bytes=64)
    weights = model.trainable_weights
    reducer.arm(weights, lambda: 1.0)
    _backward(model)
    clipped = [np.clip(w.grad, -0.1, 0.1) for w in weights]
    with pytest.raises(RuntimeError, match="changed after backward had sent it"):
        reducer.reduce(clipped, weights, 1.0)
    assert engine.LEAF_GRAD_HOOKS == []


def test_an_armed_step_reduced_for_other_variables_is_redone_from_scratch():
    model = _model()
    reducer = GradientReducer(_RecordingComm(), bucket_bytes=64)
    weights = model.trainable_weights
    reducer.arm(weights[::-1], lambda: 1.0)  # the same variables in another order
    _backward(model)
    out = reducer.reduce([w.grad for w in weights], weights, 1.0)
    for a, w in zip(out, weights):
        np.testing.assert_array_equal(a, w.grad)


def test_one_bucket_or_one_process_is_not_armed():
    model = _model()
    weights = model.trainable_weights
    big = GradientReducer(_RecordingComm())  # 4 MiB: the whole model in one bucket
    big.arm(weights, lambda: 1.0)
    assert engine.LEAF_GRAD_HOOKS == []
    from numdeep.distribute import Communicator

    single = GradientReducer(Communicator(), bucket_bytes=64)
    single.arm(weights, lambda: 1.0)
    assert engine.LEAF_GRAD_HOOKS == []
