import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import gradcheck
from tests.helpers import check_layer

L = nd.layers

IMG = np.arange(64, dtype="float32").reshape(1, 8, 8, 1)
ROW = np.tile(np.arange(8, dtype="float32"), (8, 1)).reshape(1, 8, 8, 1)

LAYERS = [
    lambda: L.RandomFlip(seed=0),
    lambda: L.RandomRotation(0.2, seed=0),
    lambda: L.RandomZoom(0.3, seed=0),
    lambda: L.RandomTranslation(0.2, 0.3, seed=0),
    lambda: L.RandomContrast(0.5, seed=0),
]


@pytest.mark.parametrize("make", LAYERS + [
    lambda: L.RandomRotation(0.1, data_format="channels_first")])
def test_check_layer_and_identity_at_inference(make):
    check_layer(make, (2, 6, 6, 3), (2, 6, 6, 3), 0)
    x = np.random.default_rng(0).random((3, 6, 6, 2)).astype("float32")
    np.testing.assert_array_equal(make()(x, training=False).data, x)
    model = nd.Sequential([nd.Input((6, 6, 2)), make()])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    # Called directly, an augmentation layer trains (Keras's default): the images change.
    assert not np.array_equal(make()(x).data, x)


@pytest.mark.parametrize("make", LAYERS + [lambda: L.RandomCrop(5, 4, seed=0)])
def test_seeded_reproducible_and_random_across_calls(make):
    x = np.random.default_rng(0).random((8, 8, 8, 2)).astype("float32") * 255
    a, b = make(), make()
    first = a(x, training=True).data
    np.testing.assert_array_equal(first, b(x, training=True).data)
    assert first.dtype == np.float32
    assert not np.array_equal(first, a(x, training=True).data)  # a new draw each step


def test_active_in_fit_and_inactive_in_predict():
    model = nd.Sequential([L.RandomFlip("horizontal", seed=1, input_shape=(4, 4, 1)),
                           L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((8, 4, 4, 1)).astype("float32")
    seen = []
    flip = model.layers[0]
    original = flip.call

    def spy(inputs, training=False):
        out = original(inputs, training=training)
        seen.append(bool(training) and not np.array_equal(out.data, inputs.data))
        return out

    flip.call = spy
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, batch_size=8, verbose=0)
    model.predict(x, verbose=0)
    assert seen == [True, False]


def test_rotation_by_a_quarter_turn_is_rot90_counter_clockwise():
    out = L.RandomRotation((0.25, 0.25))(IMG, training=True).data[0, :, :, 0]
    np.testing.assert_allclose(out, np.rot90(IMG[0, :, :, 0]), atol=1e-4)
    near = L.RandomRotation((0.25, 0.25), interpolation="nearest")(IMG, training=True)
    np.testing.assert_array_equal(near.data[0, :, :, 0], np.rot90(IMG[0, :, :, 0]))


@pytest.mark.parametrize("mode, expected", [
    ("reflect", [1, 0, 0, 1, 2, 3, 4, 5]), ("wrap", [6, 7, 0, 1, 2, 3, 4, 5]),
    ("nearest", [0, 0, 0, 1, 2, 3, 4, 5]), ("constant", [-1, -1, 0, 1, 2, 3, 4, 5]),
])
def test_translation_fill_modes(mode, expected):
    layer = L.RandomTranslation(0, (0.25, 0.25), fill_mode=mode, fill_value=-1.0)
    out = layer(ROW, training=True).data
    np.testing.assert_array_equal(out[0, 3, :, 0], expected)
    down = L.RandomTranslation((0.25, 0.25), 0, fill_mode="constant")(IMG, training=True).data
    np.testing.assert_array_equal(down[0, :2], 0)
    np.testing.assert_array_equal(down[0, 2:], IMG[0, :6])


def test_zoom_in_and_out_about_the_center():
    zin = L.RandomZoom((-0.5, -0.5), interpolation="nearest")(IMG, training=True).data[0, :, :, 0]
    assert zin.min() >= IMG[0, 1, 1, 0] and zin.max() <= IMG[0, 6, 6, 0]  # the center, 2x
    zout = L.RandomZoom((1.0, 1.0), fill_mode="constant")(IMG, training=True).data[0, :, :, 0]
    assert (zout[0] == 0).all() and (zout[:, 0] == 0).all()  # image shrunk to the middle
    aspect = L.RandomZoom((0.5, 0.5), (0.0, 0.0))(ROW, training=True).data
    np.testing.assert_allclose(aspect, ROW, atol=1e-5)  # vertical zoom of identical rows


def test_flip_modes():
    x = np.concatenate([IMG] * 16)
    out = L.RandomFlip("horizontal", seed=0)(x, training=True).data
    flipped = [np.array_equal(o, IMG[0, :, ::-1]) for o in out]
    same = [np.array_equal(o, IMG[0]) for o in out]
    assert all(f or s for f, s in zip(flipped, same)) and 0 < sum(flipped) < 16
    out = L.RandomFlip("vertical", seed=0)(x, training=True).data
    assert all(np.array_equal(o, IMG[0, ::-1]) or np.array_equal(o, IMG[0]) for o in out)


def test_flip_both_axes_flips_together_and_masks_and_boxes_follow():
    x = np.concatenate([IMG] * 16)
    out = L.RandomFlip(seed=1)(x).data
    rotated = [np.array_equal(o, IMG[0, ::-1, ::-1]) for o in out]
    # Keras draws one flag per image for both axes: a 180-degree turn or nothing.
    assert all(r or np.array_equal(o, IMG[0]) for r, o in zip(rotated, out))
    assert 0 < sum(rotated) < 16
    data = {"images": x, "segmentation_masks": x + 1,
            "bounding_boxes": {"boxes": np.tile([[[1, 2, 3, 6]]], (16, 1, 1)),
                               "labels": np.ones((16, 1))}}
    got = L.RandomFlip("horizontal", seed=2, bounding_box_format="xyxy")(data)
    flipped = got["images"].data[:, 0, 0, 0] == 7
    assert 0 < flipped.sum() < 16
    np.testing.assert_array_equal(got["segmentation_masks"].data, got["images"].data + 1)
    boxes = got["bounding_boxes"]["boxes"].data[:, 0]
    np.testing.assert_array_equal(boxes[flipped], [[5, 2, 7, 6]] * int(flipped.sum()))
    np.testing.assert_array_equal(boxes[~flipped], [[1, 2, 3, 6]] * int((~flipped).sum()))


@pytest.mark.parametrize("mode, expected", [
    ("horizontal", [[4, 1, 6, 3], [0, 4, 2, 6]]),
    ("vertical", [[2, 7, 4, 9], [6, 4, 8, 6]]),
    ("horizontal_and_vertical", [[4, 7, 6, 9], [0, 4, 2, 6]]),
])
def test_flip_bounding_boxes_match_keras(mode, expected):
    # Keras's own cases: a 10x8 image, both boxes flipped by one transformation.
    layer = L.RandomFlip(mode, bounding_box_format="xyxy")
    boxes = {"boxes": np.array([[2, 1, 4, 3], [6, 4, 8, 6]]), "labels": np.array([[1, 2]])}
    out = layer.transform_bounding_boxes(boxes, {"flips": np.array([[True]]),
                                                 "input_shape": (10, 8, 3)})
    np.testing.assert_array_equal(out["boxes"], expected)
    first = L.RandomFlip(mode, data_format="channels_first", bounding_box_format="xyxy")
    out = first.transform_bounding_boxes(boxes, {"flips": np.array([[True]]),
                                                 "input_shape": (3, 10, 8)})
    np.testing.assert_array_equal(out["boxes"], expected)


def test_random_crop_training_and_inference():
    x = np.random.default_rng(0).random((4, 10, 12, 3)).astype("float32")
    layer = L.RandomCrop(6, 8, seed=0)
    out = layer(x, training=True).data
    assert out.shape == (4, 6, 8, 3)
    top = [i for i in range(5) for j in range(5) if np.array_equal(out, x[:, i:i + 6, j:j + 8])]
    assert len(top) == 1  # one window, shared by the whole batch (Keras 3)
    inference = layer(x).data  # largest centered 6:8 window (9 x 12) resized to 6 x 8
    assert inference.shape == (4, 6, 8, 3)
    exact = L.RandomCrop(10, 12)(x).data
    np.testing.assert_allclose(exact, x, atol=1e-6)
    assert L.RandomCrop(4, 4).compute_output_shape((None, 10, 12, 3)) == (None, 4, 4, 3)
    small = L.RandomCrop(20, 20)(x, training=True)  # smaller input: resized, never fails
    assert small.shape == (4, 20, 20, 3)


def test_contrast_scales_around_the_mean_and_clips():
    x = np.random.default_rng(0).random((4, 6, 6, 2)).astype("float32")
    out = L.RandomContrast((0.5, 0.5), value_range=(-10, 10), seed=0)(x, training=True).data
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=1e-5)
    ratio = (out - out.mean(axis=(1, 2), keepdims=True)) / (x - x.mean(axis=(1, 2),
                                                                      keepdims=True))
    assert ((ratio > 0.49) & (ratio < 1.51)).all()
    clipped = L.RandomContrast(1.0, value_range=(0, 1), seed=0)(x, training=True).data
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_unbatched_images_and_uint8():
    img = (np.random.default_rng(0).random((8, 8, 3)) * 255).astype("uint8")
    for make in LAYERS + [lambda: L.RandomCrop(4, 4, seed=0)]:
        out = make()(img, training=True)
        assert out.ndim == 3 and out.dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda: L.RandomRotation(0.1, seed=3, dtype="float64"),
    lambda: L.RandomZoom(0.3, seed=3, fill_mode="constant", dtype="float64"),
    lambda: L.RandomTranslation(0.2, 0.2, seed=3, fill_mode="wrap", dtype="float64"),
    lambda: L.RandomFlip(seed=3, dtype="float64"),
    lambda: L.RandomCrop(3, 4, seed=3, dtype="float64"),
    lambda: L.RandomCrop(6, 6, seed=3, dtype="float64"),  # resized
    lambda: L.RandomContrast(0.5, value_range=(-9, 9), seed=3, dtype="float64"),
])
def test_gradients_flow_through_augmentation(make):
    x = np.random.default_rng(0).random((2, 5, 5, 1))
    # A fresh layer per call: the same seed gives the same augmentation every time.
    assert gradcheck(lambda t: make()(t, training=True), [x], mode="random")


def test_argument_errors():
    with pytest.raises(ValueError, match=r"RandomRotation layer 'rr'.*factor"):
        L.RandomRotation(1.5, name="rr")
    with pytest.raises(ValueError, match="fill_mode"):
        L.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation"):
        L.RandomTranslation(0.1, 0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="mode"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(2.0)
    with pytest.raises(ValueError, match="height"):
        L.RandomCrop(0, 4)
    with pytest.raises(ValueError, match=r"'rr'.*received a 2-D input"):
        L.RandomRotation(0.1, name="rr")(np.zeros((4, 4), "float32"))
    with pytest.raises(ValueError, match=r"RandomFlip layer 'rf'.*rank 3.*\(4, 4\)"):
        L.RandomFlip(name="rf")(np.zeros((4, 4), "float32"))
