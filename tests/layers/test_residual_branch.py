"""LayerScale and StochasticDepth (ConvNeXt's residual-branch layers): values, float64
gradchecks, configs and save round trips, drop statistics, errors, Keras parity."""

import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.layers.residual_branch import LayerScale, StochasticDepth
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

RNG = np.random.default_rng(0)


def test_layer_scale_contract_and_values():
    layer = check_layer(lambda: LayerScale(0.1, 4), (2, 3, 4), (2, 3, 4), expected_num_weights=1)
    assert layer.get_config()["init_values"] == 0.1
    assert layer.get_config()["projection_dim"] == 4
    x = RNG.standard_normal((2, 4)).astype("float32")
    fresh = LayerScale(0.1, 4)
    np.testing.assert_allclose(fresh(x).data, 0.1 * x, rtol=1e-6)


def test_layer_scale_gradcheck_float64():
    layer = LayerScale(0.7, 3, dtype="float64")
    assert gradcheck_layer(layer, [RNG.standard_normal((2, 5, 3))])


def test_layer_scale_rejects_a_wrong_last_axis():
    with pytest.raises(ValueError, match="projection_dim=4.*last axis"):
        LayerScale(1.0, 4)(np.ones((2, 3), "float32"))


def test_stochastic_depth_is_the_identity_at_inference():
    x = RNG.standard_normal((3, 4, 4, 2)).astype("float32")
    layer = check_layer(lambda: StochasticDepth(0.3, seed=1), x.shape, x.shape,
                        expected_num_weights=0)
    np.testing.assert_array_equal(layer(x).data, x)
    assert layer.get_config()["drop_path_rate"] == 0.3


def test_stochastic_depth_drops_whole_samples_at_the_rate():
    rate = 0.25
    layer = StochasticDepth(rate, seed=3)
    x = np.ones((4000, 3, 2), "float32")
    y = layer(x, training=True).data
    per_sample = y.reshape(len(y), -1)
    # every sample is all zeros or all 1 / (1 - rate): one draw per sample
    assert set(np.unique(per_sample)) <= {0.0, np.float32(1 / (1 - rate))}
    assert (per_sample.min(axis=1) == per_sample.max(axis=1)).all()
    dropped = float((per_sample[:, 0] == 0).mean())
    assert abs(dropped - rate) < 0.03, dropped
    assert abs(float(y.mean()) - 1.0) < 0.05  # the expectation is kept


def test_stochastic_depth_gradient_is_the_mask():
    layer = StochasticDepth(0.5, seed=0)
    x = nd.Tensor(RNG.standard_normal((8, 3)).astype("float32"), requires_grad=True)
    y = layer(x, training=True)
    y.sum().backward()
    mask = y.data / np.where(x.data == 0, 1, x.data)
    np.testing.assert_allclose(x.grad, mask, rtol=1e-5)
    # a float64 check of the training path, the mask held fixed
    z = RNG.standard_normal((8, 3))
    assert nd.gradcheck(lambda t: t * mask, [z])


def test_stochastic_depth_rejects_a_bad_rate():
    with pytest.raises(ValueError, match="drop_path_rate"):
        StochasticDepth(1.0)


def test_layer_scale_matches_keras_convnext():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    from keras.src.applications.convnext import LayerScale as KerasLayerScale

    x = RNG.standard_normal((2, 5, 6)).astype("float32")
    theirs = KerasLayerScale(0.5, 6)
    theirs.build(x.shape)
    gamma = RNG.uniform(0.5, 1.5, 6).astype("float32")
    theirs.set_weights([gamma])
    ours = LayerScale(0.5, 6)
    ours.build(x.shape)
    ours.set_weights([gamma])
    np.testing.assert_allclose(ours(x).data, keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    assert ours.get_config()["init_values"] == theirs.get_config()["init_values"]
