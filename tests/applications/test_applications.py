"""numdeep.applications without Keras: arguments, shapes, names, ImageNet files from Keras's
cache (a fake cache in a temporary KERAS_HOME), preprocessing, decoding, lazy import."""

import hashlib
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.applications import imagenet_utils, resnet, weights

A = nd.applications


def test_pooling_and_top_shapes():
    base = dict(weights=None, input_shape=(32, 32, 3), include_top=False)
    assert A.ResNet50(**base).output_shape == (None, 1, 1, 2048)
    assert A.ResNet50(pooling="avg", **base).output_shape == (None, 2048)
    model = A.ResNet50(pooling="max", **base)
    assert model.output_shape == (None, 2048)
    assert model.layers[-1].name == "max_pool"
    top = A.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=7)
    assert top.output_shape == (None, 7)
    assert top.layers[-1].name == "predictions"


def test_classifier_activation_none_gives_logits():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    soft = A.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=5)
    logits = A.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=5,
                                classifier_activation=None)
    logits.set_weights(soft.get_weights())
    p, z = soft.predict(x, verbose=0), logits.predict(x, verbose=0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), p, rtol=1e-5, atol=1e-7)


def test_input_tensor_keeps_the_layers_before_it():
    inputs = nd.Input((32, 32, 3))
    x = nd.layers.Rescaling(1 / 255.0)(inputs)
    model = A.DenseNet121(weights=None, include_top=False, input_tensor=x, pooling="avg")
    assert model.inputs[0] is inputs
    assert model.layers[1].name.startswith("rescaling")
    assert model.output_shape == (None, 1024)


def test_argument_errors_match_keras():
    with pytest.raises(ValueError, match="The `weights` argument should be either"):
        A.VGG16(weights="/no/such/file.h5")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        A.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="Input size must be at least 71x71"):
        A.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="`input_shape` should be \\(224, 224, 3\\)"):
        A.ResNet50(weights="imagenet", input_shape=(200, 200, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        A.EfficientNetB0(weights="/dev/null", classifier_activation="relu")
    with pytest.raises(ValueError, match="alpha can be one of"):
        A.MobileNet(weights="imagenet", alpha=0.3, include_top=False, input_shape=(128, 128, 3))


def test_keras_layer_names_and_model_names():
    model = A.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), include_top=True,
                        classes=3)
    assert model.name == "mobilenet_0.25_32"
    names = [la.name for la in model.layers]
    assert names[:4] == [names[0], "conv1", "conv1_bn", "conv1_relu"]
    assert {"conv_pad_2", "conv_dw_13_relu", "conv_preds", "reshape_2", "predictions"} <= set(names)
    eff = A.EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert eff.name == "efficientnetb0"
    assert {"stem_conv", "block1a_se_excite", "block6d_add", "top_activation"} <= {
        la.name for la in eff.layers}


def _write_published_h5(model, path):
    """A weights-only legacy .h5 laid out as Keras's published files: root ``layer_names``,
    one group per layer holding ``weight_names`` and the arrays."""
    with h5py.File(path, "w") as f:
        layers = [la for la in model.layers if la.weights]
        f.attrs["layer_names"] = [la.name.encode() for la in layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for la in layers:
            g = f.create_group(la.name)
            names = [f"{la.name}/{w.name}:0".encode() for w in la.weights]
            g.attrs["weight_names"] = names
            for n, w in zip(names, la.weights):
                g.create_dataset(n.decode(), data=np.asarray(w.data))


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(weights, "_get_file", lambda: None)  # the cache path, not a download
    (tmp_path / "models").mkdir()
    return tmp_path


def test_imagenet_weights_come_from_keras_cache(keras_home):
    source = A.MobileNet(weights=None, alpha=0.25, include_top=False, input_shape=(128, 128, 3))
    for w in source.weights:
        w.data[...] = np.random.default_rng(1).uniform(0.5, 1.0, w.shape)
    _write_published_h5(source, keras_home / "models" / "mobilenet_2_5_128_tf_no_top.h5")
    model = A.MobileNet(weights="imagenet", alpha=0.25, include_top=False,
                        input_shape=(128, 128, 3))
    for a, b in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_imagenet_weights_missing_names_the_url_and_the_place(keras_home):
    with pytest.raises(FileNotFoundError) as info:
        A.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    message = str(info.value)
    assert resnet.BASE_WEIGHTS_PATH + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5" \
        in message
    assert str(keras_home / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5") \
        in message


def test_imagenet_weights_with_a_wrong_hash_are_refused(keras_home):
    fname = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    (keras_home / "models" / fname).write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="does not match the MD5 hash"):
        A.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))


def test_decode_predictions_reads_the_class_index_from_the_cache(keras_home, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"label_{i}"] for i in range(1000)}
    path = keras_home / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        hashlib.md5(path.read_bytes()).hexdigest())
    preds = np.zeros((2, 1000), "float32")
    preds[0, [5, 9, 2]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    out = A.resnet50.decode_predictions(preds, top=3)
    assert [r[:2] for r in out[0]] == [("n00000005", "label_5"), ("n00000009", "label_9"),
                                       ("n00000002", "label_2")]
    assert out[1][0][1] == "label_999" and float(out[1][0][2]) == 1.0
    with pytest.raises(ValueError, match="expects a batch of predictions"):
        A.resnet50.decode_predictions(np.zeros((2, 10)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_tensor_symbolic_and_numpy_agree(mode):
    x = np.random.default_rng(0).uniform(0, 255, (2, 5, 5, 3)).astype("float32")
    expected = imagenet_utils.preprocess_input(x.copy(), mode=mode)
    tensor = imagenet_utils.preprocess_input(nd.Tensor(x), mode=mode)
    np.testing.assert_allclose(tensor.data, expected, rtol=1e-6, atol=1e-5)
    inputs = nd.Input((5, 5, 3))
    model = nd.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-5)
    first = imagenet_utils.preprocess_input(x.transpose(0, 3, 1, 2).copy(), "channels_first",
                                            mode=mode)
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), expected, rtol=1e-6, atol=1e-5)


def test_preprocess_input_values():
    pixel = np.array([[[10.0, 20.0, 30.0]]])
    np.testing.assert_allclose(A.vgg16.preprocess_input(pixel.copy()),
                               [[[30 - 103.939, 20 - 116.779, 10 - 123.68]]])
    np.testing.assert_allclose(A.xception.preprocess_input(pixel.copy()),
                               pixel / 127.5 - 1)
    np.testing.assert_allclose(A.densenet.preprocess_input(pixel.copy()),
                               (pixel / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225])
    assert A.efficientnet.preprocess_input(pixel) is pixel
    ints = A.resnet50.preprocess_input(np.full((1, 1, 3), 255, "uint8"))
    assert ints.dtype == np.float32


def test_applications_import_lazily():
    code = ("import sys, numdeep; assert 'numdeep.applications' not in sys.modules; "
            "f = numdeep.applications.ResNet50; assert 'numdeep.applications.resnet' in "
            "sys.modules; assert 'numdeep.applications.vgg16' not in sys.modules; "
            "print(f.__name__, numdeep.applications.resnet50.ResNet50 is f)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                         check=True)
    assert out.stdout.split() == ["ResNet50", "True"]
    with pytest.raises(AttributeError, match="no attribute 'ResNet49'"):
        A.ResNet49  # noqa: B018


def test_custom_scale_layer_values_config_and_float64_gradients():
    from numdeep.applications.inception_resnet_v2 import CustomScaleLayer

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    layer = CustomScaleLayer(0.17, dtype="float64")
    np.testing.assert_allclose(layer([nd.Tensor(a), nd.Tensor(b)]).data, a + 0.17 * b,
                               rtol=1e-12)
    clone = CustomScaleLayer.from_config(layer.get_config())
    assert clone.scale == 0.17
    assert nd.gradcheck(lambda x, y: layer([x, y]), [a, b])
    with pytest.raises(ValueError, match="expects a list \\[shortcut, branch\\]"):
        layer(a)
    inputs = [nd.Input((5, 5, 8)), nd.Input((5, 5, 8))]
    assert nd.Model(inputs, CustomScaleLayer(0.1)(inputs)).output_shape == (None, 5, 5, 8)


def test_inception_families_shapes_and_keras_names():
    v3 = A.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    assert v3.name == "inception_v3" and v3.output_shape == (None, 1, 1, 2048)
    assert {"mixed0", "mixed3", "mixed8", "mixed9_1", "mixed10"} <= {la.name for la in v3.layers}
    irv2 = A.InceptionResNetV2(weights=None, classes=4, input_shape=(75, 75, 3))
    names = {la.name for la in irv2.layers}
    assert {"mixed_5b", "block35_10_mixed", "block17_20_conv", "block8_10_conv", "conv_7b_ac",
            "predictions"} <= names and "block8_10_ac" not in names
    assert irv2.output_shape == (None, 4)
    with pytest.raises(ValueError, match="Input size must be at least 75x75"):
        A.InceptionV3(weights=None, include_top=False, input_shape=(64, 64, 3))


def test_efficientnet_v2_input_scaling_and_nasnet_channels_last_only():
    b0 = A.EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [type(la).__name__ for la in b0.layers[1:3]] == ["Rescaling", "Normalization"]
    gray = A.EfficientNetV2S(weights=None, include_top=False, input_shape=(None, None, 1))
    rescale = gray.layers[1]
    assert type(rescale).__name__ == "Rescaling" and gray.layers[2].name == "stem_conv"
    np.testing.assert_allclose(rescale(np.array([[0.0, 128.0, 255.0]], "float32")).data,
                               [[-1.0, 0.0, 255 / 128 - 1]], rtol=1e-6)
    assert gray.output_shape == (None, None, None, 1280)
    assert A.efficientnet_v2.preprocess_input(7.0) == 7.0
    nd.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="NASNet does not support the `channels_first`"):
            A.NASNetMobile(weights=None, include_top=False, input_shape=(3, 32, 32))
    finally:
        nd.backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="must be a multiple of 24"):
        A.nasnet.NASNet((32, 32, 3), penultimate_filters=100, weights=None)


def test_tf_keras_names_reach_applications_and_preprocessing():
    """``import numdeep as tf``: the TensorFlow transfer-learning tutorial's
    ``tf.keras.applications.MobileNetV2`` and ``tf.keras.preprocessing`` resolve."""
    import numdeep as tf

    base = tf.keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False,
                                             weights=None, alpha=0.35)
    assert base.output_shape == (None, 1, 1, 1280)
    x = tf.keras.applications.mobilenet_v2.preprocess_input(np.array([[0.0, 255.0]]))
    np.testing.assert_allclose(x, [[-1.0, 1.0]])
    assert tf.keras.preprocessing.image.load_img is nd.utils.load_img
