import numpy as np
import pytest

import numdeep as nd

L = nd.layers


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, 3)).astype("float32")
    b = rng.standard_normal((n, 2)).astype("float32")
    y_cls = (a[:, 0] + b[:, 0] > 0).astype("int64")
    y_reg = (a.sum(1, keepdims=True) - b.sum(1, keepdims=True)).astype("float32")
    return a, b, y_cls, y_reg


def two_in_two_out(seed=0):
    nd.utils.set_random_seed(seed)
    in_a = nd.Input(shape=(3,), name="a")
    in_b = nd.Input(shape=(2,), name="b")
    h = L.Concatenate()([L.Dense(8, activation="relu")(in_a),
                         L.Dense(8, activation="relu")(in_b)])
    cls = L.Dense(2, activation="softmax", name="cls")(h)
    reg = L.Dense(1, name="reg")(h)
    return nd.Model([in_a, in_b], [cls, reg])


def test_multi_input_multi_output_fit_with_per_output_losses_weights_and_metrics():
    a, b, y_cls, y_reg = data()
    model = two_in_two_out()
    model.compile(optimizer="adam",
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    history = model.fit([a, b], {"cls": y_cls, "reg": y_reg}, epochs=3, batch_size=16,
                        verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    h = history.history
    # Total loss = cls_loss + 0.5 * reg_loss (no regularizers here), per epoch.
    np.testing.assert_allclose(h["loss"], np.add(h["cls_loss"], np.multiply(0.5, h["reg_loss"])),
                               rtol=1e-5)
    probs, reg = model.predict([a, b], verbose=0)
    assert probs.shape == (48, 2) and reg.shape == (48, 1)


def test_list_losses_and_list_targets_match_dict_form():
    a, b, y_cls, y_reg = data()
    m1, m2 = two_in_two_out(1), two_in_two_out(1)
    m1.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    m2.compile(optimizer="sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"})
    r1 = m1.evaluate([a, b], [y_cls, y_reg], verbose=0)
    r2 = m2.evaluate({"a": a, "b": b}, {"reg": y_reg, "cls": y_cls}, verbose=0)
    np.testing.assert_allclose(r1, r2, rtol=1e-6)


def test_metrics_flat_list_on_multi_output_model_is_an_error():
    a, b, y_cls, y_reg = data()
    model = two_in_two_out()
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"],
                  metrics=["accuracy"])
    with pytest.raises(ValueError, match="dict"):
        model.evaluate([a, b], [y_cls, y_reg], verbose=0)


def test_wrong_number_of_inputs_is_a_clear_error():
    a, b, *_ = data()
    model = two_in_two_out()
    with pytest.raises(ValueError, match=r"expects 2 (named )?input\(s\).*received 1"):
        model.predict(a, verbose=0)
    with pytest.raises(ValueError, match=r"Missing data for input \"b\""):
        model.predict({"a": a}, verbose=0)


def test_graph_disconnected_is_reported():
    x1, x2 = nd.Input(shape=(2,)), nd.Input(shape=(2,))
    out = L.Dense(1)(x2)
    with pytest.raises(ValueError, match="graph disconnected"):
        nd.Model(x1, out)


def test_shared_layer_reuses_weights():
    shared = L.Dense(4)
    x1, x2 = nd.Input(shape=(3,)), nd.Input(shape=(3,))
    model = nd.Model([x1, x2], [shared(x1), shared(x2)])
    assert len(model.weights) == 2
    a = np.ones((2, 3), dtype="float32")
    out1, out2 = model.predict([a, a], verbose=0)
    np.testing.assert_array_equal(out1, out2)


def test_nested_model_as_a_layer():
    inner_in = nd.Input(shape=(4,))
    inner = nd.Model(inner_in, L.Dense(3, activation="relu")(inner_in), name="inner")
    outer_in = nd.Input(shape=(4,))
    outer = nd.Model(outer_in, L.Dense(1)(inner(outer_in)))
    assert len(outer.trainable_weights) == 4
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    expected = inner.predict(x, verbose=0) @ outer.layers[-1].kernel.data + \
        outer.layers[-1].bias.data
    np.testing.assert_allclose(outer.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    outer.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in inner.get_weights()]
    outer.fit(x, np.ones((5, 1)), verbose=0)
    assert any(not np.array_equal(b, w) for b, w in zip(before, inner.get_weights()))


class TwoLayer(nd.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(units, activation="relu")
        self.out = L.Dense(1)

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


class Scale(L.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs, training=False):
        return inputs * self.scale


def test_subclassed_model_tracks_weights_and_trains():
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = TwoLayer()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=20, verbose=0)
    assert len(model.trainable_weights) == 4
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_custom_layer_with_add_weight_in_functional_model():
    inp = nd.Input(shape=(3,))
    layer = Scale()
    model = nd.Model(inp, layer(inp))
    assert [w.name for w in model.weights] == ["scale"]
    np.testing.assert_array_equal(model.predict(np.ones((2, 3)), verbose=0), np.ones((2, 3)))


def test_summary_shows_connected_to_for_functional_models(capsys):
    model = two_in_two_out()
    model.summary()
    out = capsys.readouterr().out
    assert "Connected to" in out and "a[0][0]" in out
