"""Shared test helpers: the ``check_layer`` harness every layer goes through."""

import os
import tempfile
from pathlib import Path

import numpy as np

import numdeep as nd

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def check_layer(make_layer, input_shape, expected_output_shape, expected_num_weights=None,
                input_dtype="float32", input_fn=None, train=True, seed=0, save_roundtrip=True):
    """Build, call, inspect and train one layer; return it.

    Checks: lazy build on first call, output shape (also the symbolic one from
    ``compute_output_shape``), weight count, ``from_config(get_config())`` rebuilds an
    equivalent layer giving the same outputs once weights are copied, a save/load round trip
    (the layer in a functional model saved to ``.keras`` and loaded back gives the same outputs;
    pass ``save_roundtrip="<reason>"`` to skip it for a layer that cannot be saved yet), and —
    when the layer has trainable weights and ``train`` — that one SGD step on a squared-error
    loss lowers that loss.
    """
    rng = np.random.default_rng(seed)
    x = input_fn(rng) if input_fn else rng.standard_normal(input_shape).astype(input_dtype)
    layer = make_layer()
    # Only a layer with no state to create (no build of its own) is built from the start.
    assert layer.built == (type(layer).build is nd.layers.Layer.build)
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
    clone(x, training=False)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x, training=False).data, y.data, rtol=1e-6, atol=1e-6)

    if save_roundtrip is True:
        check_save_roundtrip(layer, x, y)
    elif not isinstance(save_roundtrip, str) or not save_roundtrip:
        raise ValueError("check_layer: save_roundtrip is True, or the reason (a string) why the "
                         "layer cannot be saved yet.")

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


def check_save_roundtrip(layer, x, expected):
    """Put ``layer`` in a functional model on inputs shaped like ``x``, save it as ``.keras``,
    load it back and check the outputs match ``expected`` (the layer's output on ``x``)."""
    from numdeep import tree

    def symbolic(a):
        a = np.asarray(a)
        return nd.Input(batch_shape=(None, *a.shape[1:]), dtype=a.dtype.name)

    is_array = lambda a: isinstance(a, np.ndarray | nd.Tensor)  # noqa: E731
    inputs = tree.map_structure(symbolic, x, is_leaf=is_array)
    model = nd.Model(inputs, layer(inputs))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "layer.keras")
        model.save(path)
        loaded = nd.models.load_model(path)
    assert type(loaded.layers[-1]) is type(layer), (type(loaded.layers[-1]), type(layer))
    got = tree.flatten(loaded(x, training=False))
    want = tree.flatten(expected)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = g.data if isinstance(g, nd.Tensor) else np.asarray(g)
        w = w.data if isinstance(w, nd.Tensor) else np.asarray(w)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
