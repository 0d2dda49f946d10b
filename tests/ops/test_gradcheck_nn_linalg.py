"""Float64 gradient checks (and float32 PyTorch parity) of the ``keras.ops`` math, linalg, nn and
core functions beyond the core table: special functions, Fourier transforms, decompositions,
activations, Keras's losses, normalization, attention, layout changes, scatter/slice and
control flow.

Linear-algebra rows symmetrize (or build positive-definite) inputs first where the function only
reads part of its input (``cholesky``, ``eigh``), so central differences see the same function.
"""

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor, gradcheck
from tests.autograd.test_ops_gradcheck import Case, away, distinct, normal, simplex, uniform

LABELS = np.array([[1, 2, 2], [3, 1, 0]])
CTC_TARGET_LENGTH, CTC_OUTPUT_LENGTH = np.array([3, 2]), np.array([6, 5])
SEGMENTS = np.array([0, 0, 2, 1, 2])
MASK = np.array([[[[True, False, True, True]]]])


def _F(T):
    return T.nn.functional


def _spd(a):
    """A symmetric positive-definite matrix from any square ``a``."""
    return ops.matmul(a, ops.transpose(a)) + ops.eye(a.shape[-1], dtype=a.dtype) * 3.0


def _torch_spd(T, a):
    return a @ a.T + 3.0 * T.eye(a.shape[-1], dtype=a.dtype)


def _sym(a):
    return (a + ops.transpose(a)) * 0.5


def _attention(T, q, k, v):
    logits = T.einsum("btnh,bsnh->bnts", q, k) / q.shape[-1] ** 0.5
    return T.einsum("bnts,bsnh->btnh", T.softmax(logits, -1), v)


CASES = [
    # --- math ---
    Case("erfc", ops.erfc, (normal(3, 4),), lambda T, x: T.erfc(x)),
    Case("erfinv", ops.erfinv, (uniform(-0.9, 0.9, 3, 4),), lambda T, x: T.erfinv(x),
         tol=(1e-4, 1e-4)),
    Case("rsqrt", ops.rsqrt, (uniform(0.3, 3, 3, 4),), lambda T, x: T.rsqrt(x)),
    Case("top_k", lambda x: ops.top_k(x, 2)[0], (distinct(3, 4),),
         lambda T, x: T.topk(x, 2).values),
    Case("segment_sum", lambda x: ops.segment_sum(x, SEGMENTS, num_segments=3), (normal(5, 2),),
         None),
    Case("segment_max", lambda x: ops.segment_max(x, SEGMENTS), (distinct(5, 2),), None),
    Case("segment_min", lambda x: ops.segment_min(x, SEGMENTS), (distinct(5, 2),), None),
    Case("cdist", ops.cdist, (normal(3, 2), normal(4, 2)), lambda T, a, b: T.cdist(a, b)),
    Case("extract_sequences", lambda x: ops.extract_sequences(x, 3, 2), (normal(2, 7),),
         lambda T, x: x.unfold(-1, 3, 2)),
    Case("logdet", lambda a: ops.logdet(_spd(a)), (normal(3, 3),),
         lambda T, a: T.logdet(_torch_spd(T, a))),
    Case("fft", lambda r, i: ops.stack(ops.fft((r, i))), (normal(2, 5), normal(2, 5)),
         lambda T, r, i: T.view_as_real(T.fft.fft(T.complex(r, i))).permute(2, 0, 1)),
    Case("fft2", lambda r, i: ops.stack(ops.fft2((r, i))), (normal(3, 4), normal(3, 4)),
         lambda T, r, i: T.view_as_real(T.fft.fft2(T.complex(r, i))).permute(2, 0, 1)),
    Case("ifft2", lambda r, i: ops.stack(ops.ifft2((r, i))), (normal(3, 4), normal(3, 4)),
         lambda T, r, i: T.view_as_real(T.fft.ifft2(T.complex(r, i))).permute(2, 0, 1)),
    Case("rfft", lambda x: ops.stack(ops.rfft(x, 6)), (normal(2, 5),),
         lambda T, x: T.view_as_real(T.fft.rfft(x, 6)).permute(2, 0, 1)),
    Case("irfft", lambda r, i: ops.irfft((r, i), 6), (normal(2, 4), normal(2, 4)),
         lambda T, r, i: T.fft.irfft(T.complex(r, i), 6)),
    Case("stft", lambda x: ops.stack(ops.stft(x, 4, 2, 4)), (normal(2, 10),), None),
    Case("istft", lambda r, i: ops.istft((r, i), 4, 2, 4), (normal(4, 3), normal(4, 3)), None,
         mode="random"),
    # --- linalg ---
    Case("cholesky", lambda a: ops.cholesky(_spd(a)), (normal(3, 3),),
         lambda T, a: T.linalg.cholesky(_torch_spd(T, a))),
    Case("cholesky:upper", lambda a: ops.cholesky(_spd(a), upper=True), (normal(3, 3),),
         lambda T, a: T.linalg.cholesky(_torch_spd(T, a), upper=True)),
    Case("cholesky_inverse", lambda a: ops.cholesky_inverse(ops.cholesky(_spd(a))),
         (normal(3, 3),), lambda T, a: T.cholesky_inverse(T.linalg.cholesky(_torch_spd(T, a)))),
    Case("det", ops.det, (normal(3, 3),), lambda T, a: T.linalg.det(a)),
    Case("slogdet", lambda a: ops.slogdet(a)[1], (normal(2, 3, 3),),
         lambda T, a: T.linalg.slogdet(a)[1]),
    Case("eigh", lambda a: ops.concatenate([ops.expand_dims(ops.eigh(_sym(a))[0], 0),
                                            ops.abs(ops.eigh(_sym(a))[1])]),
         (normal(3, 3),), None),
    Case("inv", lambda a: ops.inv(_spd(a)), (normal(3, 3),),
         lambda T, a: T.linalg.inv(_torch_spd(T, a))),
    Case("solve", ops.solve, (normal(3, 3), normal(3, 2)), lambda T, a, b: T.linalg.solve(a, b)),
    Case("solve:vector", ops.solve, (normal(2, 3, 3), normal(2, 3)),
         lambda T, a, b: T.linalg.solve(a, b)),
    Case("solve_triangular", lambda a, b: ops.solve_triangular(a, b, lower=True),
         (uniform(1, 2, 3, 3), normal(3, 2)),
         lambda T, a, b: T.linalg.solve_triangular(T.tril(a), b, upper=False)),
    Case("norm", ops.norm, (normal(3, 4),), lambda T, x: T.linalg.norm(x)),
    Case("norm:vector-3", lambda x: ops.norm(x, ord=3, axis=-1), (away(3, 4),),
         lambda T, x: T.linalg.vector_norm(x, 3, -1)),
    Case("norm:matrix-1", lambda x: ops.norm(x, ord=1), (uniform(0.2, 1, 3, 4),),
         lambda T, x: T.linalg.matrix_norm(x, 1)),
    # --- activations ---
    Case("celu", ops.celu, (away(3, 4),), lambda T, x: _F(T).celu(x)),
    Case("glu", ops.glu, (normal(3, 4),), lambda T, x: _F(T).glu(x)),
    Case("hard_silu", ops.hard_silu, (away(3, 4, kinks=(-3.0, 3.0), lo=-5, hi=5),),
         lambda T, x: _F(T).hardswish(x)),
    Case("hard_tanh", ops.hard_tanh, (away(3, 4, kinks=(-1.0, 1.0)),),
         lambda T, x: _F(T).hardtanh(x)),
    Case("hard_shrink", ops.hard_shrink, (away(3, 4, kinks=(-0.5, 0.5)),),
         lambda T, x: _F(T).hardshrink(x)),
    Case("soft_shrink", ops.soft_shrink, (away(3, 4, kinks=(-0.5, 0.5)),),
         lambda T, x: _F(T).softshrink(x)),
    Case("tanh_shrink", ops.tanh_shrink, (normal(3, 4),), lambda T, x: _F(T).tanhshrink(x)),
    Case("threshold", lambda x: ops.threshold(x, 0.3, -1.0), (away(3, 4, kinks=(0.3,)),),
         lambda T, x: _F(T).threshold(x, 0.3, -1.0)),
    Case("sparse_plus", ops.sparse_plus, (away(3, 4, kinks=(-1.0, 1.0)),), None),
    Case("sparse_sigmoid", ops.sparse_sigmoid, (away(3, 4, kinks=(-1.0, 1.0)),), None),
    Case("squareplus", ops.squareplus, (normal(3, 4),), None),
    Case("sparsemax", ops.sparsemax, (distinct(2, 4),), None),
    # --- Keras's losses ---
    Case("binary_crossentropy", lambda t, p: ops.binary_crossentropy(t, p),
         (uniform(0, 1, 3, 4), uniform(0.1, 0.9, 3, 4)),
         lambda T, t, p: _F(T).binary_cross_entropy(p, t, reduction="none")),
    Case("binary_crossentropy:logits", lambda t, x: ops.binary_crossentropy(t, x, True),
         (uniform(0, 1, 3, 4), normal(3, 4)),
         lambda T, t, x: _F(T).binary_cross_entropy_with_logits(x, t, reduction="none")),
    Case("categorical_crossentropy", ops.categorical_crossentropy,
         (simplex(3, 4), simplex(3, 4)),
         lambda T, t, p: -(t * T.log(p / p.sum(-1, keepdim=True))).sum(-1)),
    Case("categorical_crossentropy:logits",
         lambda t, x: ops.categorical_crossentropy(t, x, from_logits=True),
         (simplex(3, 4), normal(3, 4)),
         lambda T, t, x: _F(T).cross_entropy(x, t, reduction="none")),
    Case("sparse_categorical_crossentropy",
         lambda x: ops.sparse_categorical_crossentropy(np.array([0, 3, 1]), x, from_logits=True),
         (normal(3, 4),),
         lambda T, x: _F(T).cross_entropy(x, T.tensor([0, 3, 1]), reduction="none")),
    Case("ctc_loss", lambda x: ops.ctc_loss(LABELS, x, CTC_TARGET_LENGTH, CTC_OUTPUT_LENGTH),
         (normal(2, 6, 5),),
         lambda T, x: _F(T).ctc_loss(T.log_softmax(x, -1).transpose(0, 1), T.as_tensor(LABELS),
                                     T.as_tensor(CTC_OUTPUT_LENGTH),
                                     T.as_tensor(CTC_TARGET_LENGTH), reduction="none"),
         tol=(1e-4, 1e-4)),
    Case("psnr", lambda a, b: ops.psnr(a, b, 1.0), (uniform(0, 1, 3, 4), uniform(0, 1, 3, 4)),
         None),
    # --- normalization and attention ---
    Case("moments", lambda x: ops.stack(ops.moments(x, axes=[0])), (normal(5, 3),),
         lambda T, x: T.stack([x.mean(0), x.var(0, correction=0)])),
    Case("normalize", ops.normalize, (normal(3, 4),), lambda T, x: _F(T).normalize(x, dim=-1)),
    Case("normalize:order-1", lambda x: ops.normalize(x, order=1), (away(3, 4),),
         lambda T, x: _F(T).normalize(x, p=1, dim=-1)),
    Case("rms_normalization", lambda x, s: ops.rms_normalization(x, s, epsilon=1e-6),
         (normal(3, 4), normal(4)), lambda T, x, s: _F(T).rms_norm(x, (4,), s, 1e-6)),
    Case("dot_product_attention", ops.dot_product_attention,
         (normal(2, 3, 2, 4), normal(2, 5, 2, 4), normal(2, 5, 2, 4)), _attention,
         mode="random"),
    Case("dot_product_attention:mask-causal-gqa",
         lambda q, k, v: ops.dot_product_attention(q, k, v, mask=MASK, is_causal=True),
         (normal(1, 4, 2, 3), normal(1, 4, 1, 3), normal(1, 4, 1, 3)), None, mode="random"),
    # --- layout ---
    Case("depth_to_space", lambda x: ops.depth_to_space(x, 2), (normal(1, 2, 2, 8),), None,
         mode="random"),
    Case("space_to_depth", lambda x: ops.space_to_depth(x, 2, "channels_first"),
         (normal(1, 2, 4, 4),), lambda T, x: _F(T).pixel_unshuffle(x, 2)),
    Case("unfold", lambda x: ops.unfold(x, 2, padding=1, stride=2), (normal(2, 2, 4, 5),),
         lambda T, x: _F(T).unfold(x, 2, padding=1, stride=2)),
    Case("fold", lambda x: ops.fold(x, (4, 5), 2, padding=1, stride=1), (normal(1, 8, 30),),
         lambda T, x: _F(T).fold(x, (4, 5), 2, padding=1, stride=1), mode="random"),
    # --- core ---
    Case("slice", lambda x: ops.slice(x, (1, 0), (2, -1)), (normal(3, 4),),
         lambda T, x: x[1:3, 0:]),
    Case("slice_update", lambda x, u: ops.slice_update(x, (1, 2), u), (normal(3, 4), normal(2, 2)),
         None),
    Case("scatter", lambda v: ops.scatter([[0, 1], [2, 0], [0, 1]], v, (3, 2)), (normal(3),),
         None),
    Case("scatter_update", lambda x, u: ops.scatter_update(x, [[0], [2]], u),
         (normal(3, 2), normal(2, 2)), None),
    Case("unstack", lambda x: ops.unstack(x, axis=1)[2], (normal(2, 3),), lambda T, x: x[:, 2]),
    Case("cond", lambda x: ops.cond(True, lambda: x * 2.0, lambda: x), (normal(3),), None),
    Case("switch", lambda x: ops.switch(1, [ops.sin, ops.cos], x), (normal(3),), None),
    Case("while_loop", lambda x: ops.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * y),
                                                (0, x))[1], (uniform(0.5, 1.5, 3),), None),
    Case("fori_loop", lambda x: ops.fori_loop(0, 3, lambda i, y: y * (i + 1.0), x), (normal(3),),
         None),
    Case("scan", lambda x: ops.scan(lambda c, a: (c * a, c + a), Tensor(1.0).astype(x.dtype),
                                    x)[1], (uniform(0.5, 1.5, 4),), None),
    Case("associative_scan", lambda x: ops.associative_scan(ops.add, x, axis=1),
         (normal(2, 4),), lambda T, x: T.cumsum(x, 1)),
    Case("map", lambda x: ops.map(ops.sum, x), (normal(3, 2),), lambda T, x: x.sum(1)),
    Case("vectorized_map", lambda x: ops.vectorized_map(lambda r: r * r, x), (normal(3, 2),),
         lambda T, x: x * x),
    Case("vectorize", lambda x: ops.vectorize(ops.trace, signature="(d,d)->()")(x),
         (normal(2, 3, 3),), lambda T, x: T.diagonal(x, dim1=-2, dim2=-1).sum(-1)),
    Case("custom_gradient",
         lambda x: ops.custom_gradient(lambda t: (t * 2.0, lambda g: g * 2.0))(x), (normal(3),),
         None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case):
    assert gradcheck(case.fn, case.sample(), mode=case.mode)


TORCH_CASES = [c for c in CASES if c.torch is not None]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.name for c in TORCH_CASES])
def test_forward_and_gradients_match_torch(case):
    from tests.autograd.test_torch_parity import test_forward_and_gradients_match_torch as check

    pytest.importorskip("torch")
    check(case)
