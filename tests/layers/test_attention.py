"""MultiHeadAttention, Attention, AdditiveAttention and the position layers: Keras layouts and
call conventions, masks, float64 gradchecks, float32 parity with torch.nn.MultiheadAttention.

Weight conversion from torch (documented here, used by the parity test): ``in_proj_weight`` is
``[Wq; Wk; Wv]`` of shape ``(3E, E)`` applied as ``x @ W.T``, and heads are contiguous chunks of
``E``, so Keras's ``(E, heads, head_dim)`` kernel is ``W.T.reshape(E, heads, head_dim)`` and the
bias ``b.reshape(heads, head_dim)``; ``out_proj.weight`` ``(E, E)`` becomes
``W.T.reshape(heads, head_dim, E)``. Torch masks are True where attention is *forbidden*.
"""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _softmax(s, mask=None):
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ----- MultiHeadAttention ------------------------------------------------------------------------
def _mha_reference(layer, q, v, mask=None):
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    qh = np.einsum("btd,dnh->bnth", q, wq) + bq[None, :, None]
    kh = np.einsum("bsd,dnh->bnsh", v, wk) + bk[None, :, None]
    vh = np.einsum("bsd,dnh->bnsh", v, wv) + bv[None, :, None]
    p = _softmax(qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(wq.shape[-1]), mask)
    return np.einsum("bnth,nhe->bte", p @ vh, wo) + bo, p


def test_mha_weights_follow_the_keras_layout():
    mha = L.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=7)
    mha(_x(2, 6, 8), _x(2, 9, 10))
    shapes = [(8, 3, 4), (3, 4), (10, 3, 4), (3, 4), (10, 3, 5), (3, 5), (3, 5, 7), (7,)]
    assert [w.shape for w in mha.weights] == shapes
    assert [w.name for w in mha.weights] == ["kernel", "bias"] * 4
    assert [mha.query_dense.name, mha.key_dense.name, mha.value_dense.name,
            mha.output_dense.name] == ["query", "key", "value", "attention_output"]
    assert len(L.MultiHeadAttention(2, 4, use_bias=False)(_x(1, 3, 4), _x(1, 3, 4)).shape) == 3


def test_mha_matches_a_numpy_reference_with_masks():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = _x(2, 4, 6), _x(2, 5, 6)
    mask = RNG.random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True
    out, scores = mha(q, v, attention_mask=mask, return_attention_scores=True)
    ref, p = _mha_reference(mha, q, v, mask[:, None])
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), p, atol=1e-6)
    causal = mha(q, q, use_causal_mask=True, return_attention_scores=True)[1].numpy()
    assert np.all(np.triu(causal, k=1) == 0)


def test_mha_harness_config_round_trip_and_training_step():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, kernel_regularizer="l2",
                               name="mha")
    q, v = _x(3, 5, 8), _x(3, 5, 8)
    y = mha(q, v)
    clone = L.MultiHeadAttention.from_config(mha.get_config())
    assert clone.get_config() == {**mha.get_config(), "name": clone.name}
    clone(q, v)
    clone.set_weights(mha.get_weights())
    np.testing.assert_allclose(clone(q, v).numpy(), y.numpy(), rtol=1e-6)
    assert len(mha.losses) == 4  # one L2 penalty per kernel
    target = _x(3, 5, 8)
    before = ((mha(q, v) - target) ** 2).mean()
    before.backward()
    assert all(w.grad is not None for w in mha.trainable_weights)
    nd.optimizers.SGD(0.05).apply([w.grad for w in mha.trainable_weights],
                                  mha.trainable_weights)
    assert float(((mha(q, v) - target) ** 2).mean().data) < float(before.data)
    assert not np.allclose(mha(q, v, training=True).numpy(), y.numpy())  # dropout is on


def test_mha_gradcheck_float64():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, output_shape=3,
                               dtype="float64")
    q, v, k = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 2, 4)), \
        RNG.standard_normal((2, 2, 5))
    mask = np.array([[[1, 0], [1, 1], [0, 1]], [[1, 1], [0, 1], [1, 0]]], dtype=bool)
    assert gradcheck_layer(mha, [q, v, k], mode="random",
                           call=lambda la, xs: la(xs[0], xs[1], key=xs[2], attention_mask=mask))


def test_mha_uses_padding_masks_of_its_inputs():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4)
    x = nd.Tensor(_x(2, 5, 8))
    x._keras_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    out, scores = mha(x, x, return_attention_scores=True)
    explicit = mha(x.numpy(), x.numpy(),
                   attention_mask=x._keras_mask[:, :, None] & x._keras_mask[:, None, :])
    np.testing.assert_allclose(out.numpy(), explicit.numpy(), atol=1e-6)
    np.testing.assert_array_equal(out._keras_mask, x._keras_mask)
    assert np.all(scores.numpy()[0, :, :, 3:] == 0)  # padded keys get no weight
    assert np.all(scores.numpy()[0, :, 3:] == 0)  # padded queries attend to nothing


def test_explicit_padding_mask_arguments_match_carried_masks():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = _x(2, 4, 6), _x(2, 5, 6)
    qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    vm = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    explicit = mha(q, v, query_mask=qm, value_mask=vm)
    tq, tv = nd.Tensor(q), nd.Tensor(v)
    tq._keras_mask, tv._keras_mask = qm, vm
    np.testing.assert_allclose(explicit.numpy(), mha(tq, tv).numpy(), atol=1e-6)
    np.testing.assert_array_equal(explicit._keras_mask, qm)


def test_embedding_mask_flows_into_attention_in_a_functional_model():
    ids_in = nd.Input(shape=(None,), dtype="int64")
    x = L.Embedding(20, 8, mask_zero=True)(ids_in)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    model = nd.Model(ids_in, L.LayerNormalization()(L.Add()([x, attended])))
    short = np.array([[3, 5, 7, 0], [4, 9, 0, 0]])
    long = np.concatenate([short, np.zeros((2, 3), np.int64)], axis=1)
    a, b = model(short), model(long)
    real = short != 0
    np.testing.assert_allclose(a.numpy()[real], b.numpy()[:, :4][real], atol=1e-5)
    np.testing.assert_array_equal(b._keras_mask, long != 0)


def test_fully_masked_rows_are_zero_not_nan():
    mha = L.MultiHeadAttention(num_heads=1, key_dim=2)
    q = nd.Tensor(_x(1, 2, 2), requires_grad=True)
    with np.errstate(all="raise"):
        out, scores = mha(q, q, attention_mask=np.zeros((1, 2, 2), bool),
                          return_attention_scores=True)
        out.sum().backward()
    assert np.all(scores.numpy() == 0) and np.isfinite(out.numpy()).all()
    assert np.isfinite(q.grad).all()


def test_mha_in_a_functional_model_with_a_mask_input_and_scores():
    tokens = nd.Input(shape=(6, 8))
    allowed = nd.Input(shape=(6, 6), dtype="bool")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4)
    attended, scores = mha(tokens, tokens, attention_mask=allowed, return_attention_scores=True)
    assert attended.shape == (None, 6, 8) and scores.shape == (None, 2, 6, 6)
    h = L.LayerNormalization()(L.Add()([tokens, attended]))
    out = L.Dense(1)(L.GlobalAveragePooling1D()(h))
    model = nd.Model([tokens, allowed], out)
    x, m = _x(32, 6, 8), np.ones((32, 6, 6), bool)
    y = x.mean(axis=(1, 2))[:, None]
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit([x, m], y, epochs=4, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_mha_model_saves_and_loads_with_keras_weight_paths(tmp_path):
    zipfile = pytest.importorskip("zipfile")
    h5py = pytest.importorskip("h5py")
    tokens = nd.Input(shape=(5, 8))
    allowed = nd.Input(shape=(5, 5), dtype="bool")
    out = L.MultiHeadAttention(num_heads=2, key_dim=4)(tokens, tokens, attention_mask=allowed)
    model = nd.Model([tokens, allowed], L.LayerNormalization()(L.Add()([tokens, out])))
    path = str(tmp_path / "mha.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        z.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as f:
        group = f["layers/multi_head_attention"]
        assert group["query_dense/vars/0"].shape == (8, 2, 4)
        assert group["output_dense/vars/0"].shape == (2, 4, 8)
    loaded = nd.models.load_model(path)
    x, m = _x(3, 5, 8), RNG.random((3, 5, 5)) > 0.2
    np.testing.assert_allclose(loaded([x, m]).numpy(), model([x, m]).numpy(), atol=1e-6)


def test_mha_errors():
    with pytest.raises(ValueError, match="argument `num_heads`"):
        L.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="argument `value_dim`"):
        L.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=1.5)
    with pytest.raises(ValueError, match="Invalid `output_shape`"):
        L.MultiHeadAttention(2, 2, output_shape=8.0)
    with pytest.raises(ValueError, match="sliding_window"):
        L.MultiHeadAttention(2, 2, sliding_window=0)
    with pytest.raises(ValueError, match=r"'m'.*attention_axes.*rank 3"):
        L.MultiHeadAttention(2, 2, attention_axes=2, name="m")(_x(2, 3, 4), _x(2, 3, 4))
    with pytest.raises(ValueError, match=r"`query` of shape \(batch, steps, features\)"):
        L.MultiHeadAttention(2, 2)(_x(2, 3), _x(2, 3))
    with pytest.raises(ValueError, match="except the last one, must be equal"):
        L.MultiHeadAttention(2, 2)(_x(1, 3, 4), _x(1, 5, 4), key=_x(1, 4, 4))
    with pytest.raises(TypeError, match="needs `query` and `value`"):
        L.MultiHeadAttention(2, 2)(_x(1, 3, 4))
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        L.MultiHeadAttention(2, 2, dropout=0.1, flash_attention=True)


@pytest.mark.parametrize("causal", [False, True])
def test_mha_matches_torch_multihead_attention(causal):
    torch = pytest.importorskip("torch")
    E, N, B, T, S = 12, 3, 2, 5, 7
    ref = torch.nn.MultiheadAttention(E, N, batch_first=True)
    with torch.no_grad():
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ipw = ref.in_proj_weight.detach().numpy()
    ipb = ref.in_proj_bias.detach().numpy()
    weights = []
    for i in range(3):
        weights += [ipw[i * E:(i + 1) * E].T.reshape(E, N, E // N),
                    ipb[i * E:(i + 1) * E].reshape(N, E // N)]
    weights += [ref.out_proj.weight.detach().numpy().T.reshape(N, E // N, E),
                ref.out_proj.bias.detach().numpy()]
    mha = L.MultiHeadAttention(num_heads=N, key_dim=E // N)
    q = _x(B, T, E)
    v = q if causal else _x(B, S, E)
    mha(q, v)
    mha.set_weights(weights)
    pad = np.zeros((B, v.shape[1]), bool)
    pad[0, -2:] = True  # torch: True = ignore this key
    qt, vt = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    kw = dict(key_padding_mask=torch.tensor(pad), average_attn_weights=False)
    if causal:
        kw["attn_mask"] = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    t_out, t_w = ref(qt, vt, vt, **kw)
    qn, vn = nd.Tensor(q, requires_grad=True), nd.Tensor(v, requires_grad=True)
    out, w = mha(qn, vn, attention_mask=~pad[:, None, :], use_causal_mask=causal,
                 return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(w.numpy(), t_w.detach().numpy(), atol=1e-6, rtol=1e-4)
    cot = _x(*out.shape)
    out.backward(cot)
    t_out.backward(torch.from_numpy(cot))
    for ours, theirs in ((qn, qt), (vn, vt)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-5, rtol=1e-4)
    gq = mha.query_dense.kernel.grad
    np.testing.assert_allclose(gq, ref.in_proj_weight.grad[:E].numpy().T.reshape(E, N, E // N),
                               atol=1e-5, rtol=1e-4)


# ----- Attention / AdditiveAttention -------------------------------------------------------------
def test_attention_dot_and_concat_match_numpy():
    q, v, k = _x(2, 3, 4), _x(2, 5, 4), _x(2, 5, 4)
    layer = L.Attention(use_scale=True)
    out, w = layer([q, v, k], return_attention_scores=True)
    p = _softmax(q @ k.transpose(0, 2, 1))
    np.testing.assert_allclose(w.numpy(), p, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), p @ v, atol=1e-5)
    assert [x.name for x in layer.weights] == ["scale"]
    concat = L.Attention(score_mode="concat")
    p = _softmax(np.tanh(q[:, :, None] + v[:, None]).sum(-1))
    np.testing.assert_allclose(concat([q, v]).numpy(), p @ v, atol=1e-5)
    assert [x.name for x in concat.weights] == ["concat_score_weight"]


def test_additive_attention_matches_numpy():
    q, v = _x(2, 3, 4), _x(2, 5, 4)
    layer = L.AdditiveAttention()
    out = layer([q, v])
    (scale,) = layer.get_weights()
    p = _softmax((scale * np.tanh(q[:, :, None] + v[:, None])).sum(-1))
    np.testing.assert_allclose(out.numpy(), p @ v, atol=1e-5)
    assert "score_mode" not in layer.get_config()


@pytest.mark.parametrize("make", [lambda: L.Attention(use_scale=True, dtype="float64"),
                                  lambda: L.Attention(score_mode="concat", dtype="float64"),
                                  lambda: L.AdditiveAttention(dtype="float64")])
def test_attention_layers_gradcheck_float64(make):
    xs = [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 4)),
          RNG.standard_normal((2, 4, 4))]
    assert gradcheck_layer(make(), xs, mode="random")


@pytest.mark.parametrize("cls", [L.Attention, L.AdditiveAttention])
def test_attention_masks_causal_config_and_errors(cls):
    q, v = nd.Tensor(_x(2, 3, 4)), nd.Tensor(_x(2, 5, 4))
    q._keras_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v._keras_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = cls(name="att")
    out, w = layer([q, v], return_attention_scores=True)
    assert np.all(w.numpy()[0, :, 3:] == 0) and np.all(out.numpy()[0, 2] == 0)
    np.testing.assert_array_equal(out._keras_mask, q._keras_mask)
    explicit = layer([q.numpy(), v.numpy()], mask=[q._keras_mask, v._keras_mask])
    np.testing.assert_allclose(explicit.numpy(), out.numpy())
    w = layer([q.numpy(), q.numpy()], use_causal_mask=True, return_attention_scores=True)[1]
    assert np.all(np.triu(w.numpy(), k=1) == 0)
    cfg = layer.get_config()
    clone = cls.from_config(cfg)
    assert clone.get_config() == {**cfg, "name": clone.name}
    sym = layer([nd.Input((3, 4)), nd.Input((5, 4))], return_attention_scores=True)
    assert [s.shape for s in sym] == [(None, 3, 4), (None, 3, 5)]
    with pytest.raises(ValueError, match=r"'att'.*\[query, value\]"):
        layer(q)
    with pytest.raises(ValueError, match="mask must be a list"):
        layer([q, v], mask=q._keras_mask)


def test_attention_rejects_bad_score_mode():
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="general")


# ----- position layers ---------------------------------------------------------------------------
def test_position_embedding_harness_and_limits():
    layer = check_layer(lambda: L.PositionEmbedding(sequence_length=8), (2, 5, 4), (2, 5, 4), 1)
    np.testing.assert_array_equal(layer(_x(3, 5, 4)).numpy()[1], layer.get_weights()[0][:5])
    np.testing.assert_array_equal(layer(_x(1, 2, 4), start_index=3).numpy()[0],
                                  layer.get_weights()[0][3:5])
    with pytest.raises(ValueError, match="holds 8 positions.*9 steps"):
        layer(_x(1, 9, 4))
    with pytest.raises(ValueError, match="sequence_length"):
        L.PositionEmbedding(0)


def test_sine_position_encoding_values():
    enc = L.SinePositionEncoding(max_wavelength=100)(_x(2, 4, 6)).numpy()
    pos, i = np.arange(4)[:, None], np.arange(6)[None]
    angle = pos / 100 ** (2 * (i // 2) / 6)
    np.testing.assert_allclose(enc[1], np.where(i % 2 == 0, np.sin(angle), np.cos(angle)),
                               atol=1e-6)
    assert L.SinePositionEncoding.from_config(
        L.SinePositionEncoding(7).get_config()).max_wavelength == 7


def test_attention_returns_its_weights_after_dropout():
    """Keras's ``Attention`` returns the weights that multiplied ``value``: after dropout (an
    earlier numdeep returned them before dropout)."""
    q, v = _x(2, 3, 4), _x(2, 5, 4)
    layer = L.Attention(dropout=0.5, seed=0)
    out, w = layer([q, v], training=True, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), w.numpy() @ v, atol=1e-5)
    p = _softmax(q @ v.transpose(0, 2, 1))
    kept = w.numpy() != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(w.numpy()[kept], 2.0 * p[kept], rtol=1e-5)
    np.testing.assert_allclose(layer([q, v], return_attention_scores=True)[1].numpy(), p,
                               atol=1e-6)
    assert len(nd.random.seed_generators_of(layer)) == 1
    assert nd.random.seed_generators_of(L.Attention()) == []
