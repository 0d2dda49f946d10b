import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import gradcheck
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape",
    [
        (lambda: L.MaxPooling2D(), (2, 6, 6, 3), (2, 3, 3, 3)),
        (lambda: L.MaxPooling2D(2), (2, 11, 11, 3), (2, 5, 5, 3)),
        (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (2, 7, 6, 3), (2, 4, 3, 3)),
        (lambda: L.MaxPooling2D((2, 3), strides=1), (1, 5, 5, 2), (1, 4, 3, 2)),
        (lambda: L.MaxPooling2D(2, data_format="channels_first"), (2, 3, 6, 4), (2, 3, 3, 2)),
        (lambda: L.MaxPooling1D(), (2, 7, 3), (2, 3, 3)),
        (lambda: L.MaxPooling1D(3, strides=1, padding="same"), (2, 7, 3), (2, 7, 3)),
        (lambda: L.MaxPooling3D(2), (1, 4, 4, 5, 2), (1, 2, 2, 2, 2)),
        (lambda: L.AveragePooling2D(), (2, 6, 6, 3), (2, 3, 3, 3)),
        (lambda: L.AveragePooling2D(2, padding="same"), (2, 5, 5, 3), (2, 3, 3, 3)),
        (lambda: L.AveragePooling2D(3, strides=2), (1, 7, 7, 2), (1, 3, 3, 2)),
        (lambda: L.AveragePooling1D(2, strides=1), (2, 5, 3), (2, 4, 3)),
        (lambda: L.AveragePooling3D(2, padding="same"), (1, 3, 3, 3, 2), (1, 2, 2, 2, 2)),
        (lambda: L.GlobalAveragePooling2D(), (2, 5, 4, 3), (2, 3)),
        (lambda: L.GlobalAveragePooling2D(keepdims=True), (2, 5, 4, 3), (2, 1, 1, 3)),
        (lambda: L.GlobalAveragePooling2D(data_format="channels_first"), (2, 3, 5, 4), (2, 3)),
        (lambda: L.GlobalMaxPooling2D(), (2, 5, 4, 3), (2, 3)),
        (lambda: L.GlobalMaxPooling1D(keepdims=True), (2, 5, 3), (2, 1, 3)),
        (lambda: L.GlobalAveragePooling1D(), (2, 5, 3), (2, 3)),
        (lambda: L.MaxPool2D(), (1, 4, 4, 1), (1, 2, 2, 1)),
        (lambda: L.AvgPool1D(), (1, 4, 1), (1, 2, 1)),
        (lambda: L.GlobalAvgPool2D(), (1, 4, 4, 1), (1, 1)),
        (lambda: L.GlobalMaxPool1D(), (1, 4, 1), (1, 1)),
        (lambda: L.GlobalAveragePooling3D(), (2, 3, 4, 2, 3), (2, 3)),
        (lambda: L.GlobalAveragePooling3D(data_format="channels_first", keepdims=True),
         (2, 3, 4, 2, 3), (2, 3, 1, 1, 1)),
        (lambda: L.GlobalMaxPooling3D(keepdims=True), (2, 3, 4, 2, 3), (2, 1, 1, 1, 3)),
        (lambda: L.GlobalAvgPool3D(), (1, 2, 2, 2, 1), (1, 1)),
        (lambda: L.GlobalMaxPool3D(), (1, 2, 2, 2, 1), (1, 1)),
        (lambda: L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True),
         (2, 3, 5), (2, 3, 1)),
        (lambda: L.AdaptiveAveragePooling1D(3), (2, 7, 3), (2, 3, 3)),
        (lambda: L.AdaptiveMaxPooling1D(4, data_format="channels_first"), (2, 3, 7), (2, 3, 4)),
        (lambda: L.AdaptiveAveragePooling2D((2, 3)), (2, 5, 7, 3), (2, 2, 3, 3)),
        (lambda: L.AdaptiveMaxPooling2D(2), (2, 5, 4, 3), (2, 2, 2, 3)),
        (lambda: L.AdaptiveAveragePooling3D((1, 2, 3), data_format="channels_first"),
         (1, 2, 3, 4, 5), (1, 2, 1, 2, 3)),
        (lambda: L.AdaptiveMaxPooling3D(2), (1, 3, 4, 5, 2), (1, 2, 2, 2, 2)),
    ],
)
def test_check_layer(make, in_shape, out_shape):
    check_layer(make, in_shape, out_shape, 0)


def test_keras_defaults_and_aliases():
    config = L.MaxPooling2D().get_config()
    assert config["pool_size"] == (2, 2) and config["strides"] == (2, 2)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert L.MaxPooling2D(3).get_config()["strides"] == (3, 3)
    assert L.GlobalMaxPooling2D().get_config()["keepdims"] is False
    assert L.MaxPool2D is L.MaxPooling2D and L.AvgPool2D is L.AveragePooling2D
    assert L.GlobalAvgPool1D is L.GlobalAveragePooling1D
    assert L.GlobalAvgPool3D is L.GlobalAveragePooling3D
    assert L.GlobalMaxPool3D is L.GlobalMaxPooling3D
    assert L.AdaptiveMaxPooling2D((8, 16)).get_config()["output_size"] == (8, 16)
    assert L.AdaptiveAveragePooling3D(4).get_config()["output_size"] == (4, 4, 4)


def test_stateless_pooling_layers_are_built_at_creation():
    for layer in (L.MaxPooling2D(), L.AveragePooling1D(), L.GlobalMaxPooling3D(),
                  L.GlobalAveragePooling1D(), L.AdaptiveMaxPooling2D(2)):
        assert layer.built and not layer.weights

def test_values():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(L.MaxPooling2D()(x).data[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(L.GlobalMaxPooling2D()(x).data, [[15]])
    np.testing.assert_allclose(L.GlobalAveragePooling2D()(x).data, [[7.5]])
    # 'same' average pooling divides by the real pixels only: corner window holds one pixel.
    same = L.AveragePooling2D(2, padding="same")(np.arange(9, dtype="float32").reshape(1, 3, 3, 1))
    np.testing.assert_allclose(same.data[0, :, :, 0], [[2, 3.5], [6.5, 8]])


@pytest.mark.parametrize("make, shape", [
    (lambda: L.MaxPooling2D(3, strides=2, padding="same", dtype="float64"), (1, 5, 6, 2)),
    (lambda: L.AveragePooling2D(2, padding="same", dtype="float64"), (1, 5, 5, 2)),
    (lambda: L.AveragePooling1D(3, strides=2, dtype="float64"), (2, 7, 2)),
    (lambda: L.GlobalAveragePooling2D(dtype="float64"), (2, 3, 3, 2)),
    (lambda: L.GlobalMaxPooling2D(dtype="float64"), (2, 3, 3, 2)),
    (lambda: L.MaxPooling1D(3, strides=2, dtype="float64"), (2, 7, 2)),
    (lambda: L.MaxPooling3D(2, dtype="float64"), (1, 4, 4, 3, 2)),
    (lambda: L.AveragePooling3D(2, padding="same", dtype="float64"), (1, 3, 3, 3, 2)),
    (lambda: L.GlobalAveragePooling1D(dtype="float64"), (2, 5, 3)),
    (lambda: L.GlobalMaxPooling1D(dtype="float64"), (2, 5, 3)),
    (lambda: L.GlobalAveragePooling3D(dtype="float64"), (2, 2, 3, 2, 2)),
    (lambda: L.GlobalMaxPooling3D(dtype="float64", keepdims=True), (2, 2, 3, 2, 2)),
    (lambda: L.AdaptiveMaxPooling2D((2, 3), dtype="float64"), (2, 5, 7, 2)),
    (lambda: L.AdaptiveAveragePooling2D((3, 2), dtype="float64"), (1, 7, 5, 2)),
    (lambda: L.AdaptiveMaxPooling1D(4, dtype="float64"), (2, 3, 2)),
    (lambda: L.AdaptiveAveragePooling3D(2, dtype="float64"), (1, 3, 3, 4, 1)),
])
def test_layer_gradcheck_float64(make, shape):
    layer = make()
    x = np.random.default_rng(0).permutation(np.arange(np.prod(shape)) * 0.1).reshape(shape)
    assert gradcheck(lambda t: layer(t), [x])


def test_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'mp': Computed output size would "
                                         r"be zero or negative.*\(1, 2, 5, 1\).*pool_size="
                                         r"\(3, 3\)"):
        L.MaxPooling2D(3, name="mp")(np.zeros((1, 2, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"'mp2'.*expected ndim=4.*\(2, 6, 6\)"):
        L.MaxPooling2D(name="mp2")(np.zeros((2, 6, 6), "float32"))
    with pytest.raises(ValueError, match=r"The `strides` argument must be a tuple of 2 "
                                         r"integers. Received strides=0"):
        L.AveragePooling2D(2, strides=0)
    with pytest.raises(TypeError, match="`output_size` must be an integer"):
        L.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        L.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"global_average_pooling2d.*ndim=4"):
        L.GlobalAveragePooling2D()(np.zeros((2, 3, 4), "float32"))


def test_channels_first_matches_channels_last():
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3)).astype("float32")
    for cls in (L.MaxPooling2D, L.AveragePooling2D):
        last = cls(3, strides=2, padding="same")(x).data
        first = cls(3, strides=2, padding="same", data_format="channels_first")(
            x.transpose(0, 3, 1, 2)).data
        np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-6)


def test_global_average_pooling_1d_averages_unmasked_steps_only():
    nd.utils.set_random_seed(0)
    ids = np.array([[3, 5, 0, 0], [7, 0, 0, 0], [0, 0, 0, 0]])
    model = nd.Sequential([L.Embedding(10, 4, mask_zero=True), L.GlobalAveragePooling1D()])
    out = model(ids).data
    table = model.layers[0].embeddings.data
    np.testing.assert_allclose(out[0], table[[3, 5]].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out[1], table[7], rtol=1e-6)
    np.testing.assert_array_equal(out[2], 0)  # fully masked: zeros, not NaN
    first = L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    np.testing.assert_allclose(first(x, mask=np.array([[True, False, True]])).data,
                               [[[1.0], [4.0]]])
    x64 = np.random.default_rng(0).standard_normal((2, 4, 3))
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    layer = L.GlobalAveragePooling1D(dtype="float64")
    assert gradcheck(lambda t: layer(t, mask=mask), [x64])


def test_global_average_pooling_1d_takes_the_mask_as_second_argument():
    # Keras's call(inputs, mask): `layer(x, mask)` positionally, int masks accepted.
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    mask = np.array([[1, 1, 0], [0, 1, 0]], dtype="int32")
    expected = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(x, mask).data, expected)
    first = L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    mask = np.array([[1, 1, 0, 0], [0, 1, 0, 1]], dtype="int32")
    expected = (x * mask[:, None]).sum(2, keepdims=True) / mask.sum(1)[:, None, None]
    np.testing.assert_allclose(first(x, mask).data, expected)
    assert L.GlobalAveragePooling1D().supports_masking
    assert not L.GlobalMaxPooling1D().supports_masking


def test_adaptive_pooling_values_match_keras_and_torch():
    x = np.arange(1, 17, dtype="float32").reshape(1, 1, 4, 4)
    np.testing.assert_allclose(
        L.AdaptiveAveragePooling2D(2, data_format="channels_first")(x).data,
        [[[[3.5, 5.5], [11.5, 13.5]]]])
    np.testing.assert_allclose(L.AdaptiveMaxPooling2D(2, data_format="channels_first")(x).data,
                               [[[[6.0, 8.0], [14.0, 16.0]]]])
    seq = np.array([[[3.0], [1.0], [4.0], [1.0], [5.0], [9.0], [2.0]]], dtype="float32")
    # Windows of 7 steps into 3: [0, 3), [2, 5), [4, 7).
    np.testing.assert_allclose(L.AdaptiveMaxPooling1D(3)(seq).data.ravel(), [4, 5, 9])
    np.testing.assert_allclose(L.AdaptiveAveragePooling1D(3)(seq).data.ravel(),
                               [8 / 3, 10 / 3, 16 / 3], rtol=1e-6)
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 9, 7, 3)).astype("float32")
    tx = torch.from_numpy(x).permute(0, 3, 1, 2)
    for layer, fn in ((L.AdaptiveMaxPooling2D((4, 3)), torch.nn.functional.adaptive_max_pool2d),
                      (L.AdaptiveAveragePooling2D((4, 3)),
                       torch.nn.functional.adaptive_avg_pool2d)):
        expected = fn(tx, (4, 3)).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(layer(x).data, expected, rtol=1e-5, atol=1e-6)
