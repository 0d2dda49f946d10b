import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor, gradcheck
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
        (lambda: L.UpSampling3D((2, 1, 3)), (2, 2, 3, 2, 2), (2, 4, 3, 6, 2)),
        (lambda: L.UpSampling3D(data_format="channels_first"), (2, 2, 2, 3, 2), (2, 2, 4, 6, 4)),
        (lambda: L.ZeroPadding3D(), (2, 2, 3, 2, 2), (2, 4, 5, 4, 2)),
        (lambda: L.ZeroPadding3D(((1, 0), (0, 2), (1, 1)), data_format="channels_first"),
         (2, 2, 2, 3, 2), (2, 2, 3, 5, 4)),
        (lambda: L.Cropping3D(), (2, 4, 5, 6, 2), (2, 2, 3, 4, 2)),
        (lambda: L.Cropping3D(((1, 0), (0, 2), (1, 1)), data_format="channels_first"),
         (2, 2, 4, 5, 6), (2, 2, 3, 3, 4)),
        (lambda: L.UpSampling2D((2, 3), interpolation="bicubic"), (2, 3, 4, 2), (2, 6, 12, 2)),
        (lambda: L.UpSampling2D(2, interpolation="lanczos3"), (2, 3, 4, 2), (2, 6, 8, 2)),
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
    with pytest.raises(ValueError, match=r"Values in `cropping` argument should be smaller than "
                                         r"the corresponding spatial dimension.*'cr'.*"
                                         r"\(1, 4, 4, 1\)"):
        L.Cropping2D(2, name="cr")(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="padding"):
        L.ZeroPadding2D(((1, 2, 3), (0, 0)))
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match=r"'up'.*expected ndim=4, found ndim=3"):
        L.UpSampling2D(name="up")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"spatial_dropout2d.*expected ndim=4"):
        L.SpatialDropout2D(0.1)(np.zeros((2, 3, 4), "float32"))


@pytest.mark.parametrize("make, shape", [
    (lambda: L.UpSampling3D((2, 1, 2), dtype="float64"), (1, 2, 2, 2, 2)),
    (lambda: L.ZeroPadding3D(((1, 0), (2, 1), (0, 1)), dtype="float64"), (1, 2, 2, 2, 2)),
    (lambda: L.Cropping3D(((1, 0), (0, 1), (1, 1)), data_format="channels_first",
                          dtype="float64"), (1, 2, 3, 3, 4)),
    (lambda: L.UpSampling2D(2, interpolation="bicubic", dtype="float64"), (1, 3, 3, 2)),
    (lambda: L.UpSampling1D(3, dtype="float64"), (2, 3, 2)),
])
def test_more_gradchecks_float64(make, shape):
    layer = make()
    assert gradcheck(lambda t: layer(t), [np.random.default_rng(1).standard_normal(shape)])


def test_3d_layers_match_torch():
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5, 2)).astype("float32")
    first = np.ascontiguousarray(x.transpose(0, 4, 1, 2, 3))  # torch is channels-first
    cases = [
        (L.UpSampling3D((2, 1, 3)), lambda t: fn.interpolate(t, scale_factor=(2, 1, 3),
                                                             mode="nearest")),
        (L.ZeroPadding3D(((1, 0), (2, 1), (0, 3))), lambda t: fn.pad(t, (0, 3, 2, 1, 1, 0))),
        (L.Cropping3D(((1, 0), (1, 1), (0, 2))), lambda t: t[:, :, 1:, 1:-1, :-2]),
    ]
    for layer, ref in cases:
        xt = Tensor(x, requires_grad=True)
        y = layer(xt)
        cot = np.random.default_rng(3).standard_normal(y.shape).astype("float32")
        (y * Tensor(cot)).sum().backward()
        tx = torch.tensor(first, requires_grad=True)
        out = ref(tx)
        (out * torch.tensor(cot.transpose(0, 4, 1, 2, 3))).sum().backward()
        np.testing.assert_allclose(y.numpy().transpose(0, 4, 1, 2, 3), out.detach().numpy())
        np.testing.assert_allclose(xt.grad.transpose(0, 4, 1, 2, 3), tx.grad.numpy(),
                                   atol=1e-6)


def test_3d_values_and_dynamic_shapes():
    x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2, 1)
    up = L.UpSampling3D((2, 2, 2))(x).numpy()
    np.testing.assert_array_equal(up[0, :, :, :, 0], x[0, :, :, :, 0].repeat(2, 0)
                                  .repeat(2, 1).repeat(2, 2))
    padded = L.ZeroPadding3D(1)(x).numpy()
    assert padded.shape == (1, 4, 4, 4, 1) and padded.sum() == x.sum()
    np.testing.assert_array_equal(padded[0, 1:-1, 1:-1, 1:-1], x[0])
    assert L.ZeroPadding3D(((1, 2), (3, 4), (5, 6)))(
        nd.Input(batch_shape=(1, 2, None, 4, 5))).shape == (1, 5, None, 15, 5)
    assert L.Cropping3D(((1, 2), (3, 4), (5, 6)))(
        nd.Input(batch_shape=(1, 7, None, 13, 5))).shape == (1, 4, None, 2, 5)
    assert L.UpSampling1D(2)(nd.Input(batch_shape=(2, None, 3))).shape == (2, None, 3)


def test_smooth_upsampling_reproduces_linear_ramps():
    ramp = np.arange(8, dtype="float32").reshape(1, 8, 1, 1)
    for interpolation in ("bilinear", "bicubic"):
        y = L.UpSampling2D((2, 1), interpolation=interpolation)(ramp).numpy()[0, 4:-4, 0, 0]
        np.testing.assert_allclose(y, np.arange(4, 12) / 2 - 0.25, atol=1e-5)
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="cubic")


@pytest.mark.parametrize("make", [
    lambda: L.Cropping1D((1,)), lambda: L.Cropping1D((1, 2, 3)), lambda: L.Cropping1D("1"),
    lambda: L.Cropping2D((1,)), lambda: L.Cropping2D(((1, 2), (3, 4, 5))),
    lambda: L.Cropping2D(((1, 2), (3, -4))), lambda: L.Cropping2D(((1, 2), "3")),
    lambda: L.Cropping3D((1, 2)), lambda: L.Cropping3D(((1, 2), (3, 4), (5, -6))),
    lambda: L.ZeroPadding1D((1,)), lambda: L.ZeroPadding1D("1"),
    lambda: L.ZeroPadding3D((1, 2, 3, 4)), lambda: L.ZeroPadding3D(((1, 2), (3, 4), "5")),
    lambda: L.UpSampling2D(0), lambda: L.UpSampling3D((1, 2)), lambda: L.UpSampling1D(0),
])
def test_bad_arguments_are_value_errors(make):
    with pytest.raises(ValueError):
        make()


def test_argument_forms_and_configs_follow_keras():
    assert L.Cropping1D(2).get_config()["cropping"] == (2, 2)
    assert L.ZeroPadding1D((1, 2)).get_config()["padding"] == (1, 2)
    assert L.ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert L.ZeroPadding3D((1, 2, 3)).get_config()["padding"] == ((1, 1), (2, 2), (3, 3))
    assert L.Cropping3D(2).cropping == ((2, 2),) * 3
    assert L.UpSampling1D(3).get_config()["size"] == 3
    for size in (2.5, "2", True):
        with pytest.raises(TypeError, match="Expected an integer value for `size`"):
            L.UpSampling1D(size)
    with pytest.raises(ValueError, match="`cropping` parameter of `Cropping1D` layer must be "
                                         "smaller than the input length"):
        L.Cropping1D((2, 3))(np.ones((1, 5, 2), "float32"))
