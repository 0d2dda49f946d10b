import gc
import re
import tracemalloc

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor, gradcheck
from numdeep.saving import torch_layout as tl
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape, n_weights",
    [
        (lambda: L.Conv2D(4, 3), (2, 7, 7, 3), (2, 5, 5, 4), 2),
        (lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu"), (2, 7, 6, 3),
         (2, 4, 3, 4), 2),
        (lambda: L.Conv2D(4, 4, padding="same", use_bias=False), (1, 5, 6, 2), (1, 5, 6, 4), 1),
        (lambda: L.Conv2D(2, 3, dilation_rate=2, kernel_regularizer="l2",
                          activity_regularizer="l1"), (2, 7, 7, 2), (2, 3, 3, 2), 2),
        (lambda: L.Conv2D(6, 3, groups=2, bias_initializer="ones"), (1, 5, 5, 4), (1, 3, 3, 6),
         2),
        (lambda: L.Conv2D(3, 3, data_format="channels_first"), (2, 2, 6, 5), (2, 3, 4, 3), 2),
        (lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 9, 3), (2, 9, 4), 2),
        (lambda: L.Conv1D(4, 3, strides=2), (2, 9, 3), (2, 4, 4), 2),
        (lambda: L.Conv3D(2, 2), (1, 3, 4, 4, 2), (1, 2, 3, 3, 2), 2),
        (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (2, 5, 5, 3),
         (2, 5, 5, 6), 2),
        (lambda: L.DepthwiseConv2D((2, 3), strides=2, use_bias=False), (1, 6, 7, 2),
         (1, 3, 3, 2), 1),
        (lambda: L.SeparableConv2D(4, 3, depth_multiplier=2), (2, 6, 6, 3), (2, 4, 4, 4), 3),
        (lambda: L.SeparableConv2D(4, 3, padding="same", data_format="channels_first"),
         (1, 3, 5, 5), (1, 4, 5, 5), 3),
        (lambda: L.Conv2DTranspose(3, 3, strides=2), (2, 4, 5, 2), (2, 9, 11, 3), 2),
        (lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 5, 2), (2, 8, 10, 3),
         2),
        (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1),
         (1, 3, 3, 2), (1, 6, 6, 2), 2),
        (lambda: L.Conv2DTranspose(2, 4, strides=2, padding="same",
                                   data_format="channels_first"), (1, 2, 3, 3), (1, 2, 6, 6), 2),
        (lambda: L.Conv1DTranspose(2, 3, strides=3), (2, 4, 3), (2, 12, 2), 2),
    ],
)
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


def test_keras_weight_layouts_and_names():
    x = np.zeros((1, 8, 8, 3), "float32")
    cases = [
        (L.Conv2D(5, (3, 2), groups=1), [("kernel", (3, 2, 3, 5)), ("bias", (5,))]),
        (L.Conv2D(6, 3, groups=3), [("kernel", (3, 3, 1, 6)), ("bias", (6,))]),
        (L.DepthwiseConv2D(3, depth_multiplier=2),  # Keras 3's name (Keras 2: depthwise_kernel)
         [("kernel", (3, 3, 3, 2)), ("bias", (6,))]),
        (L.SeparableConv2D(4, 3), [("depthwise_kernel", (3, 3, 3, 1)),
                                   ("pointwise_kernel", (1, 1, 3, 4)), ("bias", (4,))]),
        (L.Conv2DTranspose(7, 3), [("kernel", (3, 3, 7, 3)), ("bias", (7,))]),
    ]
    for layer, expected in cases:
        layer(x)
        assert [(w.name, w.shape) for w in layer.weights] == expected
    assert L.Convolution2D is L.Conv2D and L.SeparableConvolution2D is L.SeparableConv2D


def test_keras_config_keys():
    config = L.Conv2D(8, 3).get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"):
        assert key in config
    assert config["kernel_size"] == (3, 3) and config["strides"] == (1, 1)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    dw = L.DepthwiseConv2D(3).get_config()
    assert "depthwise_initializer" in dw and "filters" not in dw and dw["depth_multiplier"] == 1
    assert L.Conv2DTranspose(2, 3).get_config()["output_padding"] is None


@pytest.mark.parametrize("make, shape", [
    (lambda: L.Conv2D(3, 3, strides=2, padding="same", dtype="float64"), (2, 5, 6, 2)),
    (lambda: L.Conv2D(4, 2, groups=2, dilation_rate=2, dtype="float64"), (1, 5, 5, 2)),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, dtype="float64"), (1, 5, 5, 2)),
    (lambda: L.SeparableConv2D(3, 3, padding="same", dtype="float64"), (1, 4, 4, 2)),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"), (1, 3, 3, 2)),
    (lambda: L.Conv1D(3, 3, padding="causal", dtype="float64"), (2, 6, 2)),
    (lambda: L.Conv3D(2, 2, strides=(1, 2, 1), dtype="float64"), (1, 3, 4, 3, 2)),
    (lambda: L.Conv1DTranspose(2, 3, strides=2, dtype="float64"), (2, 4, 2)),
])
def test_layer_gradcheck_float64(make, shape):
    layer = make()
    x = np.random.default_rng(0).standard_normal(shape)
    layer(x)
    weights = list(layer.weights)
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(w.shape) for w in weights]  # non-zero biases too
    assert gradcheck(lambda x, *ws: call_with(layer, weights, ws, x), [x] + values,
                     mode="random")


def call_with(layer, weights, tensors, x):
    """``layer.call(x)`` with each weight attribute (named like the weight) swapped for a
    tensor that gradcheck perturbs."""
    for w, t in zip(weights, tensors):
        setattr(layer, w.name, t)
    try:
        return layer.call(x)
    finally:
        for w in weights:
            setattr(layer, w.name, w)


# ----- errors ------------------------------------------------------------------------------------
def test_conv2d_rejects_a_3d_input_naming_layer_and_shape():
    layer = L.Conv2D(4, 3, name="conv_a")
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv_a' expects a 4-D input.*"
                                         r"\(2, 28, 28\)"):
        layer(np.zeros((2, 28, 28), "float32"))
    with pytest.raises(ValueError, match=r"conv_b.*4-D input.*\(None, 28, 28\)"):
        nd.Sequential([L.Conv2D(4, 3, name="conv_b", input_shape=(28, 28))])


def test_kernel_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"Conv2D layer 'big': Computed output size would be "
                                         r"zero or negative.*\(1, 3, 3, 2\).*\(5, 5, 2, 1\)"):
        L.Conv2D(1, 5, name="big")(np.zeros((1, 3, 3, 2), "float32"))
    layer = L.Conv2D(1, 5, name="late")
    layer.build((None, None, None, 2))  # unknown spatial size: checked at call time
    with pytest.raises(ValueError, match=r"'late'.*\(1, 4, 9, 2\)"):
        layer(np.zeros((1, 4, 9, 2), "float32"))
    with pytest.raises(ValueError, match=r"kernel shape=\(3, 2, 1\).*dilation_rate=\(3,\)"):
        L.Conv1D(1, 3, dilation_rate=3)(np.zeros((1, 6, 2), "float32"))
    assert L.Conv2D(1, 5, padding="same")(np.zeros((1, 3, 3, 2), "float32")).shape == (1, 3, 3, 1)
    with pytest.raises(ValueError, match="Computed output size"):  # symbolic inputs too
        L.Conv2D(1, 5)(nd.Input((3, 3, 2)))


@pytest.mark.parametrize("kwargs, bad", [({"strides": 0}, "{0}"), ({"strides": -1}, "{-1}"),
                                         ({"strides": (1, 0)}, "{0}"),
                                         ({"dilation_rate": 0}, "{0}"),
                                         ({"kernel_size": 0}, "{0}")])
def test_non_positive_sizes_are_rejected_with_keras_messages(kwargs, bad):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=rf"The `{name}` argument must be a tuple of 2 integers. "
                                         rf"Received {name}=.*including values {re.escape(bad)}"):
        L.Conv2D(filters=2, **{"kernel_size": 3, **kwargs})


def test_other_argument_errors():
    with pytest.raises(ValueError, match=r"Invalid value for argument `filters`. Expected a "
                                         r"strictly positive value. Received filters=0."):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"number of filters must be evenly divisible.*"
                                         r"groups=2, filters=3"):
        L.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match=r"number of groups must be a positive integer"):
        L.Conv2D(3, 3, groups=0)
    with pytest.raises(ValueError, match=r"input channels must be evenly divisible.*groups=2.*"
                                         r"3 channels"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"`output_padding` must be strictly less than "
                                         r"`strides`"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with "
                                         r"`dilation_rate > 1`"):
        L.Conv2D(2, 2, strides=2, dilation_rate=(2, 1))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        L.DepthwiseConv1D(11, strides=5)(np.zeros((4, 10, 3), "float32"))
    with pytest.raises(TypeError, match="lora_rank"):
        L.Conv2DTranspose(2, 3, lora_rank=2)


def test_constraints_are_attached_and_serialized():
    layer = L.Conv2D(2, 3, kernel_constraint="non_neg", bias_constraint="max_norm")
    layer.build((None, 5, 5, 3))
    assert isinstance(layer.kernel.constraint, nd.constraints.NonNeg)
    assert isinstance(layer.bias.constraint, nd.constraints.MaxNorm)
    config = layer.get_config()
    assert config["kernel_constraint"]["class_name"] == "NonNeg"
    assert isinstance(L.Conv2D.from_config(config).kernel_constraint, nd.constraints.NonNeg)
    model = nd.Sequential([nd.Input((5, 5, 3)), layer])
    model.compile(nd.optimizers.SGD(0.01), "mse")
    assert layer.kernel.numpy().min() < 0  # glorot's initial values: the optimizer projects
    rng = np.random.default_rng(0)
    model.fit(rng.random((4, 5, 5, 3)), rng.standard_normal((4, 3, 3, 2)), verbose=0)
    assert layer.kernel.numpy().min() >= 0 and layer.kernel.numpy().max() > 0
    sep = L.SeparableConv1D(2, 3, pointwise_constraint="non_neg")
    sep.build((None, 6, 2))
    assert sep.depthwise_kernel.constraint is None
    assert isinstance(sep.pointwise_kernel.constraint, nd.constraints.NonNeg)


def test_manual_build_then_set_weights_keeps_the_weights():
    layer = L.Conv2D(2, 3)
    layer.build((None, 5, 5, 1))
    kernel = np.arange(18, dtype="float32").reshape(3, 3, 1, 2)
    layer.set_weights([kernel, np.array([1.0, -1.0], "float32")])
    x = np.ones((1, 5, 5, 1), "float32")
    np.testing.assert_allclose(layer(x).data, np.broadcast_to(kernel.sum((0, 1, 2)) + [1, -1],
                                                              (1, 3, 3, 2)))
    np.testing.assert_array_equal(layer.kernel.data, kernel)  # the call did not rebuild


def test_channels_mismatch_against_built_weights():
    layer = L.Conv2D(4, 3, name="c3")
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"'c3'.*axis -1.*value 3.*\(1, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2), "float32"))
    first = L.Conv2D(4, 3, data_format="channels_first", name="cf")
    first(np.zeros((1, 3, 5, 5), "float32"))
    with pytest.raises(ValueError, match=r"'cf'.*axis 1.*\(1, 5, 5, 3\)"):
        first(np.zeros((1, 5, 5, 3), "float32"))


# ----- PyTorch weights and channels-first ---------------------------------------------------------
def test_torch_conv_weights_convert_to_the_same_outputs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    # Odd sizes: with stride 2, TF's 'same' pads like torch's padding=1 only then.
    x = np.random.default_rng(0).standard_normal((2, 9, 7, 3)).astype("float32")
    tx = torch.from_numpy(x).permute(0, 3, 1, 2)
    pairs = [
        (torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=1),
         L.Conv2D(4, 3, strides=2, padding="same"), tl.conv_kernel_from_torch),
        (torch.nn.Conv2d(3, 6, 3, groups=3), L.DepthwiseConv2D(3, depth_multiplier=2),
         lambda w: tl.depthwise_kernel_from_torch(w, 2)),
        (torch.nn.ConvTranspose2d(3, 2, 3, stride=2), L.Conv2DTranspose(2, 3, strides=2),
         tl.conv_transpose_kernel_from_torch),
    ]
    for module, layer, convert in pairs:
        layer(x)
        weight = module.weight.detach().numpy()
        layer.set_weights([convert(weight), module.bias.detach().numpy()])
        expected = module(tx).permute(0, 2, 3, 1).detach().numpy()
        if isinstance(layer, L.Conv2DTranspose):  # Keras 'valid' size == torch's here
            assert layer(x).shape == expected.shape
        np.testing.assert_allclose(layer(x).data, expected, atol=1e-5, rtol=1e-4)
        back = (tl.depthwise_kernel_to_torch if isinstance(layer, L.DepthwiseConv2D)
                else tl.conv_transpose_kernel_to_torch if isinstance(layer, L.Conv2DTranspose)
                else tl.conv_kernel_to_torch)
        np.testing.assert_array_equal(back(layer.weights[0].data), weight)


def test_flatten_rows_from_torch():
    rng = np.random.default_rng(0)
    maps = rng.standard_normal((2, 3, 4, 5)).astype("float32")  # NCHW
    w = rng.standard_normal((6, 3 * 4 * 5)).astype("float32")  # Linear(60, 6)
    expected = maps.reshape(2, -1) @ w.T
    nhwc = maps.transpose(0, 2, 3, 1).reshape(2, -1)
    np.testing.assert_allclose(nhwc @ tl.flatten_rows_from_torch(w, 3, (4, 5)), expected,
                               rtol=1e-5, atol=1e-5)


def test_channels_first_matches_channels_last():
    x = np.random.default_rng(0).standard_normal((2, 6, 5, 3)).astype("float32")
    for make in (lambda f: L.Conv2D(4, 3, strides=2, padding="same", data_format=f),
                 lambda f: L.Conv2DTranspose(4, 3, strides=2, data_format=f)):
        last, first = make("channels_last"), make("channels_first")
        y_last = last(x)
        first(x.transpose(0, 3, 1, 2))
        first.set_weights(last.get_weights())
        np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).data,
                                   y_last.data.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-6)


# ----- memory ------------------------------------------------------------------------------------
def test_no_memory_growth_over_repeated_training_steps():
    nd.utils.set_random_seed(0)
    layer = L.Conv2D(16, 3, padding="same", activation="relu")
    opt = nd.optimizers.Adam()
    x = np.random.default_rng(0).random((16, 12, 12, 3)).astype("float32")

    def step():
        loss = nd.ops.mean(layer(x, training=True) ** 2)
        for w in layer.trainable_weights:
            w.grad = None
        loss.backward()
        opt.apply([w.grad for w in layer.trainable_weights], layer.trainable_weights)

    for _ in range(3):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        step()
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(20):
            step()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    patches = 16 * 12 * 12 * 27 * 4  # the im2col buffer of one step, in bytes
    assert after - base < patches // 4, (after - base, patches)
    assert peak - base < 12 * patches, (peak - base, patches)


def test_weights_stay_float32_and_inputs_are_cast():
    layer = L.Conv2D(2, 3)
    y = layer(np.zeros((1, 5, 5, 1), "uint8"))
    assert y.dtype == np.float32 and layer.kernel.dtype == np.float32
    assert isinstance(layer(Tensor(np.zeros((1, 5, 5, 1), "float64"))), Tensor)
