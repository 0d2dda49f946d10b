"""LoRA on Dense, EinsumDense and Embedding: the merged weight, which weights train, the saved
files (merged, loadable with or without LoRA), the config, and the errors."""

import os
import tempfile

import numpy as np
import pytest

import numdeep as nd
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(0)


def _built(kind):
    if kind == "dense":
        layer = L.Dense(3, kernel_regularizer="l2")
        layer.build((None, 4))
    elif kind == "einsum":
        layer = L.EinsumDense("ab,bcd->acd", output_shape=(2, 3), kernel_regularizer="l2")
        layer.build((None, 4))
    else:
        layer = L.Embedding(5, 3, embeddings_regularizer="l2")
        layer.build()
    return layer


@pytest.mark.parametrize("kind, base, a_shape, b_shape", [
    ("dense", "kernel", (4, 2), (2, 3)),
    ("einsum", "kernel", (4, 2, 2), (2, 3)),
    ("embedding", "embeddings", (5, 2), (2, 3)),
])
def test_enable_lora_adds_a_scaled_low_rank_update(kind, base, a_shape, b_shape):
    layer = _built(kind)
    frozen = np.array(getattr(layer, "_" + base).data)
    layer.enable_lora(2, lora_alpha=3.0)
    a, b = getattr(layer, f"lora_{base}_a"), getattr(layer, f"lora_{base}_b")
    assert (a.shape, b.shape) == (a_shape, b_shape) and a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(b.numpy(), 0.0)  # enabling LoRA changes nothing yet
    np.testing.assert_allclose(getattr(layer, base).numpy(), frozen)
    a.assign(RNG.standard_normal(a_shape))
    b.assign(RNG.standard_normal(b_shape))
    want = frozen + 1.5 * (a.numpy() @ b.numpy())
    np.testing.assert_allclose(getattr(layer, base).numpy(), want, rtol=1e-5, atol=1e-6)
    assert (layer.lora_rank, layer.lora_alpha) == (2, 3.0)
    # The base weight is frozen; its regularizer no longer counts (Keras: trainable weights only).
    assert not getattr(layer, "_" + base).trainable
    assert len(layer.non_trainable_weights) == 1
    assert len(layer.losses) == 2


def test_lora_trains_only_the_factors_and_saves_the_merged_kernel():
    nd.utils.set_random_seed(0)
    x = RNG.standard_normal((64, 8)).astype("float32")
    y = RNG.standard_normal((64, 4)).astype("float32")
    model = nd.Sequential([nd.Input((8,)), L.Dense(4, lora_rank=2)])
    dense = model.layers[-1]
    kernel = dense._kernel.numpy().copy()
    a0, b0 = dense.lora_kernel_a.numpy().copy(), dense.lora_kernel_b.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(dense._kernel.numpy(), kernel)
    assert not np.allclose(dense.lora_kernel_a.numpy(), a0)
    assert not np.allclose(dense.lora_kernel_b.numpy(), b0)
    expected = model.predict(x, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        loaded = nd.models.load_model(path)
        assert loaded.layers[-1].lora_enabled
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
        # The weights file holds the merged kernel: a plain Dense reads it.
        weights = os.path.join(tmp, "m.weights.h5")
        model.save_weights(weights)
        plain = nd.Sequential([nd.Input((8,)), L.Dense(4)])
        plain.load_weights(weights)
        np.testing.assert_allclose(plain.predict(x, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)
        # ...and a LoRA model reads a plain file (its factors restart at zero).
        plain.save_weights(weights)
        model.load_weights(weights)
        np.testing.assert_array_equal(dense.lora_kernel_a.numpy(), 0.0)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)


def test_lora_config_round_trip():
    layer = L.Dense(5, lora_rank=2, lora_alpha=4)
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (2, 4)
    assert "lora_rank" not in L.Dense(5).get_config()
    clone = L.Dense.from_config(config)
    clone.build((None, 3))
    assert clone.lora_enabled and clone.lora_kernel_a.shape == (3, 2)
    assert len(clone.trainable_weights) == 3


def test_lora_errors():
    with pytest.raises(ValueError, match="Cannot enable lora on a layer that isn't yet built"):
        L.Dense(2).enable_lora(2)
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        L.Dense(2, kernel_constraint="max_norm").enable_lora(2)
    with pytest.raises(ValueError, match="incompatible with embedding constraints"):
        L.Embedding(4, 2, embeddings_constraint="max_norm").enable_lora(2)
    layer = _built("dense")
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="lora is already enabled"):
        layer.enable_lora(2)


def test_lora_gradients_float64():
    layer = L.Dense(3, dtype="float64")
    layer.build((None, 4))
    layer.enable_lora(2, lora_alpha=4, b_initializer="glorot_uniform")
    x = RNG.standard_normal((5, 4))
    assert gradcheck_layer(layer, [x])
    # The factors get the chain rule of W + (alpha / rank) A @ B.
    layer(x).sum().backward()
    a, b = layer.lora_kernel_a, layer.lora_kernel_b
    upstream = x.T @ np.ones((5, 3))
    np.testing.assert_allclose(a.grad, 2.0 * upstream @ b.numpy().T, rtol=1e-5)
    np.testing.assert_allclose(b.grad, 2.0 * a.numpy().T @ upstream, rtol=1e-5)
