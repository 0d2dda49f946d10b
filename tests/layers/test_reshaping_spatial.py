import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import gradcheck
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape",
    [
        (lambda: L.UpSampling2D(), (2, 3, 4, 2), (2, 6, 8, 2)),
        (lambda: L.UpSampling2D((2, 3), data_format="channels_first"), (2, 2, 3, 4),
         (2, 2, 6, 12)),
        (lambda: L.UpSampling2D(2, interpolation="bilinear"), (2, 3, 4, 2), (2, 6, 8, 2)),
        (lambda: L.UpSampling1D(3), (2, 4, 2), (2, 12, 2)),
        (lambda: L.ZeroPadding2D(), (2, 3, 4, 2), (2, 5, 6, 2)),
        (lambda: L.ZeroPadding2D(((1, 0), (2, 3))), (2, 3, 4, 2), (2, 4, 9, 2)),
        (lambda: L.ZeroPadding2D((1, 2), data_format="channels_first"), (2, 2, 3, 4),
         (2, 2, 5, 8)),
        (lambda: L.ZeroPadding1D((0, 2)), (2, 4, 2), (2, 6, 2)),
        (lambda: L.Cropping2D(), (2, 5, 6, 2), (2, 5, 6, 2)),
        (lambda: L.Cropping2D(((1, 0), (2, 1))), (2, 5, 6, 2), (2, 4, 3, 2)),
        (lambda: L.Cropping2D(1, data_format="channels_first"), (2, 2, 5, 6), (2, 2, 3, 4)),
        (lambda: L.Cropping1D(), (2, 5, 2), (2, 3, 2)),
        (lambda: L.SpatialDropout2D(0.5, seed=0), (2, 4, 4, 3), (2, 4, 4, 3)),
        (lambda: L.SpatialDropout1D(0.3), (2, 5, 3), (2, 5, 3)),
    ],
)
def test_check_layer(make, in_shape, out_shape):
    check_layer(make, in_shape, out_shape, 0)


def test_values():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(L.UpSampling2D((1, 2))(x).data[0, :, :, 0],
                                  [[0, 0, 1, 1], [2, 2, 3, 3]])
    bilinear = L.UpSampling2D(2, interpolation="bilinear")(x).data[0, :, :, 0]
    np.testing.assert_allclose(bilinear[0], [0, 0.25, 0.75, 1])  # half-pixel centers (TF)
    padded = L.ZeroPadding2D(((1, 0), (0, 1)))(x).data[0, :, :, 0]
    np.testing.assert_array_equal(padded, [[0, 0, 0], [0, 1, 0], [2, 3, 0]])
    big = np.arange(30, dtype="float32").reshape(1, 5, 6, 1)
    np.testing.assert_array_equal(L.Cropping2D(((1, 2), (2, 1)))(big).data,
                                  big[:, 1:3, 2:5])


@pytest.mark.parametrize("make, shape", [
    (lambda: L.UpSampling2D((2, 3), dtype="float64"), (1, 2, 3, 2)),
    (lambda: L.UpSampling2D(2, interpolation="bilinear", dtype="float64"), (1, 3, 2, 2)),
    (lambda: L.ZeroPadding2D(((1, 0), (2, 1)), dtype="float64"), (1, 2, 3, 2)),
    (lambda: L.Cropping2D(((1, 0), (0, 1)), dtype="float64"), (1, 3, 3, 2)),
])
def test_layer_gradcheck_float64(make, shape):
    layer = make()
    assert gradcheck(lambda t: layer(t), [np.random.default_rng(0).standard_normal(shape)])


def test_spatial_dropout_drops_whole_channels_in_training_only():
    x = np.ones((8, 5, 5, 6), "float32")
    layer = L.SpatialDropout2D(0.5, seed=0)
    np.testing.assert_array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :1, :], y.shape))
    assert 0 < (y[:, 0, 0, :] == 0).sum() < y[:, 0, 0, :].size
    first = L.SpatialDropout2D(0.5, data_format="channels_first", seed=0)
    z = first(np.ones((4, 3, 5, 5), "float32"), training=True).data
    np.testing.assert_array_equal(z, np.broadcast_to(z[:, :, :1, :1], z.shape))
    config = layer.get_config()
    assert config["data_format"] == "channels_last" and "noise_shape" not in config


def test_errors():
    with pytest.raises(ValueError, match=r"Cropping2D layer 'cr'.*removes everything.*"
                                         r"\(1, 4, 4, 1\)"):
        L.Cropping2D(2, name="cr")(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="padding"):
        L.ZeroPadding2D(((1, 2, 3), (0, 0)))
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"'up'.*4-D"):
        L.UpSampling2D(name="up")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"SpatialDropout2D.*4-D"):
        L.SpatialDropout2D(0.1)(np.zeros((2, 3, 4), "float32"))
