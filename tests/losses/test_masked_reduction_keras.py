"""Masked reductions against Keras 3 (torch backend): a prediction carrying a padding mask, with
and without per-entry sample weights, for every reduction. The masked mean divides inside an op
(``losses.base.InverseTotal``) so that training plans recompute it; its numbers must stay
Keras's. Skips without Keras or PyTorch."""

import os

os.environ["KERAS_BACKEND"] = "torch"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

import numdeep as nd  # noqa: E402
from numdeep.autograd import Tensor  # noqa: E402


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       None])
@pytest.mark.parametrize("weighted", [False, True])
def test_masked_sparse_crossentropy_equals_keras(reduction, weighted):
    rng = np.random.default_rng(0)
    probs = rng.random((4, 6, 3)).astype("float32")
    probs /= probs.sum(-1, keepdims=True)
    labels = rng.integers(0, 3, (4, 6))
    mask = np.ones((4, 6), bool)
    mask[1, 3:] = False
    mask[3, 1:] = False
    weights = rng.random((4, 6)).astype("float32") if weighted else None

    theirs = torch.tensor(probs)
    theirs._keras_mask = torch.tensor(mask)
    expected = keras.losses.SparseCategoricalCrossentropy(reduction=reduction)(
        labels, theirs, sample_weight=weights)
    ours = Tensor(probs)
    ours._keras_mask = mask
    got = nd.losses.SparseCategoricalCrossentropy(reduction=reduction)(
        labels, ours, sample_weight=weights)
    np.testing.assert_allclose(got.numpy(), np.asarray(expected.detach()), rtol=1e-6,
                               atol=1e-7)

