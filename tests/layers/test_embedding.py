"""``Embedding`` and ``ReversibleEmbedding``: harness, lookup and scatter-add gradient, masks,
validation, a hand-built table, the reverse projection, PyTorch parity."""

import warnings

import numpy as np
import pytest

import numdeep as nd
from numdeep.autograd import Tensor
from tests.helpers import check_layer

L = nd.layers


def _ids(rng):
    return rng.integers(0, 10, (4, 6))


@pytest.mark.parametrize("make", [
    lambda: L.Embedding(10, 3),
    lambda: L.Embedding(10, 3, mask_zero=True, embeddings_regularizer="l2"),
])
def test_check_layer(make):
    check_layer(make, (4, 6), (4, 6, 3), 1, input_dtype="int64", input_fn=_ids)


def test_lookup_and_gradient_accumulates_repeated_ids():
    layer = L.Embedding(5, 2, embeddings_initializer="uniform")
    ids = np.array([[1, 3, 1], [4, 1, 0]])
    out = layer(ids)
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out.data, table[ids])
    assert np.all(np.abs(table) <= 0.05)  # Keras's RandomUniform(-0.05, 0.05)
    out.sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad[:, 0], [1, 3, 0, 1, 1])


def test_mask_zero_and_float_ids():
    layer = L.Embedding(4, 2, mask_zero=True)
    ids = np.array([[2.0, 0.0], [3.0, 1.0]], dtype="float32")
    out = layer(ids)
    np.testing.assert_array_equal(out._keras_mask, [[True, False], [True, True]])
    assert L.Embedding(4, 2).compute_mask(ids) is None
    assert out.shape == (2, 2, 2)


def test_errors_and_pretrained_weights():
    for bad in (3.7, 4.0, "3", None, True, 0, -1):
        with pytest.raises(ValueError, match="`input_dim` must be a positive integer"):
            L.Embedding(bad, 3)
        with pytest.raises(ValueError, match="`output_dim` must be a positive integer"):
            L.Embedding(3, bad)
    with pytest.raises(TypeError, match="`output_dim` must be a positive integer"):
        L.Embedding.from_config({"input_dim": 10, "output_dim": 3.7})
    layer = L.Embedding(4, 2, name="words")
    with pytest.raises(ValueError, match=r"'words' received token ids outside \[0, 4\).*-1 to 4"):
        layer(np.array([[-1, 4]]))
    table = np.arange(8, dtype="float32").reshape(4, 2)
    frozen = L.Embedding(4, 2, weights=[table], trainable=False)
    np.testing.assert_array_equal(frozen(np.array([3])).data, [[6.0, 7.0]])
    assert frozen.trainable_weights == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        L.Embedding(4, 2, input_length=7)
    assert "input_length" in str(caught[0].message)


def test_text_model_trains_with_mask():
    nd.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, (64, 8))
    ids[:, 5:] = 0
    y = (ids[:, 0] > 10).astype("float32")
    model = nd.Sequential([L.Embedding(20, 8, mask_zero=True, input_shape=(None,)),
                           L.Bidirectional(L.LSTM(8)), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ids, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_matches_torch_embedding():
    torch = pytest.importorskip("torch")
    table = np.random.default_rng(1).standard_normal((6, 3)).astype("float32")
    ids = np.array([[0, 5, 5], [2, 0, 1]])
    layer = L.Embedding(6, 3, weights=[table])
    cot = np.random.default_rng(2).standard_normal((2, 3, 3)).astype("float32")
    (layer(ids) * Tensor(cot)).sum().backward()
    emb = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False)
    (emb(torch.tensor(ids)) * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(layer.embeddings.grad, emb.weight.grad.numpy(), atol=1e-6)


def test_manual_build_then_set_weights_keeps_the_numbers():
    layer = L.Embedding(3, 2)
    layer.build()
    layer.set_weights([np.array([[0.0, 0.0], [2.0, 2.0], [3.0, 3.0]])])
    np.testing.assert_array_equal(layer(np.array([2, 1, 0])).numpy(),
                                  [[3.0, 3.0], [2.0, 2.0], [0.0, 0.0]])
    built = L.Embedding(3, 4, weights=np.ones((3, 4)))  # a bare array works too
    assert built.built
    np.testing.assert_array_equal(built.embeddings.numpy(), np.ones((3, 4)))


def test_symbolic_mask_of_mask_zero():
    ids = nd.Input((4,), dtype="int32")
    out = L.Embedding(5, 2, mask_zero=True)(ids)
    assert out._keras_mask.shape == (None, 4)
    model = nd.Model(ids, out._keras_mask)
    np.testing.assert_array_equal(np.asarray(model(np.array([[1, 0, 3, 0]]))),
                                  [[True, False, True, False]])


def test_reversible_embedding_projects_back_with_tied_or_own_weights():
    layer = L.ReversibleEmbedding(3, 2)
    layer.build()
    layer.embeddings.assign(np.array([[0.0, 0.0], [2.0, 2.0], [3.0, 3.0]]))
    np.testing.assert_array_equal(layer(np.array([2, 1, 0])).numpy(),
                                  [[3.0, 3.0], [2.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(layer(np.array([[1.0, 1.0]]), reverse=True).numpy(),
                                  [[0.0, 4.0, 6.0]])
    capped = L.ReversibleEmbedding(3, 2, logit_soft_cap=5)
    capped.build()
    capped.embeddings.assign(layer.embeddings.numpy())
    np.testing.assert_allclose(capped(np.array([[1.0, 1.0]]), reverse=True).numpy(),
                               [[0.0, 3.320184, 4.168273]], rtol=1e-6)
    untied = L.ReversibleEmbedding(10, 4, tie_weights=False)
    assert untied(np.ones((2, 3, 4), "float32"), reverse=True).shape == (2, 3, 10)
    assert [w.name for w in untied.weights] == ["embeddings", "reverse_embeddings"]
    half = L.ReversibleEmbedding(10, 4, reverse_dtype="float16")
    assert half(np.ones((2, 4), "float32"), reverse=True).dtype == np.float16


def test_reversible_embedding_masks_and_symbolic_shapes():
    layer = L.ReversibleEmbedding(3, 2, mask_zero=True)
    out = layer(np.array([2, 1, 0]))
    np.testing.assert_array_equal(out._keras_mask, [True, True, False])
    assert getattr(layer(out, reverse=True), "_keras_mask", None) is None
    x = nd.Input((5,), dtype="int32")
    hidden = layer(x)
    assert hidden.shape == (None, 5, 2) and layer(hidden, reverse=True).shape == (None, 5, 3)


@pytest.mark.parametrize("tie", [True, False])
def test_reversible_embedding_check_layer_and_trains(tie):
    check_layer(lambda: L.ReversibleEmbedding(10, 3, tie_weights=tie, logit_soft_cap=50),
                (4, 6), (4, 6, 3), 1 if tie else 2, input_dtype="int64", input_fn=_ids,
                train=tie)  # untied, the reverse weight takes no part in a forward call


def test_reversible_embedding_reverse_matches_torch_linear():
    torch = pytest.importorskip("torch")
    layer = L.ReversibleEmbedding(6, 3, logit_soft_cap=2.0)
    layer.build()
    h = np.random.default_rng(3).standard_normal((4, 3)).astype("float32")
    ht = Tensor(h, requires_grad=True)
    layer(ht, reverse=True).sum().backward()
    th = torch.tensor(h, requires_grad=True)
    table = torch.tensor(layer.embeddings.numpy(), requires_grad=True)
    out = torch.tanh(th @ table.T / 2.0) * 2.0
    out.sum().backward()
    np.testing.assert_allclose(layer(h, reverse=True).numpy(), out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(ht.grad, th.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(layer.embeddings.grad, table.grad.numpy(), atol=1e-5)
