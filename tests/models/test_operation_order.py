"""A functional model lists its layers in Keras's order (deepest first, ties by first
encounter from the outputs), so Keras's weight files, matched by that order, load."""

import os

import numpy as np
import pytest

import numdeep as nd


def _graphs(lib):
    """Branching graphs, built the same way in numdeep and in Keras."""
    L = lib.layers

    def residual():
        x = lib.Input((8, 8, 3))
        short = L.Conv2D(4, 1, name="short_conv")(x)
        short = L.BatchNormalization(name="short_bn")(short)
        y = L.Conv2D(4, 3, padding="same", name="a_conv")(x)
        y = L.Activation("relu", name="a_relu")(y)
        y = L.Conv2D(4, 3, padding="same", name="b_conv")(y)
        return lib.Model(x, L.Add(name="add")([short, y]))

    def two_inputs_joining_late():
        a, b = lib.Input((3,), name="a"), lib.Input((2,), name="b")
        h = L.Dense(4, name="d1")(a)
        h = L.Dense(4, name="d2")(h)
        h = L.Concatenate(name="cat")([h, L.Dense(1, name="side")(b)])
        return lib.Model([a, b], L.Dense(1, name="out")(h))

    def shared_layer_and_ops():
        x = lib.Input((5,))
        shared = L.Dense(5, name="shared")
        h = shared(L.Dense(5, name="pre")(x))
        h = shared(h) + x * 2.0
        return lib.Model(x, L.Dense(2, name="head")(h))

    return {"residual": residual, "two_inputs": two_inputs_joining_late,
            "shared": shared_layer_and_ops}


def test_residual_block_lists_layers_deepest_first():
    # depth = the longest path to the output; ties go to the first branch the walk from the
    # output meets (the shortcut, the Add's first input)
    model = _graphs(nd)["residual"]()
    names = [la.name for la in model.layers[1:]]
    assert names == ["a_conv", "short_conv", "a_relu", "short_bn", "b_conv", "add"]


@pytest.mark.parametrize("graph", ["residual", "two_inputs", "shared"])
def test_layer_order_and_weight_files_match_keras(tmp_path, graph):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    theirs, ours = _graphs(keras)[graph](), _graphs(nd)[graph]()
    skip_auto = lambda name: name.split("_")[-1].isdigit() or name.startswith("input")  # noqa
    assert [la.name for la in ours.layers if not skip_auto(la.name)] == \
        [la.name for la in theirs.layers if not skip_auto(la.name)]
    assert [type(la).__name__ for la in ours.layers] == [type(la).__name__ for la in theirs.layers]
    rng = np.random.default_rng(0)
    for w in theirs.weights:
        w.assign(rng.standard_normal(tuple(w.shape)).astype("float32"))
    xs = [rng.standard_normal((2, *i.shape[1:])).astype("float32") for i in theirs.inputs]
    expected = keras.ops.convert_to_numpy(theirs(xs if len(xs) > 1 else xs[0]))
    for fname in ("w.weights.h5", "m.h5"):
        path = str(tmp_path / fname)
        if fname.endswith(".weights.h5"):
            theirs.save_weights(path)
        else:
            theirs.save(path)
        ours.load_weights(path)
        found = ours.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-5)
