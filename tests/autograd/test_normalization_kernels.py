"""The fast normalization paths (``numdeep.backend.kernels.batchnorm`` / ``layernorm``) give the
numbers of the reference code they bypass: forward, backward and the moving statistics."""

import numpy as np
import pytest

from numdeep.autograd import Tensor
from numdeep.autograd.primitives.normalization import BatchNorm, LayerNorm
from numdeep.backend import threads


def _bn(x, gamma, beta, mask, moving):
    xt = Tensor(x, requires_grad=True)
    g = None if gamma is None else Tensor(gamma, requires_grad=True)
    b = None if beta is None else Tensor(beta, requires_grad=True)
    args = [a for a in (g, b)]
    y = BatchNorm.apply(xt, *args, axis=-1, epsilon=1e-3, momentum=0.9, mask=mask,
                        moving_mean=moving[0], moving_variance=moving[1])
    gy = np.random.default_rng(9).standard_normal(x.shape).astype(x.dtype)
    (y * Tensor(gy)).sum().backward()
    return [y.data, xt.grad] + [t.grad for t in (g, b) if t is not None] + list(moving)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 5, 6, 32), (3, 7), (2, 9, 5), (1, 1, 3)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("num_threads", [1, 2])
def test_batchnorm_kernel_equals_the_reference_path(dtype, shape, affine, num_threads):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    c = shape[-1]
    gamma = rng.standard_normal(c).astype(dtype) if affine else None
    beta = rng.standard_normal(c).astype(dtype) if affine else None
    ones = np.ones(shape[:-1] + (1,), dtype)  # an all-ones mask takes the reference path
    threads.set_num_threads(num_threads)
    try:
        fast = _bn(x, gamma, beta, None, (np.zeros(c, dtype), np.ones(c, dtype)))
    finally:
        threads.set_num_threads(None)
    ref = _bn(x, gamma, beta, ones, (np.zeros(c, dtype), np.ones(c, dtype)))
    tol = 2e-5 if dtype == "float32" else 1e-11
    assert len(fast) == len(ref)
    for got, want in zip(fast, ref):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_batchnorm_kernel_splits_over_threads_without_changing_the_numbers():
    x = np.random.default_rng(5).standard_normal((8, 33, 31, 16)).astype("float32")
    out = []
    for n in (1, 2):
        threads.set_num_threads(n)
        try:
            out.append(_bn(x, np.ones(16, "float32"), np.zeros(16, "float32"), None,
                           (np.zeros(16, "float32"), np.ones(16, "float32"))))
        finally:
            threads.set_num_threads(None)
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layernorm_kernel_path_equals_the_reference_path(dtype):
    """Last-axis LayerNorm takes the kernel; the same data normalized over a moved axis takes
    the reference code: identical forward and gradients."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 5, 24)).astype(dtype)
    gamma, beta = rng.standard_normal(24).astype(dtype), rng.standard_normal(24).astype(dtype)
    gy = rng.standard_normal(x.shape).astype(dtype)
    results = []
    for data, axis, g in ((x, -1, gy), (np.moveaxis(x, -1, 1).copy(), 1,
                                        np.moveaxis(gy, -1, 1))):
        xt = Tensor(data, requires_grad=True)
        gt, bt = Tensor(gamma, requires_grad=True), Tensor(beta, requires_grad=True)
        y = LayerNorm.apply(xt, gt, bt, axis=axis, epsilon=1e-5)
        (y * Tensor(np.ascontiguousarray(g))).sum().backward()
        back = (lambda a: np.moveaxis(a, 1, -1)) if axis == 1 else (lambda a: a)
        results.append([back(y.data), back(xt.grad), gt.grad, bt.grad])
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
