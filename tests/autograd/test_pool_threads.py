"""Pooling split over the batch on numdeep's threads gives the one-thread result bit for bit."""

import numpy as np
import pytest

from numdeep.autograd import Tensor
from numdeep.autograd.primitives.pool import AvgPool, MaxPool
from numdeep.backend import threads

GEOMETRIES = [  # pool, strides, padding: tiled, tiled with a remainder, overlapping, padded
    ((2, 2), (2, 2), ((0, 0), (0, 0))),
    ((3, 3), (3, 3), ((0, 0), (0, 0))),
    ((3, 3), (2, 2), ((0, 0), (0, 0))),
    ((3, 3), (1, 1), ((1, 1), (1, 1))),
]


def _run(cls, x, gy_seed, pool, strides, padding, count):
    threads.set_num_threads(count)
    try:
        t = Tensor(x, requires_grad=True)
        y = cls.apply(t, pool=pool, strides=strides, padding=padding)
        gy = np.random.default_rng(gy_seed).standard_normal(y.shape).astype(x.dtype)
        (y * Tensor(gy)).sum().backward()
        return y.numpy(), t.grad.numpy() if hasattr(t.grad, "numpy") else t.grad
    finally:
        threads.set_num_threads(None)


@pytest.mark.parametrize("cls", [MaxPool, AvgPool])
@pytest.mark.parametrize("pool,strides,padding", GEOMETRIES)
def test_two_threads_equal_one(cls, pool, strides, padding):
    # Large enough that the batch is split in two (each half above threads.MIN_PART).
    x = np.random.default_rng(0).standard_normal((6, 40, 41, 16)).astype("float32")
    x[0, :4, :4] = 1.0  # ties: the first maximum must win on both threads
    one = _run(cls, x, 1, pool, strides, padding, 1)
    two = _run(cls, x, 1, pool, strides, padding, 2)
    assert len(threads.parts(6, x.size, count=2)) == 2
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
