"""``RandomInvert``, ``RandomGrayscale``, ``RandomColorDegeneration``, ``RandomPosterization``
and ``Equalization``:
values, per-image draws, training switch, data formats, the layer contract, gradients and
argument errors."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


def _train(layer, xs):
    return layer(xs[0], training=True)


def test_invert_values_probability_and_inference():
    x = np.random.default_rng(0).uniform(20, 200, (64, 2, 2, 3)).astype("float32")
    always = L.RandomInvert(factor=(1, 1), value_range=(20, 200))(x).data
    np.testing.assert_allclose(always, 220 - x, rtol=1e-6)  # inverted within the range
    np.testing.assert_array_equal(L.RandomInvert(factor=0)(x).data, x)
    half = L.RandomInvert(factor=(0.5, 0.5), value_range=(20, 200), seed=1)(x).data
    inverted = np.isclose(half, 220 - x).all(axis=(1, 2, 3))
    kept = (half == x).all(axis=(1, 2, 3))
    assert (inverted | kept).all() and 16 < inverted.sum() < 48  # whole images, about half
    np.testing.assert_array_equal(L.RandomInvert(factor=(1, 1))(x, training=False).data, x)
    single = L.RandomInvert(factor=(1, 1), value_range=(0, 1))(np.full((2, 2, 1), 0.25))
    assert single.shape == (2, 2, 1)
    np.testing.assert_allclose(single.data, 0.75)


def test_grayscale_values_formats_and_probability():
    x = np.random.default_rng(1).uniform(0, 255, (40, 3, 4, 3)).astype("float32")
    luma = x @ np.array([0.2989, 0.587, 0.114], "float32")
    gray = L.RandomGrayscale(factor=1.0)(x).data
    np.testing.assert_allclose(gray, np.repeat(luma[..., None], 3, -1), rtol=1e-5)
    first = L.RandomGrayscale(factor=1.0, data_format="channels_first")(
        np.ascontiguousarray(x.transpose(0, 3, 1, 2))).data
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), gray, rtol=1e-6)
    some = L.RandomGrayscale(factor=0.5, seed=2)(x).data
    changed = ~(some == x).all(axis=(1, 2, 3))
    np.testing.assert_allclose(some[changed], gray[changed], rtol=1e-6)
    assert 8 < changed.sum() < 32
    np.testing.assert_array_equal(L.RandomGrayscale(factor=0.0)(x).data, x)
    np.testing.assert_array_equal(L.RandomGrayscale(factor=1.0)(x, training=False).data, x)


def test_color_degeneration_blends_towards_gray():
    x = np.random.default_rng(7).uniform(0, 1, (12, 4, 4, 3)).astype("float32")
    gray = np.repeat((x @ np.array([0.2989, 0.587, 0.114], "float32"))[..., None], 3, -1)
    half = L.RandomColorDegeneration((0.5, 0.5), value_range=(0, 1))(x).data
    np.testing.assert_allclose(half, (x + gray) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(L.RandomColorDegeneration((1, 1), value_range=(0, 1))(x).data,
                               gray, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(L.RandomColorDegeneration((0, 0))(x).data, x)
    away = L.RandomColorDegeneration((-1, -1), value_range=(0, 1))(x).data
    np.testing.assert_allclose(away, np.clip(2 * x - gray, 0, 1), rtol=1e-5, atol=1e-6)
    layer = L.RandomColorDegeneration(0.8, seed=2)
    assert layer.factor == (-0.8, 0.8)  # Keras's reading of a single number
    t = layer.get_random_transformation(nd.Tensor(x))["factor"].numpy()
    assert t.shape == (12, 1, 1, 1) and np.ptp(t) > 0 and np.abs(t).max() <= 0.8
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    with pytest.raises(ValueError, match=r"range \[-1, 1\]. Received: factor=1.5"):
        L.RandomColorDegeneration(1.5)


def test_posterization_keeps_the_top_bits_like_keras():
    # Keras's own case: one bit kept of 8 (a factor of 1).
    x = np.array([[[128.0, 235.0, 87.0], [12.0, 1.0, 23.0], [24.0, 18.0, 121.0]]], "float32")
    np.testing.assert_array_equal(L.RandomPosterization(1)(x).data,
                                  [[[128, 128, 0], [0, 0, 0], [0, 0, 0]]])
    three = L.RandomPosterization((3, 3))(x).data
    np.testing.assert_array_equal(three, (x.astype(np.uint8) & 0b11100000).astype("float32"))
    scaled = L.RandomPosterization((2, 2), value_range=(0, 1))(x / 255).data
    np.testing.assert_allclose(scaled, (x.astype(np.uint8) & 0b11000000) / 255, rtol=1e-6)
    np.testing.assert_array_equal(L.RandomPosterization(1)(x, training=False).data, x)
    layer = L.RandomPosterization((2, 6), seed=0)
    shifts = layer.get_random_transformation(nd.Tensor(np.zeros((64, 2, 2, 3))))["shift_factor"]
    assert set((8 - shifts).tolist()) == {2, 3, 4, 5}  # bits in [2, 6), as Keras draws them
    assert L.RandomPosterization(4).factor == (1, 4)
    with pytest.raises(ValueError, match=r"range \[1, 8\]. Received: factor=9"):
        L.RandomPosterization(9)


def _equalize_reference(channel, bins=256):
    """Histogram equalization of one channel in [0, 255], written out step by step."""
    index = np.clip((channel * (bins - 1) / 255.0).astype(int), 0, bins - 1)
    hist = np.bincount(index.ravel(), minlength=bins)
    if np.count_nonzero(hist) <= 1:
        return channel
    cdf = np.cumsum(hist)
    cdf_min = cdf[np.nonzero(cdf)[0][0]]
    lookup = np.clip(np.round((cdf - cdf_min) * 255 / (cdf[-1] - cdf_min)), 0, 255)
    return lookup[index]


def test_equalization_matches_the_reference_per_image_and_channel():
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 20.0, (3, 16, 16, 2)).clip(0, 255).astype("float32")
    x[1, ..., 1] = 77.0  # a constant channel stays as it is
    out = L.Equalization()(x).data
    for i in range(3):
        for c in range(2):
            np.testing.assert_allclose(out[i, ..., c], _equalize_reference(x[i, ..., c]))
    assert out.min() == 0 and out.max() == 255
    np.testing.assert_array_equal(L.Equalization()(x, training=False).data, x)
    first = L.Equalization(data_format="channels_first")(
        np.ascontiguousarray(x.transpose(0, 3, 1, 2))).data
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), out)
    coarse = L.Equalization(bins=16)(x).data
    np.testing.assert_allclose(coarse[0, ..., 0], _equalize_reference(x[0, ..., 0], bins=16))


def test_equalization_value_ranges_and_integer_inputs():
    x = np.random.default_rng(6).uniform(0, 1, (2, 8, 8, 1)).astype("float32")
    out = L.Equalization(value_range=(0, 1))(x).data
    np.testing.assert_allclose(out[0, ..., 0], _equalize_reference(x[0, ..., 0] * 255) / 255,
                               rtol=1e-6, atol=1e-6)
    ints = (x * 255).astype("int32")
    got = L.Equalization()(ints)
    assert got.dtype == np.float32 and set(np.unique(got.data)) <= set(range(256))
    with pytest.raises(ValueError, match="`bins` must be an integer"):
        L.Equalization(bins=1)
    with pytest.raises(ValueError, match="`value_range` argument"):
        L.Equalization(value_range=3)


@pytest.mark.parametrize("make", [
    lambda: L.Equalization(value_range=(0, 255)),
    lambda: L.RandomInvert(factor=0.75, value_range=(20, 200), seed=1),
    lambda: L.RandomGrayscale(factor=0.5, seed=1),
    lambda: L.RandomColorDegeneration(0.75, value_range=(0, 1), seed=1),
    lambda: L.RandomPosterization(1, value_range=(20, 200), seed=1),
    lambda: L.RandomGrayscale(factor=0.5, data_format="channels_first"),
])
def test_contract(make):
    layer = check_layer(make, (8, 3, 3, 3), (8, 3, 3, 3), 0)
    assert "data_format" in layer.get_config()


@pytest.mark.parametrize("make", [
    lambda: L.RandomInvert(factor=(1, 1), dtype="float64"),
    lambda: L.RandomGrayscale(factor=1.0, dtype="float64"),
    lambda: L.RandomColorDegeneration((0.3, 0.3), value_range=(-1e3, 1e3), dtype="float64"),
])
def test_gradients_float64(make):
    x = np.random.default_rng(3).uniform(0, 255, (2, 3, 3, 3))
    assert gradcheck_layer(make(), [x], call=_train)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"RandomInvert layer 'ri'.*factor=1.5"):
        L.RandomInvert(factor=1.5, name="ri")
    with pytest.raises(ValueError, match="value_range"):
        L.RandomInvert(value_range=(1,))
    with pytest.raises(ValueError, match=r"`factor` should be between 0 and 1. .*-0.1"):
        L.RandomGrayscale(factor=-0.1)
    with pytest.raises(ValueError, match="rank 3 or 4"):
        L.RandomGrayscale(factor=1.0)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="channel"):
        L.RandomGrayscale(factor=1.0)(np.zeros((1, 2, 2, 2), "float32"))
