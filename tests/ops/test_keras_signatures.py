"""Keras's signatures, defaults and symbolic output specs for the ops the Keras-suite run found
off: positional convolution arguments, ``gelu``'s default, input-channel checks, CTC's batch
checks, ``sparse_categorical_crossentropy``'s ``axis``, and the specs Keras computes without
running the op (attention, layer norm, polar, PSNR, solves, real FFTs)."""

import numpy as np
import pytest

from numdeep import ops
from numdeep.ops.symbolic import KerasTensor


def _np_conv1d(x, k, stride):
    """Reference 1-D cross-correlation, 'valid' padding, channels last."""
    n = (x.shape[1] - k.shape[0]) // stride + 1
    out = np.zeros((x.shape[0], n, k.shape[-1]))
    for i in range(n):
        window = x[:, i * stride:i * stride + k.shape[0], :]
        out[:, i] = np.einsum("bkc,kcf->bf", window, k)
    return out


def test_convolutions_take_strides_third_as_in_keras():
    x = np.arange(2 * 9 * 3, dtype="float64").reshape(2, 9, 3)
    k = np.arange(2 * 3 * 4, dtype="float64").reshape(2, 3, 4)
    y = ops.conv(x, k, 2, "VALID")
    np.testing.assert_allclose(y.numpy(), _np_conv1d(x, k, 2))
    depth = ops.depthwise_conv(x, k[:, :, :1], 2, padding="valid")
    assert depth.shape == (2, 4, 3)
    np.testing.assert_allclose(depth.numpy()[..., 1],
                               _np_conv1d(x[..., 1:2], k[:, 1:2, :1], 2)[..., 0])
    sep = ops.separable_conv(x, k[:, :, :1], np.ones((1, 3, 2)), 2)
    np.testing.assert_allclose(sep.numpy(), np.repeat(depth.numpy().sum(-1, keepdims=True), 2,
                                                      axis=-1))
    up = ops.conv_transpose(np.ones((1, 3, 1)), np.array([1.0, 2.0]).reshape(2, 1, 1), 2, "SAME")
    np.testing.assert_allclose(up.numpy().ravel(), [1, 2, 1, 2, 1, 2])


def test_bias_is_a_keyword_extension():
    x, k = np.ones((1, 4, 2)), np.ones((1, 2, 3))
    np.testing.assert_allclose(ops.conv(x, k, bias=np.array([1.0, 2.0, 3.0])).numpy()[0, 0],
                               [3.0, 4.0, 5.0])


@pytest.mark.parametrize("call", [
    lambda x: ops.conv(x, np.zeros((3, 5, 4))),
    lambda x: ops.depthwise_conv(x, np.zeros((3, 5, 1))),
    lambda x: ops.separable_conv(x, np.zeros((3, 5, 1)), np.zeros((1, 5, 4))),
    lambda x: ops.conv_transpose(x, np.zeros((2, 4, 5)), 2),
    lambda x: ops.conv(KerasTensor(x.shape), KerasTensor((3, 5, 4))),
])
def test_channel_mismatch_names_both_counts(call):
    with pytest.raises(ValueError, match=r"input channels must match the kernel.*"
                                         r"input channels=3, kernel input channels=5"):
        call(np.zeros((2, 10, 3)))


def test_grouped_convolution_still_takes_a_multiple_of_the_kernel_channels():
    y = ops.conv(np.ones((1, 5, 4)), np.ones((3, 2, 6)))
    assert y.shape == (1, 3, 6)
    np.testing.assert_allclose(y.numpy(), 6.0)


def test_gelu_defaults_to_the_tanh_form_like_keras_ops():
    x = np.array([-1.0, 0.0, 1.0, 2.0], "float32")
    tanh_form = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(ops.gelu(x).numpy(), tanh_form, rtol=1e-6)
    np.testing.assert_allclose(ops.gelu(x, approximate=False).numpy()[[0, 2]],
                               [-0.15865525, 0.8413447], rtol=1e-6)


def test_sparse_categorical_crossentropy_takes_the_class_axis():
    logits = np.random.default_rng(0).standard_normal((2, 3, 4))
    labels = np.array([[0, 2, 1, 1], [2, 0, 0, 1]])
    got = ops.sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1).numpy()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    want = -np.take_along_axis(logp, labels[:, None, :], axis=1)[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ValueError, match=r"`axis` \(3\) is out of range"):
        ops.sparse_categorical_crossentropy(labels, logits, axis=3)


def test_ctc_checks_the_batch_sizes():
    with pytest.raises(ValueError, match="`target` and `output` must have the same first"):
        ops.ctc_loss(np.ones((2, 3), "int32"), np.zeros((3, 4, 5)), np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="same first dimension"):
        ops.CTCLoss(mask_index=-1)._check_shape_first_dim("labels", (2, 3), "logits", (3, 4))
    spec = ops.ctc_loss(KerasTensor((10, 3), "int32"), KerasTensor((10, 6, 4)),
                        KerasTensor((10,), "int32"), KerasTensor((10,), "int32"))
    assert spec.shape == (10,) and spec.dtype == "float32"


def test_specs_keras_computes_without_running_the_op():
    q, kv = KerasTensor((2, 3, 8, 16), "float16"), KerasTensor((2, 4, 4, 16), "float16")
    out = ops.dot_product_attention(q, kv, kv)
    assert out.shape == (2, 3, 8, 16) and out.dtype == "float16"
    assert ops.layer_normalization(KerasTensor((None, 8, 16)), KerasTensor((16,))).shape == \
        (None, 8, 16)
    polar = ops.polar(KerasTensor((1, 2)), KerasTensor((1, 2)))
    assert polar.shape == (1, 2) and polar.dtype == "complex64"
    assert ops.psnr(KerasTensor((None, 2, 3)), KerasTensor((None, 2, 3)), 1.0).shape == ()
    with pytest.raises(ValueError, match="same rank"):
        ops.psnr(KerasTensor((2, 3)), KerasTensor((1, 2, 3)), 1.0)


def test_symbolic_solves_check_a_and_b_like_keras():
    a = KerasTensor((None, 20, 20))
    assert ops.solve(a, KerasTensor((None, 20, 5))).shape == (None, 20, 5)
    assert ops.solve_triangular(a, KerasTensor((None, 20))).shape == (None, 20)
    for bad_a, bad_b in [((None, None, 20), (None, 20, 5)), ((None, 20, 15), (None, 20, 5)),
                         ((None, 20, 20), (None, None, 5))]:
        with pytest.raises(ValueError):
            ops.solve(KerasTensor(bad_a), KerasTensor(bad_b))
    with pytest.raises(ValueError, match="last 2 dimensions fully-defined"):
        ops.qr(KerasTensor((None, 4)))


def test_qr_op_checks_its_mode_when_made():
    with pytest.raises(ValueError, match="`mode` argument value not supported"):
        ops.Qr(mode="full")
    q, r = ops.Qr(mode="complete")(np.eye(3, 2, dtype="float32"))
    assert q.shape == (3, 3) and r.shape == (3, 2)


def test_real_ffts_of_an_unknown_length_have_an_unknown_length():
    real, imag = ops.rfft(KerasTensor((None, None)))
    assert real.shape == (None, None) and imag.shape == (None, None)
    assert ops.rfft(KerasTensor((None, None)), 8)[0].shape == (None, 5)
    assert ops.irfft((KerasTensor((4, None)), KerasTensor((4, None)))).shape == (4, None)
    assert ops.irfft((KerasTensor((4, 5)), KerasTensor((4, 5)))).shape == (4, 8)


def test_cond_compares_branch_specs_like_keras():
    check = ops.Cond()._check_output_spec
    f32, i32 = KerasTensor((2, 2)), KerasTensor((3, 3), "int32")
    assert check([f32, f32], [KerasTensor((2, 2)), KerasTensor((2, 2))])
    assert not check([f32], [f32, i32])
    assert not check({"a": f32}, {"b": f32})
    assert check(None, None) and not check(None, f32)
    with pytest.raises(ValueError, match="same kind"):
        ops.cond(KerasTensor((), "bool"), lambda: ops.ones((2,)), lambda: ops.ones((3,)))


def test_unique_with_size_pads_like_keras_backends():
    x = np.array([[1, 0], [0, 1], [1, 0], [2, 2], [0, 1]])
    v, idx, inv, counts = ops.unique(x, axis=0, return_index=True, return_inverse=True,
                                     return_counts=True, size=5, fill_value=-1)
    np.testing.assert_array_equal(v.numpy(), [[0, 1], [1, 0], [2, 2], [-1, -1], [-1, -1]])
    np.testing.assert_array_equal(idx.numpy(), [1, 0, 3, 1, 1])  # first indices pad with 1
    np.testing.assert_array_equal(inv.numpy(), [1, 0, 1, 2, 0])
    np.testing.assert_array_equal(counts.numpy(), [2, 2, 1, 0, 0])


def test_bad_axes_shapes_and_broadcasts_raise_value_errors():
    np.testing.assert_array_equal(ops.roll(np.arange(6).reshape(2, 3), 1, axis=-1).numpy(),
                                  [[2, 0, 1], [5, 3, 4]])
    with pytest.raises(ValueError, match=r"roll: `axis` 2 is out of bounds .* \(2, 3\)"):
        ops.roll(np.ones((2, 3)), 1, axis=2)
    np.testing.assert_array_equal(ops.gcd(np.array([4, 6]), 4).numpy(), [4, 2])
    with pytest.raises(ValueError, match=r"gcd: the shapes \(2, 3\) and \(2, 3, 4\)"):
        ops.gcd(np.ones((2, 3), "int32"), np.ones((2, 3, 4), "int32"))
    with pytest.raises(ValueError, match="Cannot convert '3' to a shape"):
        KerasTensor(3)


def test_rearrange_splits_transposes_and_merges_like_einops():
    images = np.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3)
    np.testing.assert_array_equal(ops.rearrange(images, "b h w c -> b c h w").numpy(),
                                  images.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(ops.rearrange(images, "b h w c -> (b h) w c").numpy(),
                                  images.reshape(8, 6, 3))
    patches = ops.rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=3)
    want = images.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(12, 2, 2, 3)
    np.testing.assert_array_equal(patches.numpy(), want)
    assert ops.rearrange(KerasTensor((None, 4, 6, 3)), "b h w c -> b (c h w)").shape == \
        (None, 72)
    assert ops.Rearrange()(KerasTensor((2, 4)), "a b -> b a").shape == (4, 2)


@pytest.mark.parametrize("pattern,lengths,match", [
    ("a b c", {}, "one '->'"),
    ("a b -> a", {}, "appear once on each side"),
    ("a b c -> c b a", {}, r"names 3 input axes but the input has shape \(2, 6\)"),
    ("a (b c) -> a b c", {}, "cannot infer the sizes"),
    ("a (b c) -> a b c", {"b": 4}, "cannot split"),
])
def test_rearrange_rejects_bad_patterns(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.zeros((2, 6)), pattern, **lengths)


def test_symbolic_size_unique_and_bad_indices():
    assert ops.size(KerasTensor((None, 3))).shape == () and ops.size(np.ones((2, 3))) == 6
    v, idx, inv, counts = ops.unique(KerasTensor((None, 3)), return_index=True,
                                     return_inverse=True, return_counts=True)
    assert (v.shape, idx.shape, inv.shape, counts.shape) == ((None,), (None,), (None, 3), (None,))
    assert ops.unique(KerasTensor((2, 4)), axis=0).shape == (None, 4)
    assert ops.unique(KerasTensor((2, 4)), size=3).shape == (3,)
    with pytest.raises(ValueError, match="index 17 is out of bounds"):
        ops.get_item(KerasTensor((None, 5, 16)), np.s_[:, 17, :])


def test_slices_and_diagonals_of_unknown_axes_have_unknown_sizes():
    x = KerasTensor((None, 5, 16))
    assert x[:5, 3:, 3:12:2].shape == (None, 2, 5)  # min(unknown, 5)
    assert x[:, :3].shape == (None, 3, 16) and ops.get_item(x, 4).shape == (5, 16)
    assert ops.diagonal(KerasTensor((None, 3, 3))).shape == (3, None)
    assert ops.diag(KerasTensor((None, 3))).shape == (None,)
    assert ops.diag(KerasTensor((None, 3)), k=3).shape == (0,)  # always empty
