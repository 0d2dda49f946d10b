"""``Embedding``: harness, lookup and scatter-add gradient, masks, validation, PyTorch parity."""

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
    with pytest.raises(ValueError, match="input_dim"):
        L.Embedding(0, 3)
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
