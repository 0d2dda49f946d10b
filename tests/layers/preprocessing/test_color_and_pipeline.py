"""``Pipeline`` (layers chained as one layer: training and masks passed through, configs),
``AutoContrast`` (Keras's values, constant channels, data formats, gradients) and
``RandomContrast`` on the image-layer protocol (transformations, dicts, data formats) and
``Solarization`` (Keras's values, thresholds, offsets, value ranges)."""

import json

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


def test_auto_contrast_stretches_each_channel_like_keras():
    img = np.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]], "float32")[None]
    out = L.AutoContrast(value_range=(0, 255))(img).data
    # Keras's own expected values: each channel's 4 values spread over 0..255.
    np.testing.assert_allclose(out[0, :, :, 0], [[0, 85], [170, 255]], atol=1e-4)
    np.testing.assert_allclose(out[0, ..., 1], out[0, ..., 0], atol=1e-4)
    half = L.AutoContrast(value_range=(0, 1))(np.array([0, 0.5], "float32").reshape(1, 2, 1, 1))
    np.testing.assert_allclose(half.data.ravel(), [0, 1])
    shifted = L.AutoContrast(value_range=(20, 200))(np.array([30, 40, 50], "float32")
                                                    .reshape(3, 1, 1))
    np.testing.assert_allclose(shifted.data.ravel(), [20, 110, 200], atol=1e-4)


def test_auto_contrast_keeps_constant_and_nan_channels_and_casts_integers():
    img = np.stack([np.full((2, 2), 7.0), [[0.0, np.nan], [1.0, 2.0]], [[0, 1], [2, 4.0]]],
                   -1).astype("float32")
    out = L.AutoContrast(value_range=(0, 4))(img).data
    np.testing.assert_array_equal(out[..., 0], img[..., 0])
    np.testing.assert_array_equal(np.isnan(out[..., 1]), np.isnan(img[..., 1]))
    np.testing.assert_allclose(out[..., 2], [[0, 1], [2, 4]])
    uint8 = L.AutoContrast()(np.array([0, 128], "uint8").reshape(1, 2, 1, 1))
    assert uint8.dtype == np.float32
    np.testing.assert_allclose(uint8.data.ravel(), [0, 255])


def test_auto_contrast_channels_first_reduces_over_height_and_width():
    img = np.random.default_rng(0).uniform(10, 20, (2, 4, 3, 3)).astype("float32")
    last = L.AutoContrast(value_range=(0, 1))(img).data
    first = L.AutoContrast(value_range=(0, 1), data_format="channels_first")(
        img.transpose(0, 3, 1, 2)).data
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, atol=1e-6)
    assert last.min(axis=(1, 2)).max() == 0 and last.max(axis=(1, 2)).min() == 1


def test_auto_contrast_layer_contract_gradient_and_errors():
    check_layer(lambda: L.AutoContrast(value_range=(20, 200)), (8, 3, 4, 3), (8, 3, 4, 3), 0)
    x = np.random.default_rng(1).uniform(0, 255, (2, 3, 4, 2))
    assert gradcheck_layer(L.AutoContrast(dtype="float64"), [x])
    with pytest.raises(ValueError, match="`value_range` argument should be a list of two"):
        L.AutoContrast(value_range=5)
    with pytest.raises(ValueError, match="rank 3"):
        L.AutoContrast()(np.zeros((2, 2), "float32"))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_contrast_transformation_follows_keras_formula(data_format):
    x = np.random.default_rng(3).uniform(0, 255, (6, 4, 5, 3)).astype("float32")
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    axes = (2, 3) if data_format == "channels_first" else (1, 2)
    layer = L.RandomContrast(factor=(0.2, 0.4), data_format=data_format, seed=1)
    transformation = layer.get_random_transformation(nd.Tensor(x), training=True)
    factor = transformation["contrast_factor"].numpy()
    assert factor.shape == (6, 1, 1, 1) and factor.min() >= 0.8 and factor.max() <= 1.4
    assert np.ptp(factor) > 0  # one draw per image
    out = layer.transform_images(nd.Tensor(x), transformation).numpy()
    mean = x.mean(axis=axes, keepdims=True)
    np.testing.assert_allclose(out, np.clip((x - mean) * factor + mean, 0, 255), rtol=1e-5,
                               atol=1e-3)
    unchanged = layer.get_random_transformation(nd.Tensor(x), training=False)
    np.testing.assert_array_equal(layer.transform_images(nd.Tensor(x), unchanged,
                                                         training=False).numpy(), x)


def test_random_contrast_dict_inputs_seed_and_config():
    data = {"images": np.random.default_rng(4).random((2, 4, 5, 3)),
            "labels": np.arange(4.0).reshape(2, 2),
            "segmentation_masks": np.ones((2, 4, 5, 1)),
            "bounding_boxes": {"boxes": np.array([[1, 2, 2, 3]]), "labels": np.array([0])}}
    out = L.RandomContrast(0.5, value_range=(0, 1), bounding_box_format="xyxy")(data)
    assert out["images"].shape == (2, 4, 5, 3)
    assert not np.allclose(out["images"].numpy(), data["images"])
    np.testing.assert_array_equal(out["labels"].numpy(), data["labels"])
    np.testing.assert_array_equal(out["segmentation_masks"].numpy(), 1)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(), [[1, 2, 2, 3]])
    x = data["images"].astype("float32")
    a, b = L.RandomContrast(0.5, seed=7), L.RandomContrast(0.5, seed=7)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    config = a.get_config()
    assert config["factor"] == 0.5 and config["value_range"] == [0, 255] and config["seed"] == 7
    with pytest.raises(ValueError, match="`factor` must be a number or a pair in"):
        L.RandomContrast(1.5)


@pytest.mark.parametrize("threshold, value, expected", [
    (0.0, 0, 255), (0.0, 64, 191), (0.0, 127, 128), (0.0, 255, 0),  # Keras's cases
    (128 / 255, 0, 0), (128 / 255, 191, 64), (128 / 255, 255, 0), (128 / 255, 127, 127),
])
def test_solarization_values_match_keras(threshold, value, expected):
    layer = L.Solarization(threshold_factor=(threshold, threshold), value_range=(0, 255))
    out = layer(np.full((2, 3, 3, 3), value, "uint8"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, atol=1e-4)
    np.testing.assert_array_equal(layer(np.full((3, 3, 1), value, "uint8"), training=False).data,
                                  value)


def test_solarization_offsets_value_ranges_and_per_image_draws():
    # An offset of 0.25 * 255 first, then solarized above 0.5 * 255, on images in [-1, 1].
    layer = L.Solarization(addition_factor=(0.25, 0.25), threshold_factor=(0.5, 0.5),
                           value_range=(-1, 1))
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], "float32").reshape(1, 5, 1)
    # In [0, 255]: 0, 63.75, 127.5, 191.25, 255 -> +63.75 -> 63.75, 127.5, 191.25, 255, 255
    # -> solarized from 127.5 on: 63.75, 127.5, 63.75, 0, 0 -> back to [-1, 1].
    np.testing.assert_allclose(layer(x).data.ravel(), [-0.5, 0.0, -0.5, -1.0, -1.0], atol=1e-5)
    image = np.random.default_rng(0).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    random = L.Solarization(addition_factor=0.5, threshold_factor=0.5, seed=4)
    out = random(np.concatenate([image, image])).data
    assert not np.allclose(out[0], out[1])  # one draw per image
    again = L.Solarization(addition_factor=0.5, threshold_factor=0.5, seed=4)
    np.testing.assert_array_equal(again(np.concatenate([image, image])).data, out)


def test_solarization_contract_gradient_config_and_errors():
    check_layer(lambda: L.Solarization(addition_factor=0.75, value_range=(20, 200),
                                       threshold_factor=(0, 1), seed=1),
                (8, 3, 4, 3), (8, 3, 4, 3), 0)
    x = np.random.default_rng(1).uniform(10, 240, (2, 3, 3, 2))
    assert gradcheck_layer(L.Solarization(threshold_factor=(0.5, 0.5), dtype="float64"), [x],
                           call=lambda layer, xs: layer(xs[0], training=True))
    config = L.Solarization(0.2, (0.1, 0.3), value_range=(0, 1), seed=3).get_config()
    assert config["addition_factor"] == (0.0, 0.2) and config["threshold_factor"] == (0.1, 0.3)
    assert config["value_range"] == [0, 1] and config["seed"] == 3
    with pytest.raises(ValueError, match=r"in the range \[0, 1\]. Received: addition_factor=2"):
        L.Solarization(addition_factor=2)
    with pytest.raises(ValueError, match="threshold_factor"):
        L.Solarization(threshold_factor=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="`value_range` argument"):
        L.Solarization(value_range=(0, 1, 2))


class Recorder(L.Layer):
    """Records the ``training`` and ``mask`` it was called with; its mask is its input + 1."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.training, self.mask = None, None

    def call(self, x, training=False, mask=None):
        self.training, self.mask = training, mask
        return x * 2.0

    def compute_mask(self, x, mask=None):
        return x.data + 1


def test_pipeline_chains_layers_passing_training_and_masks():
    first, second = Recorder(), Recorder()
    pipeline = L.Pipeline([first, second])
    x = np.array([1.0, 3.0], "float32")
    out = pipeline(x, training=True, mask=np.array([True, False]))
    np.testing.assert_array_equal(out.data, [4, 12])
    assert first.training is True and second.training is True
    np.testing.assert_array_equal(first.mask, [True, False])
    np.testing.assert_array_equal(second.mask, [2, 4])  # the first layer's output mask
    pipeline(x)
    assert first.training is True  # a pipeline trains (augments) unless told otherwise
    pipeline(x, training=False)
    assert second.training is False
    assert pipeline.layers == [first, second]


def test_pipeline_runs_augmentations_and_round_trips_its_config(tmp_path):
    pipeline = L.Pipeline([L.AutoContrast(value_range=(0, 1)), L.CenterCrop(2, 3),
                           L.RandomBrightness((0.5, 0.5), value_range=(0, 1))])
    x = np.random.default_rng(2).uniform(0, 1, (2, 4, 5, 3)).astype("float32")
    out = pipeline(x).data
    cropped = L.CenterCrop(2, 3)(L.AutoContrast(value_range=(0, 1))(x)).data
    np.testing.assert_allclose(out, np.minimum(cropped + 0.5, 1.0), atol=1e-6)
    np.testing.assert_allclose(pipeline(x, training=False).data, cropped, atol=1e-6)
    config = json.loads(json.dumps(pipeline.get_config()))
    assert [c["class_name"] for c in config["layers"]] == ["AutoContrast", "CenterCrop",
                                                           "RandomBrightness"]
    clone = L.Pipeline.from_config(config)
    assert clone.get_config() == pipeline.get_config()
    np.testing.assert_allclose(clone(x, training=False).data, cropped, atol=1e-6)
    assert pipeline.compute_output_shape((None, 4, 5, 3)) == (None, 2, 3, 3)
    inputs = nd.Input((4, 5, 3))
    model = nd.Model(inputs, L.Pipeline([L.AutoContrast(value_range=(0, 1)),
                                         L.CenterCrop(2, 3)])(inputs))
    path = str(tmp_path / "pipeline.keras")
    model.save(path)
    np.testing.assert_allclose(nd.saving.load_model(path).predict(x, verbose=0), cropped,
                               atol=1e-6)


def test_pipeline_bad_arguments_raise():
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        L.Pipeline(L.Dense(2))
    with pytest.raises(ValueError, match="must contain a `layers` key"):
        L.Pipeline.from_config({"name": "p"})
    config = L.Pipeline([L.AutoContrast()]).get_config()
    serialized = config["layers"]
    L.Pipeline.from_config(config)
    assert config["layers"] is serialized  # the caller's config is left as it was


def test_training_only_image_layers_export_to_onnx_as_identity(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import numdeep.onnx

    model = nd.Sequential([nd.Input((6, 6, 3)), L.RandomFlip(), L.RandomContrast(0.2),
                           L.RandomBrightness(0.1), L.Conv2D(2, 3)])
    x = np.random.default_rng(0).random((2, 6, 6, 3)).astype("float32")
    path = str(tmp_path / "m.onnx")
    numdeep.onnx.export(model, path)
    session = ort.InferenceSession(path)
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)
