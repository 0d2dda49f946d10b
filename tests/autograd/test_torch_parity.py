"""Float32 forward and gradient parity with PyTorch for every row of the gradcheck table.

Each row of ``test_ops_gradcheck.CASES`` names its torch equivalent; inputs are the row's samples
cast to float32 and the gradient is pulled back with the same random cotangent in both libraries.
Tolerances are ``Case.tol`` (atol 1e-5, rtol 1e-4 unless a row documents a looser pair).
"""

import numpy as np
import pytest

from numdeep.autograd import Tensor

from .test_ops_gradcheck import CASES

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_and_gradients_match_torch(case):
    inputs = [x.astype(np.float32) for x in case.sample()]
    ours = [Tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    y = case.fn(*ours)
    t = case.torch(torch, *theirs)
    atol, rtol = case.tol

    expected = t.detach().numpy()
    assert y.shape == expected.shape and y.dtype == expected.dtype
    np.testing.assert_allclose(y.data, expected, atol=atol, rtol=rtol, err_msg="forward")

    cotangent = np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype)
    y.backward(cotangent)
    t.backward(torch.from_numpy(cotangent))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {k}")
