"""Every fast kernel in ``numdeep/backend/kernels`` equals the reference math it replaces."""

import numpy as np
import pytest

from numdeep.autograd.primitives.attention import masked_softmax_reference
from numdeep.autograd.primitives.conv import patches_reference, windows
from numdeep.autograd.primitives.elementwise import gelu_reference
from numdeep.backend.kernels import gelu, im2col, optimizers, softmax


@pytest.mark.parametrize("size", [5, 40_000, 100_003])  # one block, several, a ragged last one
def test_gelu_kernel_equals_the_erf_reference(size):
    x = np.random.default_rng(0).normal(scale=4.0, size=size).astype(np.float32)
    x[:3] = [0.0, -1e4, 1e4]
    y, h = gelu.gelu_and_tail(x)
    y_ref, h_ref = gelu_reference(np, x.astype(np.float64))
    np.testing.assert_allclose(y, y_ref, atol=2e-6, rtol=1e-6)
    np.testing.assert_allclose(h, h_ref, atol=4e-7)  # A&S 7.1.26: 1.5e-7, plus float32 rounding


@pytest.mark.parametrize("shape, mask_shape", [
    ((4, 3, 60, 200), (4, 1, 1, 200)),     # key padding mask broadcast over heads and queries
    ((2, 2, 120, 150), (2, 1, 120, 150)),  # per-query masks
    ((3, 70000), None),                    # no mask, blocks over rows
])
def test_block_softmax_equals_the_row_wise_reference(shape, mask_shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    mask = None if mask_shape is None else rng.random(mask_shape) > 0.3
    if mask is not None:
        mask[0, ..., :] = False  # some fully masked rows
    y = softmax.masked_softmax_last_axis(x, mask, masked_softmax_reference)
    with np.errstate(under="ignore"):
        ref = masked_softmax_reference(np, x.astype(np.float64), mask, -1)
    np.testing.assert_allclose(y, ref, atol=1e-6, rtol=1e-5)


def test_block_softmax_takes_the_reference_path_for_rows_far_below_the_block_max():
    x = np.zeros((2, 40_000), np.float32)
    x[0] = -200.0  # exp(-200) underflows in float32: the kernel must hand this row back
    y = softmax.masked_softmax_last_axis(x, None, masked_softmax_reference)
    np.testing.assert_allclose(y, 1 / 40_000, rtol=1e-5)


@pytest.mark.parametrize("block_bytes", [1, 500, 1 << 20])
@pytest.mark.parametrize("bias", [False, True])
def test_im2col_blocks_tile_the_whole_patch_matrix(block_bytes, bias):
    x = np.random.default_rng(2).standard_normal((5, 7, 6, 3))
    view = windows(np, x, (5, 4), (3, 3), (1, 1), (1, 1))
    whole = patches_reference(view, bias)
    parts = [(rows, cols.copy()) for rows, cols in
             im2col.patch_blocks(np, view, 2, bias, block_bytes)]
    assert parts[-1][0].stop == whole.shape[0]
    np.testing.assert_array_equal(np.concatenate([c for _, c in parts]), whole)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_kernel_equals_the_plain_update_rule(amsgrad):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 5))
    m, v = rng.standard_normal((4, 5)) * 0.1, rng.random((4, 5)) * 0.01
    v_hat = rng.random((4, 5)) * 0.01 if amsgrad else None
    w_ref, m_ref, v_ref, vh_ref = w.copy(), m.copy(), v.copy(), None if v_hat is None \
        else v_hat.copy()
    for _ in range(3):
        g = rng.standard_normal((4, 5))
        optimizers.adam_update(w, g, m, v, np.empty_like(w), 0.9, 0.999, 1e-7, 0.01, v_hat)
        w_ref, m_ref, v_ref, vh_ref = optimizers.adam_reference(w_ref, g, m_ref, v_ref, 0.9,
                                                                0.999, 1e-7, 0.01, vh_ref)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(m, m_ref, rtol=1e-12)
    np.testing.assert_allclose(v, v_ref, rtol=1e-12)
    if amsgrad:
        np.testing.assert_allclose(v_hat, vh_ref, rtol=1e-12)
