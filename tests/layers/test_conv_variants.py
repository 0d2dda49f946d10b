"""The Keras 3 convolution variants: ``Conv3DTranspose``, ``DepthwiseConv1D``,
``SeparableConv1D``, transposed-convolution geometry (``padding='same'`` with
``output_padding``), LoRA on ``Conv1D/2D/3D``; forward and gradient parity with PyTorch for the
3-D family (``Conv3D``, ``Conv3DTranspose``, 3-D pooling) and ``DepthwiseConv1D``."""

import numpy as np
import pytest

import numdeep as nd
from numdeep.ops import conv_shapes
from numdeep.saving import h5io
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape, n_weights",
    [
        (lambda: L.Conv3DTranspose(2, 3, strides=2), (1, 2, 3, 2, 2), (1, 5, 7, 5, 2), 2),
        (lambda: L.Conv3DTranspose(2, 2, strides=(1, 2, 2), padding="same",
                                   output_padding=(0, 1, 1), data_format="channels_first"),
         (1, 2, 2, 3, 2), (1, 2, 1, 5, 3), 2),
        (lambda: L.Conv1DTranspose(2, 2, strides=2, padding="same", output_padding=1),
         (2, 3, 1), (2, 5, 2), 2),
        (lambda: L.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), (2, 7, 3),
         (2, 7, 6), 2),
        (lambda: L.DepthwiseConv1D(2, strides=2, dilation_rate=1, use_bias=False,
                                   data_format="channels_first"), (1, 3, 8), (1, 3, 4), 1),
        (lambda: L.SeparableConv1D(4, 3, depth_multiplier=2), (2, 8, 3), (2, 6, 4), 3),
        (lambda: L.SeparableConv1D(2, 3, strides=2, padding="same", activation="relu"),
         (1, 7, 2), (1, 4, 2), 3),
        (lambda: L.DepthwiseConv2D(3, data_format="channels_first"), (1, 2, 5, 5), (1, 2, 3, 3),
         2),
        (lambda: L.Conv2D(3, 2, lora_rank=2, kernel_regularizer="l2"), (2, 4, 4, 2),
         (2, 3, 3, 3), 4),
        # A feasible (non-negative) start: from there one small projected gradient step lowers
        # the loss; from random signs the projection itself could raise it.
        (lambda: L.Conv2D(3, 2, kernel_constraint="non_neg",
                          kernel_initializer=nd.initializers.RandomUniform(0.0, 0.5, seed=1)),
         (2, 4, 4, 2), (2, 3, 3, 3), 2),
    ],
)
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


@pytest.mark.parametrize("make, shape", [
    (lambda: L.Conv3DTranspose(2, 2, strides=2, padding="same", dtype="float64"),
     (1, 2, 2, 2, 2)),
    (lambda: L.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1,
                               dtype="float64"), (2, 3, 2)),
    (lambda: L.DepthwiseConv1D(3, depth_multiplier=2, strides=2, dtype="float64"), (2, 7, 2)),
    (lambda: L.SeparableConv1D(3, 2, padding="same", dtype="float64"), (1, 5, 2)),
    (lambda: L.Conv1D(3, 2, lora_rank=2, dtype="float64"), (2, 5, 2)),
])
def test_layer_gradcheck_float64(make, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    assert gradcheck_layer(make(), [x], mode="random")


def test_conv_transpose_same_with_output_padding_is_not_shifted():
    # The contract issue's example: Keras gives [1, 2, 1, 2, 1] (numdeep gave [2, 1, 2, 1, 2]).
    layer = L.Conv1DTranspose(1, 2, strides=2, padding="same", output_padding=1, use_bias=False)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([1.0, 2.0], "float32").reshape(2, 1, 1)])
    np.testing.assert_array_equal(layer(np.ones((1, 3, 1), "float32")).data.ravel(),
                                  [1, 2, 1, 2, 1])
    layer2 = L.Conv2DTranspose(1, 2, strides=2, padding="same", output_padding=1,
                               use_bias=False)
    layer2.build((None, 3, 3, 1))
    layer2.set_weights([np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(2, 2, 1, 1)])
    y = layer2(np.ones((1, 3, 3, 1), "float32")).data[0, :, :, 0]
    row_a, row_b = [1, 2, 1, 2, 1], [3, 4, 3, 4, 3]
    np.testing.assert_array_equal(y, [row_a, row_b, row_a, row_b, row_a])


@pytest.mark.parametrize("size, k, padding, stride, output_padding, expected", [
    (3, 2, "same", 2, 1, (0, 5)),
    (3, 3, "same", 2, 1, (0, 6)),
    (3, 3, "same", 2, None, (0, 6)),
    (4, 4, "same", 1, None, (1, 4)),
    (3, 3, "valid", 2, None, (0, 7)),
    (3, 2, "valid", 3, None, (0, 9)),
    (3, 3, "valid", 2, 1, (0, 8)),
])
def test_conv_transpose_geometry_follows_keras(size, k, padding, stride, output_padding,
                                               expected):
    assert conv_shapes.conv_transpose_geometry(size, k, padding, stride, 1,
                                               output_padding) == expected
    shape = conv_shapes.compute_conv_transpose_output_shape((None, size, 2), (k,), 5, stride,
                                                            padding, output_padding)
    assert shape == (None, expected[1], 5)


def test_conv3d_transpose_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.ConvTranspose3d(2, 3, (3, 2, 3), stride=(2, 1, 2))
    layer = L.Conv3DTranspose(3, (3, 2, 3), strides=(2, 1, 2))
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2, 2)).astype("float32")
    layer(x)
    weight = module.weight.detach().numpy()  # (in, out, *k)
    layer.set_weights([weight.transpose(2, 3, 4, 1, 0), module.bias.detach().numpy()])
    expected = module(torch.from_numpy(x).permute(0, 4, 1, 2, 3)).permute(0, 2, 3, 4, 1)
    np.testing.assert_allclose(layer(x).data, expected.detach().numpy(), atol=1e-5, rtol=1e-4)


def _torch_parity(layer, module, x, to_torch, from_torch, atol=1e-5):
    """Forward and input/weight gradients of a numdeep layer against a torch module."""
    torch = pytest.importorskip("torch")
    xt = nd.Tensor(x, requires_grad=True)
    y = layer(xt)
    cot = np.random.default_rng(5).standard_normal(y.shape).astype("float32")
    (y * nd.Tensor(cot)).sum().backward()
    tx = torch.tensor(to_torch(x), requires_grad=True)
    out = module(tx)
    (out * torch.from_numpy(to_torch(cot))).sum().backward()
    np.testing.assert_allclose(y.numpy(), from_torch(out.detach().numpy()), atol=atol,
                               rtol=1e-4)
    np.testing.assert_allclose(xt.grad, from_torch(tx.grad.numpy()), atol=atol, rtol=1e-4)
    return layer, module


def test_conv3d_transpose_gradients_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.ConvTranspose3d(2, 3, (2, 3, 2), stride=(2, 2, 1))
    layer = L.Conv3DTranspose(3, (2, 3, 2), strides=(2, 2, 1))
    x = np.random.default_rng(4).standard_normal((2, 3, 3, 2, 2)).astype("float32")
    layer(x)
    layer.set_weights([module.weight.detach().numpy().transpose(2, 3, 4, 1, 0),
                       module.bias.detach().numpy()])
    _torch_parity(layer, module, x, lambda a: np.ascontiguousarray(a.transpose(0, 4, 1, 2, 3)),
                  lambda a: a.transpose(0, 2, 3, 4, 1))
    np.testing.assert_allclose(layer.kernel.grad,
                               module.weight.grad.numpy().transpose(2, 3, 4, 1, 0),
                               atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(layer.bias.grad, module.bias.grad.numpy(), atol=1e-4)


def _channels_first_3d(a):
    return np.ascontiguousarray(a.transpose(0, 4, 1, 2, 3))


def test_conv3d_and_3d_pooling_gradients_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    x = np.random.default_rng(7).standard_normal((2, 5, 6, 4, 3)).astype("float32")
    back = lambda a: a.transpose(0, 2, 3, 4, 1)  # noqa: E731
    conv = torch.nn.Conv3d(3, 2, (3, 2, 2), stride=(2, 1, 2))
    layer = L.Conv3D(2, (3, 2, 2), strides=(2, 1, 2))
    layer(x)
    layer.set_weights([conv.weight.detach().numpy().transpose(2, 3, 4, 1, 0),
                       conv.bias.detach().numpy()])
    _torch_parity(layer, conv, x, _channels_first_3d, back)
    np.testing.assert_allclose(layer.kernel.grad,
                               conv.weight.grad.numpy().transpose(2, 3, 4, 1, 0), atol=1e-4,
                               rtol=1e-4)
    pools = [(L.MaxPooling3D((2, 3, 2), strides=(1, 2, 2)),
              torch.nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2))),
             (L.AveragePooling3D(2), torch.nn.AvgPool3d(2)),
             (L.GlobalAveragePooling3D(keepdims=True), torch.nn.AdaptiveAvgPool3d(1)),
             (L.GlobalMaxPooling3D(keepdims=True), torch.nn.AdaptiveMaxPool3d(1))]
    for layer, module in pools:
        _torch_parity(layer, module, x, _channels_first_3d, back)


def test_depthwise_conv1d_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    # depth_multiplier 2 is a grouped convolution with groups = channels.
    module = torch.nn.Conv1d(3, 6, 3, stride=2, dilation=1, groups=3)
    layer = L.DepthwiseConv1D(3, strides=2, depth_multiplier=2)
    x = np.random.default_rng(6).standard_normal((2, 9, 3)).astype("float32")
    layer(x)
    weight = module.weight.detach().numpy()  # (channels * multiplier, 1, k)
    layer.set_weights([weight[:, 0, :].reshape(3, 2, 3).transpose(2, 0, 1),
                       module.bias.detach().numpy()])
    _torch_parity(layer, module, x, lambda a: np.ascontiguousarray(a.transpose(0, 2, 1)),
                  lambda a: a.transpose(0, 2, 1))
    grad = module.weight.grad.numpy()[:, 0, :].reshape(3, 2, 3).transpose(2, 0, 1)
    np.testing.assert_allclose(layer.kernel.grad, grad, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(layer.bias.grad, module.bias.grad.numpy(), atol=1e-4)


def test_depthwise_and_separable_1d_values():
    x = np.arange(12, dtype="float32").reshape(1, 6, 2)
    dw = L.DepthwiseConv1D(2, depth_multiplier=2, use_bias=False)
    dw.build(x.shape)
    kernel = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, -1.0], [2.0, 0.0]]], "float32")
    dw.set_weights([kernel])  # (k=2, channels=2, multiplier=2)
    y = dw(x).data[0]
    # Output channel c * 2 + m is channel c filtered by kernel[:, c, m].
    expected = np.stack([x[0, :-1, 0] + x[0, 1:, 0], -x[0, 1:, 0],
                         2 * x[0, 1:, 1], x[0, :-1, 1]], axis=-1)
    np.testing.assert_array_equal(y, expected)
    sep = L.SeparableConv1D(1, 2, depth_multiplier=2, use_bias=False)
    sep.build(x.shape)
    sep.set_weights([kernel, np.ones((1, 4, 1), "float32")])
    np.testing.assert_array_equal(sep(x).data[0, :, 0], expected.sum(-1))


def test_lora_freezes_the_kernel_and_trains_a_low_rank_update():
    layer = L.Conv2D(4, 3, name="c")
    model = nd.Sequential([nd.Input((5, 5, 2)), layer], name="m")
    base = layer.kernel.numpy()
    layer.enable_lora(2, lora_alpha=3.0)
    assert layer.lora_kernel_a.shape == (3, 3, 2, 2) and layer.lora_kernel_b.shape == (2, 4)
    assert [w.name for w in layer.trainable_weights] == ["bias", "lora_kernel_a",
                                                         "lora_kernel_b"]
    assert [w.name for w in layer.non_trainable_weights] == ["kernel"]
    assert layer.lora_kernel_a.path == layer._kernel.path.replace("kernel", "lora_kernel_a")
    layer.lora_kernel_a.assign(np.full((3, 3, 2, 2), 0.1, "float32"))
    layer.lora_kernel_b.assign(np.full((2, 4), 0.2, "float32"))
    np.testing.assert_allclose(layer.kernel.numpy(), base + 1.5 * 0.04, rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(0).random((8, 5, 5, 2)).astype("float32")
    y = np.random.default_rng(1).random((8, 3, 3, 4)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=4, verbose=0)
    np.testing.assert_array_equal(layer._kernel.numpy(), base)  # frozen
    store = {}
    layer.save_own_variables(store)  # the merged kernel, as Keras writes it
    assert sorted(store) == ["0", "1"]
    np.testing.assert_array_equal(store["0"], layer.kernel.numpy())
    with pytest.raises(ValueError, match="lora is already enabled"):
        layer.enable_lora(2)
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        constrained = L.Conv1D(2, 2, kernel_constraint="non_neg")
        constrained.build((None, 4, 1))
        constrained.enable_lora(1)
    assert L.Conv2D(4, 3, lora_rank=2).get_config()["lora_rank"] == 2


def test_legacy_files_naming_the_depthwise_kernel_depthwise_kernel_still_load(tmp_path):
    # Keras 2 (and older numdeep) called DepthwiseConv2D's kernel `depthwise_kernel`; legacy .h5
    # files load by position, so the name in the file does not matter.
    h5py = pytest.importorskip("h5py")
    model = nd.Sequential([nd.Input((5, 5, 2)), L.DepthwiseConv2D(3, name="dw")], name="m")
    model.layers[0].kernel.assign(np.random.default_rng(0).standard_normal((3, 3, 2, 1)))
    path = str(tmp_path / "m.h5")
    model.save(path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights"]["dw"]
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in group.attrs["weight_names"]]
        renamed = [n.replace("/kernel", "/depthwise_kernel") for n in names]
        assert renamed != names
        for old, new in zip(names, renamed):
            if old != new:
                group.move(old, new)
        group.attrs["weight_names"] = np.array([n.encode() for n in renamed])
    with open(path, "r+b") as f:  # a foreign file now: drop numdeep's checksum header
        f.write(b"\0" * h5io.USERBLOCK)
    fresh = nd.Sequential([nd.Input((5, 5, 2)), L.DepthwiseConv2D(3, name="dw")], name="m")
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
