"""Shared test helpers: the ``check_layer`` harness every layer goes through."""

from pathlib import Path

import numpy as np

import numdeep as nd

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def check_layer(make_layer, input_shape, expected_output_shape, expected_num_weights=None,
                input_dtype="float32", input_fn=None, train=True, seed=0):
    """Build, call, inspect and train one layer; return it.

    Checks: lazy build on first call, output shape (also the symbolic one from
    ``compute_output_shape``), weight count, ``from_config(get_config())`` rebuilds an
    equivalent layer giving the same outputs once weights are copied, and — when the layer has
    trainable weights and ``train`` — that one SGD step on a squared-error loss lowers that loss.
    """
    rng = np.random.default_rng(seed)
    x = input_fn(rng) if input_fn else rng.standard_normal(input_shape).astype(input_dtype)
    layer = make_layer()
    assert not layer.built
    y = layer(x, training=False)
    assert layer.built
    assert tuple(y.shape) == tuple(expected_output_shape), (y.shape, expected_output_shape)
    if expected_num_weights is not None:
        assert len(layer.weights) == expected_num_weights, [w.name for w in layer.weights]

    symbolic = layer(nd.Input(batch_shape=(None, *input_shape[1:]), dtype=input_dtype))
    assert symbolic.shape[1:] == tuple(expected_output_shape)[1:], symbolic.shape

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == {**config, "name": clone.name} or clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).data, y.data, rtol=1e-6, atol=1e-6)

    if train and layer.trainable_weights:
        target = rng.standard_normal(y.shape).astype(y.dtype)

        def loss_value():
            out = layer(x, training=False)
            return ((out - target) ** 2).mean()

        before = loss_value()
        before.backward()
        for w in layer.trainable_weights:
            assert w.grad is not None and w.grad.shape == w.shape, w.name
        opt = nd.optimizers.SGD(learning_rate=1e-3)
        opt.apply([w.grad for w in layer.trainable_weights], layer.trainable_weights)
        after = loss_value()
        assert float(after.data) < float(before.data), (float(before.data), float(after.data))
    return layer
