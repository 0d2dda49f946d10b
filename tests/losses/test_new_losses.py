"""The focal, generalized, overlap, Circle and CTC losses: Keras's numbers on Keras's own test
cases, NumPy references, float64 gradient checks, torch parity (CTC) and configs."""

import inspect

import numpy as np
import pytest

from numdeep import losses
from numdeep.autograd import Tensor, gradcheck

RNG = np.random.default_rng(7)
F64 = "float64"


# ----- Keras's values on Keras's test inputs ----------------------------------------------------
Y_BF = np.array([[1, 0], [1, 0]])
P_BF = np.array([[0.9, 0.8], [0.7, 0.2]], dtype="float32")
Y_BF3 = np.array([[1, 1, 0], [0, 1, 0]], dtype="float32")
LOGITS_BF = np.array([[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]])
Y_CF = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
P_CF = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], dtype="float32")
LOGITS_CF = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])
SEG_TRUE = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
SEG_PRED = np.array([[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]])
IMG_TRUE = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
IMG_PRED = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])

KERAS_VALUES = [
    (losses.BinaryFocalCrossentropy(gamma=2.0), Y_BF, P_BF, None, 0.268),
    (losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True), Y_BF3, LOGITS_BF, None, 0.799),
    (losses.BinaryFocalCrossentropy(gamma=2.0), Y_BF, P_BF, 1.23, 0.3296),
    (losses.BinaryFocalCrossentropy(gamma=2.0), Y_BF, P_BF, [[1.2], [3.4]], 0.34415),
    (losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True), Y_BF3, LOGITS_BF,
     [[1.2], [3.4]], 0.95977),
    (losses.CategoricalFocalCrossentropy(), Y_CF, P_CF, None, 0.02059),
    (losses.CategoricalFocalCrossentropy(from_logits=True), Y_CF, LOGITS_CF, None, 0.000345),
    (losses.CategoricalFocalCrossentropy(), Y_CF, P_CF, [[1.2], [3.4], [5.6]], 0.06987),
    (losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1),
     np.array([[1, 0, 0]]), np.array([[4.9, -0.5, 2.05]]), None, 0.06685),
    (losses.Dice(), np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]]), None, -0.55555546),
    (losses.Dice(), SEG_TRUE, SEG_PRED, None, 0.77777773),
    (losses.Tversky(), np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]]), None, -0.55555546),
    (losses.Tversky(alpha=0.2, beta=0.8), np.array([[1, 2], [1, 2]]),
     np.array([[4, 1], [6, 1]]), None, -0.29629636),
    (losses.Tversky(alpha=0.2, beta=0.8), SEG_TRUE, SEG_PRED, None, 0.7916667),
    (losses.CTC(), np.array([[1, 2, 1, 0], [1, 2, 0, 2]]),
     (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100, None, 2.448645),
]


@pytest.mark.parametrize("loss, y_true, y_pred, sample_weight, expected", KERAS_VALUES,
                         ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(KERAS_VALUES)])
def test_keras_values(loss, y_true, y_pred, sample_weight, expected):
    out = loss(y_true, y_pred, sample_weight=sample_weight)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), expected, rtol=1e-5, atol=5e-4)


def test_keras_per_axis_and_unreduced_values():
    per = losses.BinaryFocalCrossentropy(gamma=2.0, reduction=None)(Y_BF, P_BF)
    np.testing.assert_allclose(per.data, [0.515547, 0.020513], rtol=1e-5, atol=1e-6)
    per = losses.CategoricalFocalCrossentropy(from_logits=True, reduction=None)(Y_CF, LOGITS_CF)
    # (1 - p) for p close to 1 cancels in float32, here as in Keras: only ~3 digits agree.
    np.testing.assert_allclose(per.data, [1.5096224e-09, 2.4136547e-11, 1.0360638e-03],
                               rtol=1e-3, atol=1e-12)
    got = losses.Dice(axis=(1, 2, 3), reduction=None)(IMG_TRUE, IMG_PRED)
    np.testing.assert_allclose(got.data, [0.5, 0.75757575], rtol=1e-6)
    got = losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2, 3), reduction=None)(IMG_TRUE, IMG_PRED)
    np.testing.assert_allclose(got.data, [0.5, 0.7222222], rtol=1e-6)


def test_generalized_cross_entropy_keras_cases():
    y_true = np.array([0, 1, 0, 1])
    y_pred = np.array([[0.7, 0.3, 0.0], [0.2, 0.2, 0.6], [0.6, 0.4, 0.0], [0.2, 0.2, 0.6]])
    for q in (0.5, 0.8):
        p = np.array([0.7, 0.2, 0.6, 0.2])
        got = losses.CategoricalGeneralizedCrossEntropy(q=q)(y_true, y_pred).item()
        np.testing.assert_allclose(got, ((1 - p**q) / q).mean(), rtol=1e-6)
    # Segmentation: ids (4, 4) for probabilities (4, 4, 2), one loss per pixel.
    seg_pred = np.eye(2)[SEG_TRUE]
    seg_pred[0, 3] = [0.2, 0.8]
    got = losses.CategoricalGeneralizedCrossEntropy(q=0.5)(SEG_TRUE, seg_pred).item()
    np.testing.assert_allclose(got, (1 - np.sqrt(0.2)) / 0.5 / 16, rtol=1e-6)


CIRCLE_LABELS = np.array([1, 1, 2, 2, 3])
CIRCLE_EMB = np.array([
    [0.70014004, -0.42008403, 0.14002801, 0.56011203],
    [0.17609018, 0.70436073, -0.52827054, 0.44022545],
    [-0.34050261, 0.25537696, -0.68100522, 0.59587957],
    [0.32163376, -0.75047877, 0.53605627, -0.21442251],
    [0.51261459, -0.34174306, 0.17087153, 0.76892189],
])
CIRCLE_REF_LABELS = np.array([1, 1, 2, 2, 3, 4])
CIRCLE_REF = np.array([
    [0.40824829, -0.54433105, 0.27216553, 0.68041382],
    [0.76376261, 0.10910895, -0.54554473, 0.32732684],
    [-0.74420841, 0.24806947, 0.49613894, -0.3721042],
    [0.52981294, -0.13245324, 0.79471941, -0.26490647],
    [0.54554473, -0.32732684, 0.10910895, 0.76376261],
    [-0.27216553, 0.68041382, 0.40824829, -0.54433105],
])


def test_circle_keras_values_and_masked_reduction():
    np.testing.assert_allclose(losses.Circle()(CIRCLE_LABELS, CIRCLE_EMB).item(), 188.3883,
                               rtol=1e-5)
    np.testing.assert_allclose(
        losses.Circle(gamma=256, margin=0.25)(CIRCLE_LABELS, CIRCLE_EMB).item(), 652.7617,
        rtol=1e-5)
    got = losses.circle(CIRCLE_LABELS, CIRCLE_EMB, ref_labels=CIRCLE_REF_LABELS,
                        ref_embeddings=CIRCLE_REF, remove_diagonal=False)
    np.testing.assert_allclose(got.data, [61.5844, 94.3465, 276.9344, 90.9873, 48.8963],
                               rtol=1e-5)
    w = np.array([2.0, 2.0, 1.0, 1.0, 0.5])
    np.testing.assert_allclose(losses.Circle()(CIRCLE_LABELS, CIRCLE_EMB, w).item(), 244.91918,
                               rtol=1e-5)
    weighted_mean = losses.Circle(reduction="mean_with_sample_weight")
    np.testing.assert_allclose(weighted_mean(CIRCLE_LABELS, CIRCLE_EMB, w).item(), 163.27948,
                               rtol=1e-5)
    # Labels 3 and 4 have no positive pair: their loss is 0 and the mean leaves them out.
    none = losses.Circle(reduction=None)(CIRCLE_REF_LABELS, CIRCLE_REF)
    np.testing.assert_allclose(none.data, [82.9116, 36.7942, 92.4590, 52.6798, 0.0, 0.0],
                               rtol=1e-4, atol=1e-6)
    total = losses.Circle(reduction="sum")(CIRCLE_REF_LABELS, CIRCLE_REF).item()
    np.testing.assert_allclose(total, 264.845, rtol=1e-5)
    mean = losses.Circle()(CIRCLE_REF_LABELS, CIRCLE_REF).item()
    np.testing.assert_allclose(mean, total / 4, rtol=1e-6)


def test_circle_gradient_is_finite_for_rows_without_pairs():
    x = Tensor(CIRCLE_REF.astype(np.float32), requires_grad=True)
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        losses.Circle()(CIRCLE_REF_LABELS, x).backward()
    assert np.isfinite(x.grad).all() and np.abs(x.grad).sum() > 0


# ----- NumPy references ---------------------------------------------------------------------------
def _np_binary_focal(t, p, gamma, alpha=None):
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if alpha is not None:
        out = out * (t * alpha + (1 - t) * (1 - alpha))
    return out.mean(-1)


def test_focal_losses_match_numpy_and_reduce_to_cross_entropy():
    t = RNG.integers(0, 2, (5, 3)).astype(float)
    p = RNG.uniform(0.05, 0.95, (5, 3))
    got = losses.binary_focal_crossentropy(t, p, apply_class_balancing=True, alpha=0.3,
                                           gamma=1.5)
    np.testing.assert_allclose(got.data, _np_binary_focal(t, p, 1.5, 0.3), rtol=1e-6)
    logits = RNG.normal(size=(5, 3)) * 3
    got = losses.binary_focal_crossentropy(t, logits, gamma=2.0, from_logits=True)
    np.testing.assert_allclose(got.data, _np_binary_focal(t, 1 / (1 + np.exp(-logits)), 2.0),
                               rtol=1e-5)
    # gamma = 0: the plain cross-entropies (times alpha for the categorical one).
    np.testing.assert_allclose(losses.binary_focal_crossentropy(t, p, gamma=0.0).data,
                               losses.binary_crossentropy(t, p).data, rtol=1e-6)
    onehot = np.eye(3)[RNG.integers(0, 3, 5)]
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for from_logits, pred in ((True, logits), (False, probs)):
        got = losses.categorical_focal_crossentropy(onehot, pred, alpha=0.5, gamma=0.0,
                                                    from_logits=from_logits)
        ref = losses.categorical_crossentropy(onehot, pred, from_logits=from_logits)
        np.testing.assert_allclose(got.data, 0.5 * ref.data, rtol=1e-6)


def test_overlap_losses_match_numpy_per_image():
    t = RNG.integers(0, 2, (3, 4, 4, 1)).astype(float)
    p = RNG.uniform(size=(3, 4, 4, 1))
    axes = (1, 2, 3)
    inter = (t * p).sum(axes)
    np.testing.assert_allclose(losses.dice(t, p, axis=axes).data,
                               1 - 2 * inter / (t.sum(axes) + p.sum(axes) + 1e-7), rtol=1e-6)
    fp, fn = ((1 - p) * t).sum(axes), (p * (1 - t)).sum(axes)
    np.testing.assert_allclose(losses.tversky(t, p, 0.3, 0.7, axis=axes).data,
                               1 - inter / (inter + 0.3 * fp + 0.7 * fn + 1e-7), rtol=1e-6)
    # alpha = beta = 0.5 is the Dice loss.
    np.testing.assert_allclose(losses.tversky(t, p, axis=axes).data,
                               losses.dice(t, p, axis=axes).data, rtol=1e-6)


# ----- CTC ----------------------------------------------------------------------------------------
def _ctc_case(batch=3, steps=7, classes=5, length=4):
    logits = RNG.normal(size=(batch, steps, classes))
    labels = RNG.integers(1, classes, size=(batch, length))
    labels[0, 2:] = 0  # shorter label (zero padding)
    labels[1, 1] = labels[1, 2]  # a repeated label needs a blank between the repeats
    labels[2, 1] = 0  # a 0 inside a label is read as the blank, as Keras/PyTorch do
    return logits, labels


def test_ctc_matches_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    logits, labels = _ctc_case()
    x = Tensor(logits.astype(np.float32), requires_grad=True)
    per = losses.ctc(labels, x)
    per.sum().backward()
    px = torch.tensor(logits.astype(np.float32), requires_grad=True)
    log_probs = torch.log_softmax(px, -1).transpose(0, 1)
    lengths = torch.tensor((labels != 0).sum(-1))
    ref = torch.nn.functional.ctc_loss(log_probs, torch.tensor(labels),
                                       torch.full((3,), 7, dtype=torch.long), lengths, blank=0,
                                       reduction="none")
    ref.sum().backward()
    np.testing.assert_allclose(per.data, ref.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, px.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_ctc_impossible_alignment_is_infinite_with_zero_gradient():
    # Three repeated labels need at least 5 steps; 3 steps cannot produce them.
    x = Tensor(np.zeros((1, 3, 3), dtype=np.float32), requires_grad=True)
    per = losses.ctc(np.array([[1, 1, 1]]), x)
    assert np.isinf(per.item())
    per.sum().backward()
    assert np.all(x.grad == 0)


def test_ctc_validates_shapes_and_labels():
    with pytest.raises(ValueError, match=r"shape `\(batch_size, max_length\)`"):
        losses.ctc(np.zeros(3), np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match=r"max_length, num_classes\)`"):
        losses.ctc(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"class ids in \[0, 2\)"):
        losses.ctc(np.array([[1, 5]]), np.zeros((1, 4, 2)))


# ----- float64 gradient checks --------------------------------------------------------------------
T_BIN = RNG.integers(0, 2, (4, 3)).astype(float)
T_HOT = np.eye(3)[RNG.integers(0, 3, 4)]
P_UNIT = RNG.uniform(0.1, 0.9, (4, 3))
P_REAL = RNG.normal(size=(4, 3))
IDS = RNG.integers(0, 3, 4)
CTC_LOGITS, CTC_LABELS = _ctc_case(batch=3, steps=5, classes=4, length=3)
EMB = RNG.normal(size=(6, 3))
EMB /= np.linalg.norm(EMB, axis=-1, keepdims=True)

GRAD_CASES = [
    (losses.BinaryFocalCrossentropy(gamma=2.0, dtype=F64), T_BIN, P_UNIT),
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True,
                                    label_smoothing=0.1, dtype=F64), T_BIN, P_REAL),
    (losses.CategoricalFocalCrossentropy(dtype=F64), T_HOT, P_UNIT),
    (losses.CategoricalFocalCrossentropy(from_logits=True, gamma=1.5, dtype=F64), T_HOT, P_REAL),
    (losses.CategoricalGeneralizedCrossEntropy(q=0.7, dtype=F64), IDS, P_UNIT),
    (losses.Dice(dtype=F64), T_BIN, P_UNIT),
    (losses.Dice(axis=-1, dtype=F64), T_BIN, P_UNIT),
    (losses.Tversky(alpha=0.3, beta=0.7, axis=1, dtype=F64), T_BIN, P_UNIT),
    (losses.Circle(gamma=8.0, dtype=F64), np.array([0, 0, 1, 1, 2, 2]), EMB),
    (losses.CTC(dtype=F64), CTC_LABELS, CTC_LOGITS),
]


@pytest.mark.parametrize("loss, y_true, y_pred", GRAD_CASES,
                         ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(GRAD_CASES)])
def test_gradcheck_float64(loss, y_true, y_pred):
    assert gradcheck(lambda p: loss(y_true, p), [y_pred])
    per = type(loss).from_config({**loss.get_config(), "reduction": "none", "dtype": F64})
    assert gradcheck(lambda p: per(y_true, p), [y_pred])


# ----- constructors and configs -------------------------------------------------------------------
NEW = (losses.BinaryFocalCrossentropy, losses.CategoricalFocalCrossentropy,
       losses.CategoricalGeneralizedCrossEntropy, losses.Dice, losses.Tversky, losses.Circle,
       losses.CTC)


def test_keras_signatures_and_configs():
    sig = lambda cls: list(inspect.signature(cls).parameters)  # noqa: E731
    assert sig(losses.Dice) == ["reduction", "name", "axis", "dtype"]
    assert sig(losses.Tversky) == ["alpha", "beta", "reduction", "name", "axis", "dtype"]
    assert sig(losses.SparseCategoricalCrossentropy) == [
        "from_logits", "ignore_class", "reduction", "axis", "name", "dtype"]
    assert losses.Circle().get_config() == {"name": "circle", "reduction": "sum_over_batch_size",
                                            "gamma": 80.0, "margin": 0.4,
                                            "remove_diagonal": True}
    assert losses.CTC(name="myctc").get_config() == {"name": "myctc",
                                                     "reduction": "sum_over_batch_size"}
    focal = losses.BinaryFocalCrossentropy(alpha=0.4)
    assert (focal.alpha, focal.gamma, focal.from_logits) == (0.4, 2.0, False)
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_lookup_by_function_name_and_round_trip(cls):
    name = cls.fn.__name__
    assert losses.get(name) is cls.fn and type(losses.resolve(name)) is cls
    assert losses.get(cls.__name__).name == name
    loss = cls(name="custom", reduction="sum")
    config = loss.get_config()
    assert cls.from_config(config).get_config() == config
    assert losses.deserialize(losses.serialize(loss)).get_config() == config
