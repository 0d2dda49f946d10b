"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and
Permute: Keras semantics, broadcasting, masks, float64 gradchecks, configs, errors."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


ELEMENTWISE = [
    (L.Add, lambda xs: sum(xs)),
    (L.Subtract, lambda xs: xs[0] - xs[1]),
    (L.Multiply, lambda xs: np.prod(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    (L.Average, lambda xs: sum(xs) / len(xs)),
    (L.Maximum, lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs))),
    (L.Minimum, lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs))),
]


@pytest.mark.parametrize("cls, ref", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_elementwise_values_shapes_and_config(cls, ref):
    n = 2 if cls is L.Subtract else 3
    xs = [_x(4, 3, 5) for _ in range(n)]
    layer = cls(name=f"merge_{cls.__name__.lower()}")
    y = layer(xs)
    np.testing.assert_allclose(y.numpy(), ref(xs), rtol=1e-6)
    assert layer.weights == [] and y.dtype == np.float32
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    sym = layer([nd.Input(shape=(3, 5)) for _ in range(n)])
    assert sym.shape == (None, 3, 5)


@pytest.mark.parametrize("cls, ref", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_elementwise_gradcheck_float64(cls, ref):
    n = 2 if cls is L.Subtract else 3
    # distinct values: Maximum/Minimum never tie
    xs = [RNG.permutation(24).reshape(2, 3, 4) * 0.1 + k * 0.013 for k in range(n)]
    assert gradcheck_layer(cls(dtype="float64"), xs)


def test_broadcasting_follows_keras_rules():
    a, b = _x(2, 3, 4), _x(2, 1, 4)
    np.testing.assert_allclose(L.Add()([a, b]).numpy(), a + b)
    c = _x(2, 4)  # lower rank: the new axis goes after the batch axis
    np.testing.assert_allclose(L.Multiply()([a, c]).numpy(), a * c[:, None, :], rtol=1e-6)
    assert L.Add().compute_output_shape([(None, 3, 4), (None, 4)]) == (None, 3, 4)
    assert L.Add().compute_output_shape([(None, None, 4), (None, 1, 4)]) == (None, None, 4)
    assert L.Add().compute_output_shape([(8, 3, 1), (None, 1, 5)]) == (8, 3, 5)


def test_incompatible_shapes_name_the_layer_and_all_shapes():
    with pytest.raises(ValueError, match=r"incompatible shapes.*Add layer 'res'.*"
                                         r"\[\(2, 3\), \(2, 4\), \(2, 3\)\]"):
        L.Add(name="res")([_x(2, 3), _x(2, 4), _x(2, 3)])
    with pytest.raises(ValueError, match=r"different batch sizes.*\[\(2, 3\), \(5, 3\)\]"):
        L.Average()([_x(2, 3), _x(5, 3)])
    with pytest.raises(ValueError, match="layer should be called on exactly 2 inputs"):
        L.Subtract()([_x(2, 3), _x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match="layer should be called on exactly 2 inputs"):
        L.Subtract()([nd.Input((4, 5))])
    with pytest.raises(ValueError, match="list"):
        L.Add()(_x(2, 3))
    with pytest.raises(ValueError, match=r"incompatible.*\(None, 3\), \(None, 4\)"):
        L.Maximum()([nd.Input(shape=(3,)), nd.Input(shape=(4,))])


def test_concatenate_values_shapes_masks_and_errors():
    a, b = _x(2, 3, 4), _x(2, 3, 2)
    layer = L.Concatenate()
    np.testing.assert_array_equal(layer([a, b]).numpy(), np.concatenate([a, b], -1))
    assert L.Concatenate(axis=1)([nd.Input((3, 4)), nd.Input((None, 4))]).shape == (None, None, 4)
    assert L.Concatenate.from_config(L.Concatenate(axis=1).get_config()).axis == 1
    with pytest.raises(ValueError, match=r"requires inputs with matching shapes except for the "
                                         r"concatenation axis.*'cat'.*"
                                         r"\[\(2, 3, 4\), \(2, 5, 2\)\]"):
        L.Concatenate(name="cat")([a, _x(2, 5, 2)])
    with pytest.raises(ValueError, match="same rank"):
        L.Concatenate()([a, _x(2, 3)])
    # masks: concatenated along time, OR-ed along features (as in Keras)
    ta, tb = nd.Tensor(_x(2, 3, 4)), nd.Tensor(_x(2, 2, 4))
    ta._keras_mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    out = L.Concatenate(axis=1)([ta, tb])
    np.testing.assert_array_equal(out._keras_mask, [[1, 1, 0, 1, 1], [1, 0, 0, 1, 1]])
    assert gradcheck_layer(L.Concatenate(axis=1, dtype="float64"),
                           [RNG.standard_normal((2, 3, 2)), RNG.standard_normal((2, 1, 2))])


def test_elementwise_masks_are_or_ed_and_extrema_skip_masked_entries():
    a, b = nd.Tensor(np.full((1, 3, 2), 5.0, "float32")), nd.Tensor(np.ones((1, 3, 2), "float32"))
    a._keras_mask = np.array([[True, False, False]])
    b._keras_mask = np.array([[False, True, False]])
    np.testing.assert_array_equal(L.Add()([a, b])._keras_mask, [[True, True, False]])
    y = L.Maximum()([a, b])
    np.testing.assert_array_equal(y.numpy()[0, :, 0], [5, 1, 5])  # masked 5 loses at step 1
    # where both are masked the first input passes through, as in Keras
    np.testing.assert_array_equal(L.Minimum()([a, b]).numpy()[0, :, 0], [5, 1, 5])
    b._keras_mask = None
    assert L.Add()([a, b])._keras_mask is None


def test_dot_matches_batch_dot_and_cosine():
    a, b = _x(3, 4, 5), _x(3, 6, 5)
    np.testing.assert_allclose(L.Dot(axes=2)([a, b]).numpy(), np.einsum("bid,bjd->bij", a, b),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(L.Dot(axes=(1, 1))([a, _x(3, 4, 2)]).shape, (3, 5, 2))
    u, v = _x(3, 5), _x(3, 5)
    cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
    np.testing.assert_allclose(L.Dot(axes=1, normalize=True)([u, v]).numpy(), cos[:, None],
                               rtol=1e-5)
    assert L.Dot(axes=-1)([nd.Input((4, 5)), nd.Input((6, 5))]).shape == (None, 4, 6)
    cfg = L.Dot(axes=[1, 2], normalize=True).get_config()
    assert L.Dot.from_config(cfg).get_config() == cfg
    assert gradcheck_layer(L.Dot(axes=2, normalize=True, dtype="float64"),
                           [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 2, 4))])


def test_dot_errors():
    with pytest.raises(ValueError, match=r"axis values 5 \(at axis 2\) != 4 \(at axis 2\).*'d'"):
        L.Dot(axes=2, name="d")([_x(2, 3, 5), _x(2, 3, 4)])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        L.Dot(axes=1)([_x(2, 3)])
    with pytest.raises(ValueError, match="batch axis"):
        L.Dot(axes=0)([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match="axes"):
        L.Dot(axes="last")


def test_residual_block_in_a_functional_model_trains():
    inputs = nd.Input(shape=(6,))
    h = L.Dense(6, activation="relu")(inputs)
    out = L.Dense(1)(L.Add()([inputs, h]))
    model = nd.Model(inputs, out)
    model.compile(optimizer="adam", loss="mse")
    x = _x(64, 6)
    y = x.sum(1, keepdims=True)
    hist = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


@pytest.mark.parametrize("dims, in_shape, out_shape", [((2, 1), (2, 3, 4), (2, 4, 3)),
                                                       ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4))])
def test_permute(dims, in_shape, out_shape):
    layer = check_layer(lambda: L.Permute(dims), in_shape, out_shape, 0)
    x = _x(*in_shape)
    np.testing.assert_array_equal(layer(x).numpy(), np.transpose(x, (0, *dims)))
    assert gradcheck_layer(L.Permute(dims, dtype="float64"), [RNG.standard_normal(in_shape)])


def test_permute_errors():
    with pytest.raises(ValueError, match="permutation of 1..2"):
        L.Permute((0, 1))
    with pytest.raises(ValueError, match="rank 3"):
        L.Permute((2, 1))(_x(2, 3, 4, 5))


def _masked(values):
    """A Tensor masked where its last axis is all zeros (as ``Masking`` would)."""
    return L.Masking()(np.array(values, "float32"))


def test_multiply_combines_masks_as_keras():
    x1 = _masked([[[0, 0], [1, 2], [0, 0], [3, 4]]])
    x2 = nd.Tensor(np.array([[[0, 0], [0, 0], [1, 2], [3, 4]]], "float32"))
    # One masked input: its masked entries count as 1 and the output has no mask.
    out = L.Multiply()([x1, x2])
    np.testing.assert_array_equal(out.numpy(), [[[0, 0], [0, 0], [1, 2], [9, 16]]])
    assert getattr(out, "_keras_mask", None) is None
    # All masked: entries kept by some input are products of the kept ones, the rest 0.
    out = L.Multiply()([x1, _masked(x2.numpy())])
    np.testing.assert_array_equal(out.numpy(), [[[0, 0], [1, 2], [1, 2], [9, 16]]])
    np.testing.assert_array_equal(out._keras_mask, [[False, True, True, True]])


def test_multiply_with_masks_gradcheck_float64():
    a = nd.Tensor(RNG.standard_normal((2, 3, 2)))
    b = nd.Tensor(RNG.standard_normal((2, 3, 2)))
    masks = [np.array([[True, False, True], [False, True, True]]),
             np.array([[True, True, False], [False, False, True]])]

    def fn(x, y):
        x._keras_mask, y._keras_mask = masks
        return L.Multiply(dtype="float64")([x, y])

    assert nd.autograd.gradcheck(fn, [a.numpy(), b.numpy()])


def test_compute_mask_errors_and_variable_masks():
    inputs = [nd.Input((4, 5)), nd.Input((4, 5))]
    for layer in (L.Add(), L.Maximum(), L.Concatenate()):
        with pytest.raises(ValueError, match="`mask` should be a list."):
            layer.compute_mask(inputs, _x(2, 4, 5))
        with pytest.raises(ValueError, match="`inputs` should be a list."):
            layer.compute_mask(inputs[0], [None, None])
        with pytest.raises(ValueError, match="should have the same length."):
            layer.compute_mask(inputs, [None])
        assert layer.compute_mask(inputs, [None, None]) is None
    # Concrete masks give a concrete mask even for symbolic inputs.
    masks = [nd.Variable(np.array([[1.0, 0.0, 0.0, 0.0]])),
             nd.Variable(np.array([[0.0, 0.0, 1.0, 0.0]]))]
    np.testing.assert_array_equal(L.Add().compute_mask(inputs, masks),
                                  [[True, False, True, False]])


def test_concatenate_mask_in_a_functional_model():
    in1, in2 = nd.Input((4, 2)), nd.Input((4, 2))
    out = L.Concatenate(axis=1)([L.Masking()(in1), in2])
    model = nd.Model([in1, in2], out._keras_mask)
    x1 = np.array([[[0, 0], [1, 2], [0, 0], [3, 4]]], "float32")
    x2 = np.array([[[0, 0], [0, 0], [1, 2], [3, 4]]], "float32")
    np.testing.assert_array_equal(np.asarray(model([x1, x2])), [[0, 1, 0, 1, 1, 1, 1, 1]])


@pytest.mark.parametrize("fn, cls, kwargs", [
    (L.add, L.Add, {}), (L.subtract, L.Subtract, {}), (L.multiply, L.Multiply, {}),
    (L.average, L.Average, {}), (L.maximum, L.Maximum, {}), (L.minimum, L.Minimum, {}),
    (L.concatenate, L.Concatenate, {"axis": 1}), (L.dot, L.Dot, {"axes": 2}),
])
def test_functional_forms_build_and_call_the_layer(fn, cls, kwargs):
    a, b = _x(2, 3, 3), _x(2, 3, 3)
    np.testing.assert_allclose(fn([a, b], **kwargs).numpy(), cls(**kwargs)([a, b]).numpy(),
                               rtol=1e-6)
    out = fn([nd.Input((3, 3)), nd.Input((3, 3))], name=f"my_{cls.__name__.lower()}", **kwargs)
    assert out.node.layer.name == f"my_{cls.__name__.lower()}"
    assert isinstance(out.node.layer, cls)


def test_dot_higher_rank_inputs():
    a, b = _x(1, 3, 2), _x(1, 1, 2, 3)
    assert L.Dot(axes=(-2, -1))([nd.Input(batch_shape=(1, 3, 2)),
                                 nd.Input(batch_shape=(1, 1, 2, 3))]).shape == (1, 2, 1, 2)
    y = L.Dot(axes=(-2, -1))([a, b]).numpy()
    np.testing.assert_allclose(y, np.einsum("bkx,byzk->bxyz", a, b), rtol=1e-5)
