"""``Resizing``, ``CenterCrop`` and ``RandomBrightness``: values, shapes, dict inputs, configs,
gradients (float64 checks) and, for bilinear resizing, parity with PyTorch."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer


def test_resizing_nearest_and_crop_to_aspect_ratio():
    img = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    down = nd.layers.Resizing(2, 2, interpolation="nearest")(img).data
    np.testing.assert_array_equal(down[0, :, :, 0], [[5, 7], [13, 15]])
    crop = nd.layers.Resizing(4, 2, interpolation="nearest", crop_to_aspect_ratio=True)(img)
    np.testing.assert_array_equal(crop.data[0, :, :, 0], [[1, 2], [5, 6], [9, 10], [13, 14]])
    first = nd.layers.Resizing(2, 2, interpolation="nearest", data_format="channels_first")
    np.testing.assert_array_equal(first(img.transpose(0, 3, 1, 2)).data[0, 0], down[0, :, :, 0])


def test_resizing_bounding_boxes_follow_the_images():
    data = {"images": np.zeros((10, 8, 3), "float32"),
            "bounding_boxes": {"boxes": np.array([[2, 1, 4, 3], [6, 4, 8, 6]]),
                               "labels": np.array([1, 2])}}
    cases = {(False, False): [[5, 2, 10, 6], [15, 8, 20, 12]],
             (True, False): [[6, 2, 10, 6], [14, 8, 18, 12]],
             (False, True): [[5, 0.5, 10, 5.5], [15, 8, 20, 13]]}
    for (pad, crop), expected in cases.items():  # Keras's own expected boxes
        layer = nd.layers.Resizing(20, 20, pad_to_aspect_ratio=pad, crop_to_aspect_ratio=crop,
                                   bounding_box_format="xyxy")
        out = layer(dict(data))
        assert out["images"].shape == (20, 20, 3)
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"].data, expected)
    with pytest.raises(ValueError, match="bounding box format"):
        nd.layers.Resizing(20, 20)(dict(data))


def test_center_crop_small_images_are_cropped_then_resized():
    img = np.arange(16, dtype="float32").reshape(4, 4, 1)
    np.testing.assert_array_equal(nd.layers.CenterCrop(2, 2)(img).data[:, :, 0],
                                  [[5, 6], [9, 10]])
    out = nd.layers.CenterCrop(8, 4)(img[None])
    expected = nd.ops.image.resize(img[None, :, 1:3], (8, 4), crop_to_aspect_ratio=True)
    assert out.shape == (1, 8, 4, 1)
    np.testing.assert_allclose(out.data, np.asarray(expected.data), rtol=1e-6)
    with pytest.raises(ValueError, match="positive ints"):
        nd.layers.CenterCrop(0, 2)


def test_random_brightness_offsets_and_clips():
    x = np.full((3, 2, 2, 1), 100.0, "float32")
    layer = nd.layers.RandomBrightness(factor=(0.1, 0.5), seed=1)
    y = layer(x).data  # training is the default of image preprocessing layers
    offsets = y[:, 0, 0, 0] - 100
    assert np.all((offsets >= 0.1 * 255 - 1e-3) & (offsets <= 0.5 * 255 + 1e-3))
    assert np.all(y == y[:, :1, :1])  # one offset per image
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    top = nd.layers.RandomBrightness(factor=(1.0, 1.0), value_range=(0, 255))(x).data
    np.testing.assert_array_equal(top, np.full_like(x, 255))
    with pytest.raises(ValueError, match="rank 3 or 4"):
        layer(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="The `factor` argument should be a number"):
        nd.layers.RandomBrightness(factor=1.5)


@pytest.mark.parametrize("make, shape, out_shape", [
    (lambda: nd.layers.Resizing(3, 5), (2, 6, 4, 2), (2, 3, 5, 2)),
    (lambda: nd.layers.CenterCrop(3, 2), (2, 5, 4, 1), (2, 3, 2, 1)),
])
def test_check_layer(make, shape, out_shape):
    check_layer(make, shape, out_shape, expected_num_weights=0)


@pytest.mark.parametrize("make", [
    lambda: nd.layers.Resizing(3, 5, dtype="float64"),
    lambda: nd.layers.Resizing(2, 2, interpolation="bicubic", antialias=True, dtype="float64"),
    lambda: nd.layers.CenterCrop(2, 3, dtype="float64"),
    lambda: nd.layers.RandomBrightness((0.1, 0.2), value_range=(-10, 10), seed=0,
                                       dtype="float64"),
])
def test_gradients_float64(make):
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 2))
    layer = make()
    assert gradcheck_layer(layer, [x], call=lambda la, xs: la(xs[0], training=False))


def test_random_brightness_gradient_in_training():
    # Each training call draws new offsets, so a numerical check cannot repeat the call: the
    # gradient of clip(x + offset) is 1 inside the value range and 0 where it clips.
    x = nd.Tensor(np.array([[[[-9.9], [0.0], [9.9]]]]), requires_grad=True)
    layer = nd.layers.RandomBrightness((0.05, 0.05), value_range=(-10, 10), dtype="float64")
    y = layer(x, training=True)
    np.testing.assert_allclose(y.data.ravel(), [-8.9, 1.0, 10.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [1.0, 1.0, 0.0])


def test_bilinear_resize_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 5, 7, 3)).astype("float32")
    for size in ((10, 14), (3, 4)):
        ours = nd.layers.Resizing(*size)(x).data
        ref = torch.nn.functional.interpolate(torch.from_numpy(x).permute(0, 3, 1, 2),
                                              size=size, mode="bilinear", align_corners=False)
        np.testing.assert_allclose(ours, ref.permute(0, 2, 3, 1).numpy(), atol=1e-5)
