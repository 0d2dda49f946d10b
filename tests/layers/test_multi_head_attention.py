"""MultiHeadAttention over several attention axes, with a gate, a sliding window, Keras's
``_compute_attention`` override point and output shapes; GroupedQueryAttention against
MultiHeadAttention, a NumPy reference and ``torch``'s grouped-query SDPA; float64 gradchecks."""

import numpy as np
import pytest

import numdeep as nd
from tests.layers.layer_gradcheck import gradcheck_layer

L = nd.layers
RNG = np.random.default_rng(1)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _softmax(s, mask=None):
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _project(x, w, b):
    return np.einsum("...d,dnh->...nh", x, w) + b


def test_two_attention_axes_match_a_numpy_reference():
    # (batch, rows, cols, dim): every pixel attends to every pixel.
    q, v = _x(2, 3, 4, 6), _x(2, 2, 5, 6)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    out, scores = mha(q, v, return_attention_scores=True)
    wq, bq, wk, bk, wv, bv, wo, bo = mha.get_weights()
    qh, kh, vh = _project(q, wq, bq), _project(v, wk, bk), _project(v, wv, bv)
    logits = np.einsum("bijnh,bklnh->bnijkl", qh, kh) / np.sqrt(3)
    p = _softmax(logits.reshape(2, 2, 12, 10)).reshape(2, 2, 3, 4, 2, 5)
    ctx = np.einsum("bnijkl,bklnh->bijnh", p, vh)
    np.testing.assert_allclose(scores.numpy(), p, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), np.einsum("bijnh,nhe->bije", ctx, wo) + bo,
                               atol=1e-5)
    sym = mha(nd.Input((3, 4, 6)), nd.Input((2, 5, 6)), return_attention_scores=True)
    assert [s.shape for s in sym] == [(None, 3, 4, 6), (None, 2, 3, 4, 2, 5)]


def test_one_axis_of_several_attends_per_row():
    x = _x(2, 3, 5, 4)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=2)
    out, scores = mha(x, x, return_attention_scores=True)
    assert scores.shape == (2, 3, 2, 5, 5)
    # Rows do not see each other: each equals attention over that row alone.
    row = L.MultiHeadAttention(num_heads=2, key_dim=2)
    row(x[:, 1], x[:, 1])
    row.set_weights(mha.get_weights())
    np.testing.assert_allclose(out.numpy()[:, 1], row(x[:, 1], x[:, 1]).numpy(), atol=1e-6)
    negative = L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=-2)
    negative(x, x)
    negative.set_weights(mha.get_weights())
    np.testing.assert_allclose(negative(x, x).numpy(), out.numpy(), atol=1e-6)


def test_gate_and_output_shape():
    q, v = _x(2, 4, 6), _x(2, 3, 6)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, use_gate=True,
                               output_shape=(2, 5), name="mha")
    out = mha(q, v).numpy()
    names = [w.path for w in mha.weights]
    assert names[4:6] == ["mha/gate/kernel", "mha/gate/bias"]
    wq, bq, wk, bk, wg, bg, wv, bv, wo, bo = mha.get_weights()
    assert wg.shape == (6, 2, 2) and wo.shape == (2, 2, 2, 5) and bo.shape == (2, 5)
    p = _softmax(np.einsum("btnh,bsnh->bnts", _project(q, wq, bq), _project(v, wk, bk))
                 / np.sqrt(3))
    ctx = np.einsum("bnts,bsnh->btnh", p, _project(v, wv, bv))
    gate = 1 / (1 + np.exp(-_project(q, wg, bg)))
    np.testing.assert_allclose(out, np.einsum("btnh,nhxy->btxy", ctx * gate, wo) + bo,
                               atol=1e-5)
    assert mha.compute_output_shape((2, 4, 6), (2, 3, 6)) == (2, 4, 2, 5)


def test_sliding_window_and_causal_masks():
    x = _x(1, 6, 8)
    mha = L.MultiHeadAttention(num_heads=1, key_dim=4, sliding_window=2)
    scores = mha(x, x, return_attention_scores=True)[1].numpy()[0, 0]
    i, j = np.indices((6, 6))
    np.testing.assert_array_equal(scores > 0, np.abs(i - j) < 2)
    scores = mha(x, x, use_causal_mask=True, return_attention_scores=True)[1].numpy()[0, 0]
    np.testing.assert_array_equal(scores > 0, (j <= i) & (i - j < 2))
    assert L.MultiHeadAttention.from_config(mha.get_config())._sliding_window == 2


def test_compute_attention_is_an_override_point():
    seen = []

    class Logged(L.MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False):
            seen.append(attention_mask)
            return super()._compute_attention(query, key, value, attention_mask, training,
                                              return_attention_scores)

    x = _x(2, 4, 6)
    layer = Logged(num_heads=2, key_dim=3)
    layer(x, x, use_causal_mask=True)
    np.testing.assert_array_equal(seen[0], np.tril(np.ones((1, 4, 4), bool)))
    base = L.MultiHeadAttention(num_heads=2, key_dim=3)
    base.build((2, 4, 6), (2, 4, 6))
    q, k, v = _x(2, 4, 2, 3), _x(2, 4, 2, 3), _x(2, 4, 2, 3)
    extra = np.ones((2, 4, 4), bool)
    extra[:, 2, 0] = False
    both, _ = base._compute_attention(q, k, v, attention_mask=extra, use_causal_mask=True)
    merged, _ = base._compute_attention(q, k, v, attention_mask=extra & np.tril(
        np.ones((4, 4), bool)))
    np.testing.assert_allclose(both.numpy(), merged.numpy(), atol=1e-7)


def test_mha_two_axes_gradcheck_float64():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2), use_gate=True,
                               dtype="float64")
    q, v = RNG.standard_normal((1, 2, 2, 3)), RNG.standard_normal((1, 2, 3, 3))
    mask = RNG.random((1, 2, 2, 2, 3)) > 0.3
    assert gradcheck_layer(mha, [q, v], mode="random",
                           call=lambda la, xs: la(xs[0], xs[1], attention_mask=mask))


# ----- GroupedQueryAttention -----------------------------------------------------------------
def test_gqa_with_as_many_kv_heads_is_mha():
    q, v = _x(2, 5, 8), _x(2, 4, 8)
    gqa = L.GroupedQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=2)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    mask = RNG.random((2, 5, 4)) > 0.3
    a, sa = gqa(q, v, attention_mask=mask, return_attention_scores=True)
    mha(q, v)
    mha.set_weights(gqa.get_weights())
    b, sb = mha(q, v, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    np.testing.assert_allclose(sa.numpy(), sb.numpy(), atol=1e-7)


def test_gqa_shares_each_kv_head_among_consecutive_query_heads():
    q = _x(2, 5, 8)
    gqa = L.GroupedQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    out, scores = gqa(q, q, return_attention_scores=True)
    wq, bq, wk, bk, wv, bv, wo, bo = gqa.get_weights()
    assert wk.shape == (8, 2, 2) and wo.shape == (4, 2, 8)
    qh = _project(q, wq, bq)
    kh, vh = np.repeat(_project(q, wk, bk), 2, axis=2), np.repeat(_project(q, wv, bv), 2, axis=2)
    p = _softmax(np.einsum("btnh,bsnh->bnts", qh, kh) / np.sqrt(2))
    np.testing.assert_allclose(scores.numpy(), p, atol=1e-6)
    ctx = np.einsum("bnts,bsnh->btnh", p, vh)
    np.testing.assert_allclose(out.numpy(), np.einsum("btnh,nhe->bte", ctx, wo) + bo, atol=1e-5)
    with pytest.raises(ValueError, match="divisible"):
        L.GroupedQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)
    with pytest.raises(ValueError, match="must be equal"):
        gqa.compute_output_shape((2, 5, 8), (2, 5, 7))


def test_gqa_matches_torch_grouped_sdpa():
    torch = pytest.importorskip("torch")
    q, v = _x(2, 5, 6), _x(2, 7, 6)
    gqa = L.GroupedQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    out = gqa(nd.Tensor(q, requires_grad=True), v)
    wq, bq, wk, bk, wv, bv, wo, bo = gqa.get_weights()

    def heads(x, w, b):  # (B, T, N, H) -> (B, N, T, H)
        return torch.tensor(_project(x, w, b)).permute(0, 2, 1, 3)

    tq = torch.tensor(q, requires_grad=True)
    tqh = torch.einsum("btd,dnh->bnth", tq, torch.tensor(wq)) + torch.tensor(bq)[:, None]
    ctx = torch.nn.functional.scaled_dot_product_attention(
        tqh, heads(v, wk, bk), heads(v, wv, bv), enable_gqa=True)
    t_out = torch.einsum("bnth,nhe->bte", ctx, torch.tensor(wo)) + torch.tensor(bo)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=1e-5, rtol=1e-4)
    qn = nd.Tensor(q, requires_grad=True)
    cot = _x(2, 5, 6)
    gqa(qn, v).backward(cot)
    t_out.backward(torch.tensor(cot))
    np.testing.assert_allclose(qn.grad, tq.grad.numpy(), atol=1e-5, rtol=1e-4)


def test_gqa_gradcheck_config_and_symbolic_shapes():
    gqa = L.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1,
                                  use_gate=True, dtype="float64")
    q, v = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 2, 4))
    mask = np.array([[[1, 0], [1, 1], [0, 1]], [[1, 1], [0, 1], [1, 0]]], dtype=bool)
    assert gradcheck_layer(gqa, [q, v], mode="random",
                           call=lambda la, xs: la(xs[0], xs[1], attention_mask=mask))
    config = gqa.get_config()
    assert L.GroupedQueryAttention.from_config(config).get_config() == {
        **config, "name": L.GroupedQueryAttention.from_config(config).name}
    layer = L.GroupedQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=2)
    out, scores = layer(nd.Input((10, 32)), nd.Input((15, 32)), return_attention_scores=True)
    assert out.shape == (None, 10, 32) and scores.shape == (None, 4, 10, 15)
    assert L.GroupQueryAttention is L.GroupedQueryAttention


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_files_of_gated_and_grouped_attention_load(tmp_path):
    os = pytest.importorskip("os")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    inputs = keras.Input((5, 8))
    outputs = [keras.layers.MultiHeadAttention(2, 4, use_gate=True, attention_axes=1)(
                   inputs, inputs),
               keras.layers.GroupQueryAttention(head_dim=2, num_query_heads=4,
                                                num_key_value_heads=2)(inputs, inputs)]
    theirs = keras.Model(inputs, outputs)
    path = str(tmp_path / "attention.keras")
    theirs.save(path)
    ours = nd.models.load_model(path)
    x = _x(2, 5, 8)
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # numdeep writes MultiHeadAttention as Keras does (its weights under query_dense, ...).
    ours_mha = nd.Model(ours.inputs, ours.outputs[0])
    ours_mha.save(str(tmp_path / "mha.keras"))
    back = keras.models.load_model(str(tmp_path / "mha.keras"))
    np.testing.assert_allclose(back.predict(x, verbose=0), ours_mha.predict(x, verbose=0),
                               atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_fused_self_attention_projections_equal_the_separate_ones(dtype, use_bias):
    """Inference on ``mha(x, x)`` projects query, key and value with one GEMM; the numbers are
    those of the three projections (the graph path), a padding mask included."""
    mha = L.MultiHeadAttention(3, 5, value_dim=4, use_bias=use_bias, dtype=dtype)
    x = nd.Tensor(RNG.standard_normal((2, 7, 6)).astype(dtype))
    mask = np.ones((2, 1, 7), bool)
    mask[1, :, 4:] = False
    mha(x, x)
    for w in mha.weights:
        w.assign(RNG.standard_normal(w.shape).astype(dtype))
    with nd.no_grad():
        fused = mha(x, x, attention_mask=mask).numpy()
        q, k, v = (mha.query_dense(x), mha.key_dense(x), mha.value_dense(x))
    separate = mha(x, x, attention_mask=mask).numpy()  # grad enabled: the separate projections
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(fused, separate, rtol=tol, atol=tol)
    from numdeep.layers.attention.projections import fused_projections

    with nd.no_grad():
        parts = fused_projections(x, (mha.query_dense, mha.key_dense, mha.value_dense))
    for got, want in zip(parts, (q, k, v)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)
    mha.query_dense.enable_lora(2)
    with nd.no_grad():
        assert fused_projections(x, (mha.query_dense, mha.key_dense, mha.value_dense)) is None
