"""What a layer owns and how its state changes: tracking (lists, dicts, private attributes),
the lock after build, call-context arguments, tracing without side effects, stateless calls,
weight paths and rematerialization. Every test checks numbers, not only that code runs."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import layers as L
from numdeep import ops


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


class Blocks(L.Layer):
    """Sub-layers appended to a list after the assignment, one kept in a private attribute."""

    def __init__(self):
        super().__init__()
        self.blocks = []
        for units in (4, 3):
            self.blocks.append(L.Dense(units))
        self.heads = {}
        self.heads["out"] = L.Dense(2)
        self._private = L.Dense(2)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["out"](x) + self._private(x)


def test_appended_dict_and_private_sub_layers_are_trained():
    layer = Blocks()
    x, y = _x(8, 5), _x(8, 2, seed=1)
    layer(x)
    assert len(layer.trainable_weights) == 8  # 4 Dense layers x (kernel, bias)
    model = nd.Sequential([nd.Input((5,)), layer])
    model.compile(optimizer=nd.optimizers.SGD(0.1), loss="mse")
    before = [w.numpy().copy() for w in layer.trainable_weights]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    changed = [not np.allclose(b, w.numpy()) for b, w in zip(before, layer.trainable_weights)]
    assert all(changed)  # every block got a gradient step, the appended ones included


def test_removing_from_a_tracked_list_untracks_the_layer():
    layer = Blocks()
    layer(_x(2, 5))
    assert len(layer.weights) == 8
    layer.blocks.pop()
    assert len(layer.weights) == 6


def test_state_set_before_layer_init_is_tracked():
    class Early(L.Layer):
        def __init__(self):
            self.w = nd.Variable(np.ones(2, "float32"))
            super().__init__()

    assert len(Early().weights) == 1


def test_new_state_after_build_raises_the_keras_error():
    class Lazy(L.Layer):
        def call(self, x):
            self.w = self.add_weight(shape=(), initializer="zeros")
            return x

    with pytest.raises(ValueError, match="cannot add new elements of state"):
        Lazy()(_x(2, 2))


def test_untrack_variable_swaps_a_weight():
    class Swap(L.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(2,), initializer="ones")

    layer = Swap()
    layer.w = layer._untrack_variable(layer.w)
    assert layer.w is None and layer.weights == []


def test_tracing_a_layer_does_not_change_its_state():
    class Counter(L.Layer):
        def build(self, shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.count.assign_add(1.0)
            return x

    counter = Counter()
    model = nd.Sequential([nd.Input((3,)), counter])  # traced once to build the graph
    assert float(counter.count.numpy()) == 0.0
    model(_x(2, 3))
    assert float(counter.count.numpy()) == 1.0


def test_registered_call_context_argument_reaches_nested_layers():
    class Inner(L.Layer):
        def __init__(self):
            super().__init__()
            self._register_call_context_args("boost")

        def call(self, x, boost=None):
            return x + (10.0 if boost else 0.0)

    class Middle(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    outer = Middle()
    outer._register_call_context_args("boost")
    x = np.zeros((1, 2), "float32")
    np.testing.assert_array_equal(outer(x, boost=True).numpy(), [[10.0, 10.0]])
    np.testing.assert_array_equal(outer(x).numpy(), [[0.0, 0.0]])
    with pytest.raises(RuntimeError, match="after the layer has been called"):
        outer._register_call_context_args("other")


def test_non_tensor_positional_arguments_must_go_by_keyword():
    class Flag(L.Layer):
        def call(self, x, flag):
            return x + (1.0 if flag else 0.0)

    with pytest.raises(ValueError, match="Only input tensors may be passed as positional"):
        Flag()(_x(1, 2), True)
    np.testing.assert_allclose(Flag()(np.zeros((1, 2), "float32"), flag=True).numpy(), 1.0)


def test_stateless_call_leaves_the_layer_untouched():
    bn = L.BatchNormalization(momentum=0.5)
    x = _x(16, 3) * 3 + 2
    bn(x)  # build
    moving_before = bn.moving_mean.numpy().copy()
    gamma = [np.full(3, 2.0, "float32"), np.zeros(3, "float32")]
    out, new_non_trainable = bn.stateless_call(gamma, bn.non_trainable_variables, x,
                                               training=True)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving_before)  # untouched
    expected_mean = 0.5 * moving_before + 0.5 * x.mean(axis=0)
    np.testing.assert_allclose(new_non_trainable[0].numpy(), expected_mean, rtol=1e-5)
    normalized = (x - x.mean(0)) / np.sqrt(x.var(0) + bn.epsilon)
    np.testing.assert_allclose(out.numpy(), 2.0 * normalized, rtol=1e-4, atol=1e-5)


def test_weights_created_inside_an_outer_call_carry_the_outer_path():
    class Inner(L.Layer):
        def build(self, shape):
            self.v = self.add_weight(shape=(1,), name="v")

        def call(self, x):
            return x + self.v

    class Outer(L.Layer):
        def __init__(self):
            super().__init__(name="outer")
            self.inner = Inner(name="inner")

        def call(self, x):
            return self.inner(x)

    layer = Outer()
    layer(_x(2, 1))
    assert [v.path for v in layer.variables] == ["outer/inner/v"]
    with layer.inner._unlocked_state():
        later = layer.inner.add_weight(shape=(1,), name="later")
    assert later.path == "outer/inner/later"


def test_rematerialized_training_matches_plain_training_exactly():
    def build(remat):
        scope = nd.RematScope(mode="full") if remat else nd.RematScope(mode=None)
        with scope:
            layers = [L.Dense(6, activation="tanh"), L.Dropout(0.4, seed=7), L.Dense(2),
                      L.BatchNormalization()]
        return nd.Sequential([nd.Input((3,)), *layers])

    plain, remat = build(False), build(True)
    remat.set_weights(plain.get_weights())
    x = _x(8, 3)
    results = []
    for model in (plain, remat):
        with nd.GradientTape() as tape:
            loss = ops.mean(model(x, training=True) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        results.append((float(loss.numpy()), [np.asarray(g) for g in grads],
                        model.layers[-1].moving_mean.numpy()))
    (loss_a, grads_a, mean_a), (loss_b, grads_b, mean_b) = results
    assert loss_a == loss_b
    for ga, gb in zip(grads_a, grads_b):
        np.testing.assert_array_equal(ga, gb)
    # The recomputation in backward neither redraws the dropout mask nor updates the moving
    # statistics a second time.
    np.testing.assert_array_equal(mean_a, mean_b)


def test_remat_scope_modes():
    with nd.RematScope(mode="list_of_layers", layer_names=["picked"]):
        picked, other = L.Dense(2, name="picked"), L.Dense(2, name="other")
    x = nd.Tensor(_x(2, 3), requires_grad=True)
    picked(x).sum().backward()
    other(x).sum().backward()
    assert type(picked(x)._ctx).__name__ == "Remat"
    assert type(other(x)._ctx).__name__ != "Remat"
    with pytest.raises(ValueError, match="Invalid mode"):
        nd.RematScope(mode="sometimes")
