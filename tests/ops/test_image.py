"""``numdeep.ops.image``: values against hand-computed results, data formats, gradients and
input validation."""

import numpy as np
import pytest

from numdeep.autograd import Tensor, gradcheck
from numdeep.ops import image

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 1, (2, 6, 5, 3)).astype("float32")


def test_color_conversions():
    gray = image.rgb_to_grayscale(IMAGES).numpy()
    np.testing.assert_allclose(gray[..., 0], IMAGES @ np.array([0.2989, 0.587, 0.114]),
                               rtol=1e-5)
    hsv = image.rgb_to_hsv(np.array([[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]], "float32")).numpy()
    np.testing.assert_allclose(hsv, [[[0.0, 1.0, 1.0], [0.5, 1.0, 0.5]]], atol=1e-6)
    np.testing.assert_allclose(image.hsv_to_rgb(image.rgb_to_hsv(IMAGES)).numpy(), IMAGES,
                               atol=1e-6)
    first = image.rgb_to_grayscale(IMAGES.transpose(0, 3, 1, 2), data_format="channels_first")
    np.testing.assert_allclose(first.numpy()[:, 0], gray[..., 0], rtol=1e-6)


def test_resize_values_and_options():
    x = np.arange(4.0, dtype="float32").reshape(1, 2, 2, 1)
    up = image.resize(x, (4, 4)).numpy()[0, ..., 0]
    np.testing.assert_allclose(up[0], [0, 0.25, 0.75, 1])  # half-pixel centres, clamped edges
    assert image.resize(x, (1, 1), interpolation="area").numpy().item() == pytest.approx(1.5)
    ints = np.array([[[[0], [255]], [[255], [255]]]], dtype="uint8")
    out = image.resize(ints, (3, 3))
    assert out.dtype == np.uint8 and out.numpy().max() == 255
    wide = image.resize(np.ones((4, 8, 1), "float32"), (4, 4), crop_to_aspect_ratio=True)
    assert wide.shape == (4, 4, 1)
    padded = image.resize(np.ones((4, 8, 1), "float32"), (8, 8), pad_to_aspect_ratio=True,
                          fill_value=0.0).numpy()
    assert padded[0, 4, 0] == 0 and padded[4, 4, 0] == 1
    with pytest.raises(ValueError, match="interpolation"):
        image.resize(x, (2, 2), interpolation="cubic")


def test_pad_crop_and_patches():
    padded = image.pad_images(IMAGES, 1, 2, target_height=9, target_width=8).numpy()
    assert padded.shape == (2, 9, 8, 3)
    np.testing.assert_array_equal(padded[:, 1:7, 2:7], IMAGES)
    cropped = image.crop_images(padded, 1, 2, target_height=6, target_width=5)
    np.testing.assert_array_equal(cropped.numpy(), IMAGES)
    patches = image.extract_patches(IMAGES, (2, 2), strides=(2, 1)).numpy()
    assert patches.shape == (2, 3, 4, 12)
    np.testing.assert_array_equal(patches[1, 2, 3].reshape(2, 2, 3), IMAGES[1, 4:6, 3:5])
    volumes = RNG.standard_normal((1, 4, 4, 4, 2))
    cubes = image.extract_patches_3d(volumes, 2, padding="same").numpy()
    np.testing.assert_array_equal(cubes[0, 1, 0, 1].reshape(2, 2, 2, 2), volumes[0, 2:, :2, 2:])
    with pytest.raises(ValueError, match="exactly two"):
        image.pad_images(IMAGES, 1, 1)


def test_geometric_sampling():
    grid = np.arange(12.0).reshape(3, 4)
    coords = np.array([[0.5, 2.0, -1.0], [1.0, 3.5, 0.0]])
    np.testing.assert_allclose(image.map_coordinates(grid, coords, 1).numpy(), [3, 5.5, 0])
    np.testing.assert_allclose(image.map_coordinates(grid, coords, 1, "nearest").numpy(),
                               [3, 11, 0])
    shift = np.array([1, 0, 1, 0, 1, 0, 0, 0], "float32")  # reads (x + 1, y)
    out = image.affine_transform(IMAGES, shift).numpy()
    np.testing.assert_allclose(out[:, :, :-1], IMAGES[:, :, 1:], rtol=1e-6)
    assert (out[:, :, -1] == 0).all()
    corners = np.array([[0, 0], [4, 0], [0, 5], [4, 5]], "float32")
    same = image.perspective_transform(IMAGES, corners, corners).numpy()
    np.testing.assert_allclose(same, IMAGES, atol=1e-5)


def test_filters():
    flat = np.ones((1, 7, 7, 1), "float32")
    blurred = image.gaussian_blur(flat, (3, 3), (1.0, 1.0)).numpy()
    assert blurred[0, 3, 3, 0] == pytest.approx(1.0) and blurred[0, 0, 0, 0] < 1
    step = np.zeros((1, 5, 5, 1), "float32")
    step[:, :, 3:] = 1.0
    edges = image.sobel_edges(step).numpy()
    assert edges.shape == (1, 5, 5, 1, 2)
    assert edges[0, 2, 2, 0, 1] == 4 and edges[0, 2, 2, 0, 0] == 0
    big = RNG.uniform(0, 1, (2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(image.ssim(big, big).numpy(), [1, 1], rtol=1e-6)
    assert (image.ssim(big, big[::-1]).numpy() < 0.5).all()


@pytest.mark.parametrize("fn", [
    lambda x: image.resize(x, (5, 3), interpolation="bicubic"),
    lambda x: image.affine_transform(x, [1.1, 0.1, 0.3, 0.0, 0.9, 0.2, 0, 0]),
    lambda x: image.gaussian_blur(x),
    lambda x: image.rgb_to_hsv(x),
])
def test_image_gradients(fn):
    assert gradcheck(lambda x: fn(x), [RNG.uniform(0.1, 0.9, (1, 4, 4, 3))], mode="random")


def test_bad_ranks_raise():
    for fn in (image.rgb_to_grayscale, image.gaussian_blur, image.sobel_edges):
        with pytest.raises(ValueError, match="rank"):
            fn(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="float dtype"):
        image.rgb_to_hsv(np.zeros((2, 2, 3), "int32"))
    assert isinstance(image.resize(Tensor(IMAGES), (3, 3)), Tensor)
