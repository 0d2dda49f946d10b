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
])
def test_layer_gradcheck_float64(make, shape):
    layer = make()
    x = np.random.default_rng(0).permutation(np.arange(np.prod(shape)) * 0.1).reshape(shape)
    assert gradcheck(lambda t: layer(t), [x])


def test_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'mp'.*pool_size \(3, 3\).*"
                                         r"\(1, 2, 5, 1\)"):
        L.MaxPooling2D(3, name="mp")(np.zeros((1, 2, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"'mp2' expects a 4-D input.*\(2, 6, 6\)"):
        L.MaxPooling2D(name="mp2")(np.zeros((2, 6, 6), "float32"))
    with pytest.raises(ValueError, match=r"`strides` must be a positive"):
        L.AveragePooling2D(2, strides=0)
    with pytest.raises(ValueError, match="padding"):
        L.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D.*4-D"):
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
