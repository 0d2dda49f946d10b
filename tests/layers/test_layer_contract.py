"""The Keras layer contract as Keras code observes it (regressions of the contract issue)."""

import threading

import numpy as np
import pytest

import numdeep as nd
from numdeep import layers as L


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_manual_build_marks_built_and_set_weights_survive_the_first_call():
    layer = L.Dense(3)
    layer.build((None, 4))
    assert layer.built and len(layer.weights) == 2
    kernel, bias = np.arange(12, dtype="float32").reshape(4, 3), np.ones(3, "float32")
    layer.set_weights([kernel, bias])
    x = _x(2, 4)
    y = layer(x)
    assert len(layer.weights) == 2  # not built a second time
    np.testing.assert_allclose(y.numpy(), x @ kernel + bias, rtol=1e-6)


def test_build_of_a_custom_layer_marks_it_built_and_scopes_the_weight_paths():
    class Scale(L.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    layer = Scale(name="scale")
    layer.build((None, 2))
    assert layer.built and layer.w.path == "scale/w"
    layer.w.assign([2.0, 3.0])
    np.testing.assert_array_equal(layer(np.ones((1, 2), "float32")).numpy(), [[2.0, 3.0]])


def test_call_without_training_or_mask_arguments():
    class Double(L.Layer):
        def call(self, x):
            return x * 2.0

    out = Double()(np.ones((2, 3), "float32"), training=True)
    np.testing.assert_array_equal(out.numpy(), 2.0)


def test_second_positional_argument_reaches_call():
    class Diff(L.Layer):
        def call(self, targets, logits):
            return targets - logits

    out = Diff()(np.ones((2, 2), "float32"), np.full((2, 2), 3.0, "float32"))
    np.testing.assert_array_equal(out.numpy(), -2.0)


def test_training_mode_reaches_sub_layers_that_were_not_told():
    class Block(L.Layer):
        def __init__(self):
            super().__init__()
            self.drop = L.Dropout(0.5, seed=1)

        def call(self, x):  # no `training` passed along, as in many tutorials
            return self.drop(x)

    block = Block()
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(block(x).numpy(), x)  # inference: identity
    dropped = block(x, training=True).numpy()
    assert (dropped == 0).mean() > 0.3 and set(np.unique(dropped)) <= {0.0, 2.0}


def test_variable_assign_methods_and_non_trainable_state():
    class Counter(L.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="total")

        def call(self, x):
            self.total.assign_add(float(np.asarray(x).sum()))
            return x

    layer = Counter()
    layer(np.ones((2, 3), "float32"))
    layer(np.ones((1, 3), "float32"))
    assert float(layer.total.numpy()) == 9.0
    assert layer.total.trainable is False and layer.non_trainable_weights == [layer.total]
    v = nd.Variable(np.zeros(2, "float32"), name="v")
    v.assign([1.0, 2.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.value.numpy(), [0.5, 1.5])
    with pytest.raises(ValueError, match="must match"):
        v.assign(np.zeros(3))


def test_tensor_equality_is_elementwise():
    t = nd.Tensor([0.0, 1.0, 0.0])
    np.testing.assert_array_equal(t == 0.0, [True, False, True])
    np.testing.assert_array_equal(t != 0.0, [False, True, False])


def test_first_call_from_several_threads_builds_once():
    model = nd.Sequential([L.Dense(4), L.Dense(2)])
    barrier = threading.Barrier(6)
    errors = []

    def predict():
        barrier.wait()
        try:
            model.predict(np.ones((3, 5), "float32"), verbose=0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=predict) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(model.weights) == 4


def test_symbolic_arithmetic_indexing_and_ops_on_inputs():
    x = nd.Input(shape=(3,))
    y = nd.ops.sum(x * 2.0 + 1.0, axis=-1) + x[:, 0]
    model = nd.Model(x, y)
    data = _x(4, 3)
    np.testing.assert_allclose(model.predict(data, verbose=0),
                               (data * 2 + 1).sum(-1) + data[:, 0], rtol=1e-6)


def test_layer_input_output_and_shapes():
    x = nd.Input(shape=(5,))
    dense = L.Dense(2)
    y = dense(x)
    assert dense.input is x and dense.output is y
    assert dense.input_shape == (None, 5) and dense.output_shape == (None, 2)
