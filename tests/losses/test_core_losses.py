"""The classic losses (regression, cross-entropies, hinge, KL, Poisson, cosine): values (NumPy,
Keras docs, torch), float64 gradients, stability, label validation, lookup and configs."""

import numpy as np
import pytest

from numdeep import losses
from numdeep.autograd import Tensor, gradcheck

from .common import (
    F64,
    IDS,
    P_POS,
    P_PROB,
    P_REG,
    P_SOFT,
    RNG,
    Y_BIN,
    Y_DIST,
    Y_POS,
    Y_REG,
    C,
    N,
    _np_bce,
    _np_cce,
    _np_cos,
    _np_huber,
    _onehot,
    _softmax,
)

# ----- Keras documentation values ----------------------------------------------------------------
A = [[0.0, 1.0], [0.0, 0.0]]
B = [[0.6, 0.4], [0.4, 0.6]]
KERAS_DOC = [
    (losses.MeanSquaredError(), A, [[1.0, 1.0], [1.0, 0.0]], 0.5),
    (losses.MeanAbsoluteError(), A, [[1.0, 1.0], [1.0, 0.0]], 0.5),
    (losses.MeanAbsolutePercentageError(), [[2.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [1.0, 0.0]],
     50.0),
    (losses.MeanSquaredLogarithmicError(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]],
     0.240),
    (losses.Huber(), A, B, 0.155),
    (losses.LogCosh(), A, [[1.0, 1.0], [0.0, 0.0]], 0.108),
    (losses.Hinge(), A, B, 1.3),
    (losses.SquaredHinge(), A, B, 1.86),
    (losses.CategoricalHinge(), [[0, 1], [0, 0]], B, 1.4),
    (losses.KLDivergence(), A, B, 0.458),
    (losses.Poisson(), A, [[1.0, 1.0], [0.0, 0.0]], 0.5),
    (losses.CosineSimilarity(), [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], -0.5),
    (losses.BinaryCrossentropy(from_logits=True), [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8],
     0.865),
    (losses.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177),
    (losses.SparseCategoricalCrossentropy(), [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177),
]


@pytest.mark.parametrize("loss, y_true, y_pred, expected", KERAS_DOC,
                         ids=[type(c[0]).__name__ for c in KERAS_DOC])
def test_keras_documented_values(loss, y_true, y_pred, expected):
    out = loss(np.array(y_true), np.array(y_pred, dtype="float32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), expected, atol=1.5e-3)


def test_reductions_and_sample_weight_match_keras_docs():
    y_true, y_pred = np.array([[0, 1, 0], [0, 0, 1]]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    cce = losses.CategoricalCrossentropy
    np.testing.assert_allclose(cce()(y_true, y_pred, sample_weight=[0.3, 0.7]).item(), 0.814,
                               atol=1e-3)
    np.testing.assert_allclose(cce(reduction="sum")(y_true, y_pred).item(), 2.354, atol=1e-3)
    np.testing.assert_allclose(cce(reduction="none")(y_true, y_pred).data, [0.0513, 2.303],
                               atol=1e-3)
    np.testing.assert_allclose(cce(reduction=None)(y_true, y_pred).data, [0.0513, 2.303],
                               atol=1e-3)
    mse_true, mse_pred = np.array(A), np.array([[1.0, 1.0], [1.0, 0.0]])
    mse = losses.MeanSquaredError
    np.testing.assert_allclose(mse()(mse_true, mse_pred, sample_weight=[0.7, 0.3]).item(), 0.25)
    np.testing.assert_allclose(mse(reduction="sum")(mse_true, mse_pred).item(), 1.0)
    # 'mean_with_sample_weight' divides by the sum of the weights instead of the count.
    np.testing.assert_allclose(
        mse(reduction="mean_with_sample_weight")(mse_true, mse_pred, [0.7, 0.3]).item(), 0.5)
    # (N, 1) weights and Tensor weights are accepted.
    np.testing.assert_allclose(mse()(mse_true, mse_pred, Tensor(np.array([[0.7], [0.3]]))).item(),
                               0.25)


def test_sample_weight_on_time_distributed_losses():
    y_true, y_pred = RNG.normal(size=(3, 5, 2)), RNG.normal(size=(3, 5, 2))
    per = ((y_true - y_pred) ** 2).mean(-1)  # (3, 5)
    w = np.array([1.0, 0.0, 2.0])
    got = losses.MeanSquaredError()(y_true, y_pred, sample_weight=w).item()
    np.testing.assert_allclose(got, (per * w[:, None]).sum() / per.size)
    w2 = RNG.uniform(size=(3, 5))
    got = losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=w2).item()
    np.testing.assert_allclose(got, (per * w2).sum())
    with pytest.raises(ValueError, match=r"sample_weight of shape \(4,\)"):
        losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.ones(4))


NUMPY_CASES = [
    ("mse", Y_REG, P_REG, lambda t, p: ((p - t) ** 2).mean(-1)),
    ("mae", Y_REG, P_REG, lambda t, p: np.abs(p - t).mean(-1)),
    ("mape", Y_POS, P_POS, lambda t, p: 100 * (np.abs(t - p) / t).mean(-1)),
    ("msle", Y_POS, P_POS, lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    ("huber", Y_REG, P_REG, _np_huber),
    ("log_cosh", Y_REG, P_REG, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("binary_crossentropy", Y_BIN, P_PROB, _np_bce),
    ("categorical_crossentropy", _onehot(IDS), P_SOFT, _np_cce),
    ("categorical_crossentropy", Y_DIST, P_SOFT, _np_cce),
    ("sparse_categorical_crossentropy", IDS, P_SOFT, lambda t, p: -np.log(p[np.arange(N), t])),
    ("kld", Y_DIST, P_SOFT, lambda t, p: (t * np.log(t / p)).sum(-1)),
    ("poisson", Y_POS, P_POS, lambda t, p: (p - t * np.log(p + 1e-7)).mean(-1)),
    ("hinge", Y_BIN, P_REG, lambda t, p: np.maximum(1 - (2 * t - 1) * p, 0).mean(-1)),
    ("squared_hinge", 2 * Y_BIN - 1, P_REG,
     lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", _onehot(IDS), P_REG,
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("cosine_similarity", Y_REG, P_REG, _np_cos),
]


@pytest.mark.parametrize("name, y_true, y_pred, ref", NUMPY_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(NUMPY_CASES)])
def test_per_sample_values_and_reductions_match_numpy(name, y_true, y_pred, ref):
    expected = ref(y_true, y_pred)
    loss = losses.resolve(name)
    np.testing.assert_allclose(loss.call(y_true, Tensor(y_pred)).data, expected, rtol=1e-6)
    w = RNG.uniform(size=N)
    got = loss(y_true, y_pred, sample_weight=w).item()  # computed in float32, the default
    np.testing.assert_allclose(got, (expected * w).sum() / N, rtol=2e-6)
    config = {**loss.get_config(), "dtype": F64}
    none = type(loss).from_config({**config, "reduction": "none"})
    np.testing.assert_allclose(none(y_true, y_pred, w).data, expected * w, rtol=1e-6)
    total = type(loss).from_config({**config, "reduction": "sum"})
    np.testing.assert_allclose(total(y_true, y_pred).item(), expected.sum(), rtol=1e-6)
    # The function form gives the same per-sample values.
    fn = type(loss).fn
    np.testing.assert_allclose(fn(y_true, y_pred, **loss._fn_kwargs).data, expected, rtol=1e-6)


def test_label_smoothing_formulas():
    t, x = Y_BIN, RNG.normal(size=(N, C))
    smoothed = t * 0.8 + 0.5 * 0.2
    got = losses.BinaryCrossentropy(label_smoothing=0.2, reduction="none")(t, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(got.data, _np_bce(smoothed, 1 / (1 + np.exp(-x))), rtol=1e-6)
    onehot = _onehot(IDS)
    got = losses.CategoricalCrossentropy(label_smoothing=0.2, reduction="none")(onehot, P_SOFT)
    np.testing.assert_allclose(got.data, _np_cce(onehot * 0.8 + 0.2 / C, P_SOFT), rtol=1e-6)


# ----- torch parity (float32, value and gradient) ------------------------------------------------
def _torch_cases(torch, F):
    t = torch.tensor
    f32 = np.float32
    logits = RNG.normal(size=(N, C)).astype(f32) * 3
    return [
        (losses.MeanSquaredError(), Y_REG, P_REG, lambda p, y: F.mse_loss(p, t(y))),
        (losses.MeanAbsoluteError(), Y_REG, P_REG, lambda p, y: F.l1_loss(p, t(y))),
        (losses.Huber(delta=0.7), Y_REG, P_REG, lambda p, y: F.huber_loss(p, t(y), delta=0.7)),
        (losses.LogCosh(), Y_REG, P_REG, lambda p, y: torch.log(torch.cosh(p - t(y))).mean()),
        (losses.BinaryCrossentropy(), Y_BIN, P_PROB,
         lambda p, y: F.binary_cross_entropy(p, t(y))),
        (losses.BinaryCrossentropy(from_logits=True), Y_BIN, logits,
         lambda p, y: F.binary_cross_entropy_with_logits(p, t(y))),
        (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), Y_BIN, logits,
         lambda p, y: F.binary_cross_entropy_with_logits(p, t(y * 0.9 + 0.05))),
        (losses.CategoricalCrossentropy(from_logits=True), Y_DIST, logits,
         lambda p, y: F.cross_entropy(p, t(y))),
        (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), _onehot(IDS),
         logits, lambda p, y: F.cross_entropy(p, t(IDS), label_smoothing=0.1)),
        (losses.CategoricalCrossentropy(), _onehot(IDS), P_SOFT,
         lambda p, y: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), t(IDS))),
        (losses.SparseCategoricalCrossentropy(from_logits=True), IDS, logits,
         lambda p, y: F.cross_entropy(p, t(y))),
        # Probabilities are renormalized (as Keras does), which shows in the gradient.
        (losses.SparseCategoricalCrossentropy(), IDS, P_SOFT,
         lambda p, y: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), t(y))),
        (losses.KLDivergence(), Y_DIST, P_SOFT,
         lambda p, y: F.kl_div(torch.log(p), t(y), reduction="batchmean")),
        (losses.Poisson(), Y_POS, P_POS,
         lambda p, y: F.poisson_nll_loss(p, t(y), log_input=False, eps=1e-7)),
        (losses.CosineSimilarity(), Y_REG, P_REG,
         lambda p, y: -F.cosine_similarity(p, t(y), dim=-1).mean()),
        (losses.Hinge(), 2 * Y_BIN - 1, P_REG, lambda p, y: F.relu(1 - t(y) * p).mean()),
    ]


def test_matches_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for loss, y_true, y_pred, torch_fn in _torch_cases(torch, F):
        y_true = np.asarray(y_true)
        y_true = y_true.astype(np.float32) if y_true.dtype.kind == "f" else y_true
        x = Tensor(y_pred.astype(np.float32), requires_grad=True)
        out = loss(y_true, x)
        out.backward()
        px = torch.tensor(y_pred.astype(np.float32), requires_grad=True)
        ref = torch_fn(px, y_true)
        ref.backward()
        np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-5, atol=1e-6, err_msg=loss.name)
        np.testing.assert_allclose(x.grad, px.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=loss.name)


def test_ignore_class_matches_torch_ignore_index():
    torch = pytest.importorskip("torch")
    logits = RNG.normal(size=(N, 3, C)).astype(np.float32)
    labels = RNG.integers(0, C, size=(N, 3))
    labels[0, :2] = labels[3, 1] = -1
    x = Tensor(logits, requires_grad=True)
    out = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(labels, x)
    out.backward()
    px = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(px.permute(0, 2, 1), torch.tensor(labels),
                                            ignore_index=-1)
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, px.grad.numpy(), rtol=1e-4, atol=1e-7)
    per = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, ignore_class=-1)
    assert per.shape == (N, 3) and per.data[0, 0] == 0.0 and per.data[3, 1] == 0.0


# ----- float64 gradient checks -------------------------------------------------------------------
GRAD_CASES = [
    (losses.MeanSquaredError(dtype=F64), Y_REG, P_REG),
    (losses.MeanAbsoluteError(dtype=F64), Y_REG, P_REG),
    (losses.MeanAbsolutePercentageError(dtype=F64), Y_POS, P_POS),
    (losses.MeanSquaredLogarithmicError(dtype=F64), Y_POS, P_POS),
    (losses.Huber(delta=0.7, dtype=F64), Y_REG, P_REG),
    (losses.LogCosh(dtype=F64), Y_REG, P_REG),
    (losses.BinaryCrossentropy(dtype=F64), Y_BIN, P_PROB),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, dtype=F64), Y_BIN, P_REG),
    (losses.CategoricalCrossentropy(dtype=F64), Y_DIST, P_PROB),
    (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, dtype=F64), Y_DIST,
     P_REG),
    (losses.CategoricalCrossentropy(from_logits=True, axis=0, dtype=F64), Y_DIST, P_REG),
    (losses.SparseCategoricalCrossentropy(dtype=F64), IDS, P_PROB),
    (losses.SparseCategoricalCrossentropy(from_logits=True, dtype=F64), IDS, P_REG),
    (losses.KLDivergence(dtype=F64), Y_DIST, P_SOFT),
    (losses.Poisson(dtype=F64), Y_POS, P_POS),
    (losses.Hinge(dtype=F64), Y_BIN, P_REG),
    (losses.SquaredHinge(dtype=F64), Y_BIN, P_REG),
    (losses.CategoricalHinge(dtype=F64), _onehot(IDS), P_REG),
    (losses.CosineSimilarity(dtype=F64), Y_REG, P_REG),
]


@pytest.mark.parametrize("loss, y_true, y_pred", GRAD_CASES,
                         ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(GRAD_CASES)])
def test_gradcheck_float64(loss, y_true, y_pred):
    w = RNG.uniform(0.5, 1.5, size=loss.call(y_true, Tensor(y_pred)).shape)
    assert gradcheck(lambda p: loss(y_true, p, sample_weight=w), [y_pred])


# ----- stability ---------------------------------------------------------------------------------
EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, 1e4]], dtype=np.float32)
EXACT = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
STABILITY_CASES = [
    (losses.BinaryCrossentropy(from_logits=True), np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0]]),
     EXTREME),
    (losses.CategoricalCrossentropy(from_logits=True), np.eye(3)[[1, 0, 2]], EXTREME),
    (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([1, 0, 2]), EXTREME),
    (losses.BinaryCrossentropy(), np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0]]), EXACT),
    (losses.CategoricalCrossentropy(), np.eye(3)[[1, 0, 2]], EXACT),
    (losses.SparseCategoricalCrossentropy(), np.array([1, 0, 2]), EXACT),
    (losses.KLDivergence(), np.eye(3)[[1, 0, 2]], EXACT),
    (losses.Poisson(), np.eye(3)[[1, 0, 2]], EXACT),
]


@pytest.mark.parametrize("loss, y_true, y_pred", STABILITY_CASES,
                         ids=[f"{c[0].name}-{i}" for i, c in enumerate(STABILITY_CASES)])
def test_extreme_logits_and_exact_probabilities_stay_finite(loss, y_true, y_pred):
    x = Tensor(y_pred, requires_grad=True)
    with np.errstate(all="raise"):
        out = loss(y_true, x)
        out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(x.grad))
    # Wrong confident predictions are penalized at about -log(1e-7) per entry, not infinity.
    assert out.item() <= 1e4 * 2


def test_from_logits_and_probability_paths_agree():
    x = RNG.normal(size=(N, C)) * 2
    probs, sig = _softmax(x), 1 / (1 + np.exp(-x))
    pairs = [
        (losses.BinaryCrossentropy, Y_BIN, sig),
        (losses.CategoricalCrossentropy, Y_DIST, probs),
        (losses.SparseCategoricalCrossentropy, IDS, probs),
    ]
    for cls, y, p in pairs:
        a = cls(from_logits=True, dtype=F64)(y, Tensor(x.copy(), requires_grad=True))
        b = cls(dtype=F64)(y, p)
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6, err_msg=cls.__name__)


def test_probability_epsilon_is_applied_once():
    # -log(1e-7) exactly: one clip, no extra "+ eps" inside the log.
    got = losses.BinaryCrossentropy(dtype=F64)(np.array([1.0]), np.array([0.0])).item()
    np.testing.assert_allclose(got, -np.log(1e-7), rtol=1e-9)
    got = losses.SparseCategoricalCrossentropy(dtype=F64)(np.array([1]),
                                                         np.array([[1.0, 0.0]])).item()
    np.testing.assert_allclose(got, -np.log(1e-7), rtol=1e-9)


NAN_CASES = [
    ("mse", Y_REG), ("mae", Y_REG), ("mape", Y_POS), ("msle", Y_POS), ("huber", Y_REG),
    ("log_cosh", Y_REG), ("binary_crossentropy", Y_BIN), ("categorical_crossentropy", Y_DIST),
    ("sparse_categorical_crossentropy", IDS), ("kld", Y_DIST), ("poisson", Y_POS),
    ("hinge", Y_BIN), ("squared_hinge", Y_BIN), ("categorical_hinge", _onehot(IDS)),
    ("cosine_similarity", Y_REG),
    (losses.BinaryCrossentropy(from_logits=True), Y_BIN),
    (losses.CategoricalCrossentropy(from_logits=True), Y_DIST),
    (losses.SparseCategoricalCrossentropy(from_logits=True), IDS),
]


@pytest.mark.parametrize("name, y_true", NAN_CASES, ids=[str(c[0]) for c in NAN_CASES])
def test_nan_prediction_reaches_the_loss(name, y_true):
    p = P_PROB.copy()
    # A NaN at a position that is not the true class: clipping or gathering must not hide it.
    p[2, (IDS[2] + 1) % C] = np.nan
    with np.errstate(invalid="ignore"):
        assert np.isnan(losses.resolve(name)(y_true, p).item())
