import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import gradcheck
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize(
    "make, in_shape, out_shape, n_weights",
    [
        (lambda: L.Dense(4), (3, 5), (3, 4), 2),
        (lambda: L.Dense(4, use_bias=False, activation="tanh"), (3, 5), (3, 4), 1),
        (lambda: L.Dense(2, kernel_regularizer="l2", activity_regularizer="l1"), (2, 3, 5),
         (2, 3, 2), 2),
        (lambda: L.Activation("relu"), (3, 5), (3, 5), 0),
        (lambda: L.Flatten(), (2, 3, 4), (2, 12), 0),
        (lambda: L.Reshape((2, -1)), (2, 12), (2, 2, 6), 0),
        (lambda: L.Dropout(0.3, seed=1), (4, 5), (4, 5), 0),
        (lambda: L.LeakyReLU(), (3, 5), (3, 5), 0),
        (lambda: L.ReLU(max_value=1.0), (3, 5), (3, 5), 0),
        (lambda: L.ELU(), (3, 5), (3, 5), 0),
        (lambda: L.Softmax(), (3, 5), (3, 5), 0),
        (lambda: L.Rescaling(0.5, offset=1.0), (3, 5), (3, 5), 0),
        (lambda: L.Normalization(mean=[0.0] * 5, variance=[4.0] * 5), (3, 5), (3, 5), 2),
        (lambda: L.Identity(), (3, 5), (3, 5), 0),
    ],
)
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


def test_dense_gradcheck_float64():
    layer = L.Dense(3, activation="tanh", dtype="float64")
    x = nd.Tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    layer(x)
    assert gradcheck(lambda x, k, b: layer.activation(x @ k + b), [x, layer.kernel, layer.bias])


def test_dense_matches_manual_neuron_math():
    layer = L.Dense(2, activation="sigmoid")
    x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    y = layer(x).data
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-(x @ w + b))), rtol=1e-6)


def test_dense_rejects_bad_units_and_wrong_input():
    for units in (0, -3, 2.5, None, "64"):
        with pytest.raises(ValueError, match="expected a positive integer"):
            L.Dense(units)
    layer = L.Dense(2)
    layer(np.zeros((1, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"layer 'dense.*expected axis -1.*value 3.*\(1, 4\)"):
        layer(np.zeros((1, 4), dtype="float32"))


def test_activity_regularizer_adds_loss():
    layer = L.Dense(2, activity_regularizer=nd.regularizers.L1(0.1), kernel_initializer="ones")
    layer(np.ones((4, 3), dtype="float32"))
    (penalty,) = layer.losses
    # Keras divides the activity penalty by the batch size.
    assert float(penalty.data) == pytest.approx(0.1 * 4 * 2 * 3 / 4)


def test_reshape_rejects_incompatible_target():
    with pytest.raises(ValueError, match=r"total size of the tensor must be unchanged.*'r'.*"
                                         r"\(12,\).*target_shape=\(5,\)"):
        L.Reshape((5,), name="r")(np.zeros((2, 12), dtype="float32"))
    with pytest.raises(ValueError, match=r"non-negative integer.*-1.*target_shape=\(-2, 5\)"):
        L.Reshape((-2, 5))
    with pytest.raises(ValueError, match=r"at most one unknown dimension.*\(-1, -1, 5\)"):
        L.Reshape((-1, -1, 5))


def test_reshape_minus_one_follows_the_input():
    layer = L.Reshape((-1, 8))
    assert layer(np.ones((1, 6, 4), "float32")).shape == (1, 3, 8)
    assert layer(np.ones((1, 10, 4), "float32")).shape == (1, 5, 8)
    assert layer.compute_output_shape((None, 6, 4)) == (None, 3, 8)
    assert L.Reshape((-1, 3))(nd.Input(batch_shape=(4, 6, None, 3))).shape == (4, None, 3)
    assert L.Reshape((3, 5))(nd.Input(batch_shape=(2, None))).shape == (2, 3, 5)


def test_normalization_adapt_standardises():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4)).astype("float32")
    norm = L.Normalization()
    norm.adapt(data)
    out = norm(data).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-3)
    assert [w.name for w in norm.non_trainable_weights] == ["mean", "variance"]


def test_unknown_layer_kwarg_is_a_clear_error():
    with pytest.raises(TypeError, match="unexpected keyword.*unitz"):
        L.Dense(3, unitz=4)


def test_trainable_false_freezes_weights():
    layer = L.Dense(2)
    layer(np.zeros((1, 3), dtype="float32"))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_dense_manual_build_then_set_weights_keeps_the_numbers():
    # The contract defect: a hand-called build marks the layer built, so the first call must
    # not create fresh weights over the ones just set.
    layer = L.Dense(2, activation="relu")
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]]), np.array([5.0, -6.0])])
    np.testing.assert_allclose(layer(np.array([[-1.0, 2.0]])).numpy(), [[10.0, 0.0]])
    no_bias = L.Dense(2, use_bias=False)
    no_bias.build((None, 2))
    no_bias.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]])])
    no_bias.activation = None  # Keras allows dropping the activation after the fact
    assert no_bias.bias is None
    np.testing.assert_allclose(no_bias(np.array([[-1.0, 2.0]])).numpy(), [[5.0, -6.0]])


def test_dense_constraints_are_kept_on_the_weights_and_in_the_config():
    layer = L.Dense(2, kernel_constraint="non_neg", bias_constraint="max_norm")
    layer.build((None, 3))
    assert isinstance(layer.kernel.constraint, nd.constraints.NonNeg)
    assert isinstance(layer.bias.constraint, nd.constraints.MaxNorm)
    clone = L.Dense.from_config(layer.get_config())
    clone.build((None, 3))
    assert isinstance(clone.kernel.constraint, nd.constraints.NonNeg)
    with pytest.raises(AttributeError, match="build the layer before accessing `kernel`"):
        _ = L.Dense(2).kernel


def test_dense_rejects_quantization():
    with pytest.raises(ValueError, match="quantization is not supported"):
        L.Dense(2, quantization_config={"mode": "int8"})


@pytest.mark.parametrize("make, expected", [
    (lambda: L.Dense(2), True), (lambda: L.Activation("relu"), True),
    (lambda: L.Identity(), True), (lambda: L.Masking(), True),
    (lambda: L.Lambda(lambda x: x), False), (lambda: L.Lambda(lambda x: x, mask=np.ones(2)), True),
    (lambda: L.Wrapper(L.Dense(2)), False),
])
def test_supports_masking_as_in_keras(make, expected):
    assert make().supports_masking is expected


def test_identity_and_dense_pass_the_mask_on():
    x = nd.Tensor(np.ones((2, 3, 4), "float32"))
    x._keras_mask = np.array([[True, True, False], [True, False, False]])
    for layer in (L.Identity(), L.Dense(2), L.Activation("tanh")):
        np.testing.assert_array_equal(layer(x)._keras_mask, x._keras_mask)


def test_masking_mask_is_symbolic_in_a_functional_model():
    inputs = nd.Input((3, 2))
    masked = L.Masking(mask_value=-1.0)(inputs)
    model = nd.Model(inputs, masked._keras_mask)
    x = np.array([[[-1.0, -1.0], [1.0, -1.0], [-1.0, -1.0]]], "float32")
    np.testing.assert_array_equal(np.asarray(model(x)), [[False, True, False]])
    np.testing.assert_array_equal(L.Masking(-1.0)(x).numpy(), x * [[[0], [1], [0]]])


def test_lambda_functions_resolve_by_name_through_custom_objects():
    def stacker(x):
        return nd.ops.concatenate([x, x], axis=1)

    def stacker_shape(s):
        return (s[0], s[1] * 2)

    layer = L.Lambda(stacker, output_shape=stacker_shape)
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    config = layer.get_config()
    assert config["function"]["config"] == "stacker"
    with pytest.raises(ValueError, match="'stacker' is unknown"):
        L.Lambda.from_config(config)
    with nd.saving.custom_object_scope({"stacker": stacker, "stacker_shape": stacker_shape}):
        clone = L.Lambda.from_config(config)
    np.testing.assert_array_equal(clone(np.ones((2, 3), "float32")).numpy(), np.ones((2, 6)))
    assert clone.compute_output_shape((None, 3)) == (None, 6)


def test_lambda_refuses_bytecode_and_handles_masks_and_arguments():
    with pytest.raises(ValueError, match="Lambda"):
        L.Lambda.from_config(L.Lambda(lambda x: x ** 2).get_config())
    with pytest.raises(ValueError, match="never loads"):
        L.Lambda.from_config({"function": {"class_name": "__lambda__", "config": {}}},
                             safe_mode=False)
    fixed = np.array([[True, False]])
    layer = L.Lambda(lambda x, mask=None, scale=1.0: x * scale, mask=fixed,
                     arguments={"scale": 3.0})
    y = layer(np.ones((1, 2), "float32"))
    np.testing.assert_array_equal(y.numpy(), [[3.0, 3.0]])
    np.testing.assert_array_equal(y._keras_mask, fixed)
    revived = L.Lambda.from_config({**layer.get_config(), "function": layer.function})
    np.testing.assert_array_equal(revived.mask, fixed)
    assert revived.supports_masking and revived.arguments == {"scale": 3.0}


def test_wrapper_holds_builds_and_saves_the_wrapped_layer():
    class Twice(L.Wrapper):
        def call(self, inputs):
            return self.layer(inputs) * 2.0

    layer = Twice(L.Dense(2, kernel_initializer="ones", activity_regularizer="l2"))
    layer.build((None, 3))
    assert layer.layer.built and len(layer.trainable_weights) == 2
    np.testing.assert_array_equal(layer(np.ones((1, 3), "float32")).numpy(), [[6.0, 6.0]])
    assert len(layer.losses) == 1
    clone = Twice.from_config(layer.get_config())
    assert isinstance(clone.layer, L.Dense) and clone.layer.units == 2
    with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
        L.Wrapper("not a layer")
