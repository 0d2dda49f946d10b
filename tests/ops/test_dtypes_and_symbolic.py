"""Keras's result dtypes (the promotion lattice with weak Python scalars), symbolic shape
inference on ``KerasTensor`` inputs, and the Keras-style op classes (``ops.Add()(x, y)``)."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import ops
from numdeep.backend import result_type
from numdeep.ops.symbolic import KerasTensor


@pytest.mark.parametrize("a,b,expected", [
    ("int8", "uint8", "int16"), ("int32", "float32", "float32"), ("int8", float, "float32"),
    ("float16", float, "float16"), ("bool", int, "int32"), ("uint8", int, "uint8"),
    ("float16", "float32", "float32"), ("int16", "uint16", "int32"), (int, float, "float32"),
    ("float64", "float64", "float64"), ("bool", "bool", "bool"),
])
def test_result_type_follows_the_keras_lattice(a, b, expected):
    assert result_type(a, b) == expected


def test_binary_ops_promote_like_keras_and_keep_float64():
    i8, u8 = np.ones(2, "int8"), np.ones(2, "uint8")
    assert ops.add(i8, u8).dtype == np.int16
    assert ops.add(i8, 1.5).dtype == np.float32  # NumPy would give float64
    assert ops.multiply(np.ones(2, "float16"), 2.0).dtype == np.float16
    assert ops.divide(np.ones(2, "int32"), 2).dtype == np.float32
    assert ops.add(np.ones(2, "float64"), np.ones(2, "float64")).dtype == np.float64
    assert ops.power(np.ones(2, "int8"), 2).dtype == np.int8


def test_float_functions_of_integers_give_floatx():
    for fn in (ops.sin, ops.sqrt, ops.log1p, ops.exp, ops.mean, ops.arctanh):
        assert fn(np.ones(3, "int16")).dtype == np.float32, fn.__name__
    assert ops.sin(np.ones(3, "float16")).dtype == np.float16


def test_integer_reductions_widen_like_jax():
    assert ops.sum(np.ones(3, "int8")).dtype == np.int32
    assert ops.sum(np.ones(3, "uint16")).dtype == np.uint32
    assert ops.sum(np.ones(3, bool)).numpy() == 3
    assert ops.cumsum(np.ones(3, bool)).dtype == np.int32
    assert ops.argmax(np.ones(3)).dtype == np.int32


def test_python_data_converts_like_keras():
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1, 2.5]).dtype == np.float32
    assert ops.array(True).dtype == bool
    assert ops.arange(3).dtype == np.int32 and ops.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert ops.linspace(0, 1, 3).dtype == np.float32


@pytest.mark.parametrize("fn,shapes,expected", [
    (ops.add, [(None, 3), (2, None)], (2, 3)),
    (ops.matmul, [(None, 3, 4), (3, None, 4, 5)], (3, None, 3, 5)),
    (lambda x: ops.reshape(x, (-1, 2)), [(None, 4)], (None, 2)),
    (lambda x: ops.concatenate([x, x], axis=1), [(None, 3)], (None, 6)),
    (lambda x: ops.split(x, 2, axis=0)[0], [(None, 4)], (None, 4)),
    (lambda x, y: ops.einsum("ij,jk->ik", x, y), [(None, 3), (3, 4)], (None, 4)),
    (lambda x: ops.inv(x), [(None, 3, 3)], (None, 3, 3)),
    (lambda x: ops.top_k(x, 2)[1], [(None, 5)], (None, 2)),
    (lambda x: ops.bitwise_and(x, x), [(None, 3)], (None, 3)),
    # The two batch sizes are tied (they must match), and vary together.
    (lambda x, y: ops.dstack([x, y]), [(None, 3), (None, None)], (None, 3, 2)),
    (lambda x, y: ops.stack([x, y]), [(None, 3), (None, None)], (2, None, 3)),
])
def test_symbolic_shapes(fn, shapes, expected):
    out = fn(*[KerasTensor(s) for s in shapes])
    assert isinstance(out, KerasTensor) and out.shape == expected


def test_symbolic_errors_are_value_errors():
    with pytest.raises(ValueError):
        ops.add(KerasTensor((2, 3)), KerasTensor((2, 3, 4)))
    with pytest.raises(ValueError, match="not known to be size 1"):
        ops.squeeze(KerasTensor((None, 1)), axis=0)
    with pytest.raises(ValueError, match="last 2 dimensions fully-defined"):
        ops.det(KerasTensor((None, None, 3)))
    with pytest.raises(ValueError, match="same kind"):
        ops.cond(KerasTensor((), dtype="bool"), lambda: ops.ones((3,)), lambda: ops.zeros((4,)))


def test_symbolic_ops_build_a_functional_model():
    inputs = nd.Input(shape=(3,))
    outputs = ops.sum(ops.sin(inputs) * 2.0, axis=-1, keepdims=True)
    model = nd.Model(inputs, outputs)
    x = np.array([[0.5, 1.0, -1.0]], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.sin(x).sum(-1, keepdims=True) * 2,
                               rtol=1e-6)


def test_op_classes_take_settings_then_tensors():
    np.testing.assert_array_equal(ops.Append(axis=1)([[1, 2]], [[3]]).numpy(), [[1, 2, 3]])
    np.testing.assert_allclose(ops.Clip(0, 1)([-1.0, 0.5, 2.0]).numpy(), [0, 0.5, 1])
    np.testing.assert_allclose(ops.Einsum("ij->ji")([[1.0, 2.0]]).numpy(), [[1.0], [2.0]])
    assert ops.ExtractSequences(3, 2).sequence_length == 3
    assert ops.Add().symbolic_call(KerasTensor((None, 2)), KerasTensor((2,))).shape == (None, 2)
    with pytest.raises(TypeError, match="settings"):
        ops.Sin(1)
