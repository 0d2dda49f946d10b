"""Label and shape validation of the classic losses, their dtype and constructor checks, lookup
by name and configs."""

import numpy as np
import pytest

from numdeep import losses
from numdeep.autograd import Tensor, gradcheck

from .common import F64, IDS, P_PROB, P_SOFT, RNG, Y_BIN, Y_REG, C, N, _np_bce, _onehot, _softmax


# ----- shape and label validation ----------------------------------------------------------------
def test_trailing_axis_of_one_is_aligned_never_broadcast():
    y = RNG.normal(size=N)
    p = RNG.normal(size=(N, 1))
    expected = ((p[:, 0] - y) ** 2).mean()
    for name in ("mse", "mae", "huber", "log_cosh"):
        a = losses.resolve(name)(y, p).item()
        b = losses.resolve(name)(y[:, None], p).item()
        c = losses.resolve(name)(y[:, None], p[:, 0]).item()
        assert a == pytest.approx(b) and b == pytest.approx(c)
    assert losses.resolve("mse")(y, p).item() == pytest.approx(expected)
    yb = RNG.integers(0, 2, size=N)
    pb = RNG.uniform(0.1, 0.9, size=(N, 1))
    assert losses.resolve("binary_crossentropy")(yb, pb).item() == pytest.approx(
        _np_bce(yb[:, None], pb).mean())


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "binary_crossentropy", "hinge", "kld"])
def test_incompatible_shapes_raise(name):
    with pytest.raises(ValueError, match=r"must have the same shape; received y_true shape "
                                         r"\(6,\) and y_pred shape \(6, 3\)"):
        losses.resolve(name)(np.zeros(N), np.full((N, 3), 0.5))
    with pytest.raises(ValueError, match=r"\(5, 1\).*\(6, 1\)"):
        losses.resolve(name)(np.zeros((5, 1)), np.full((N, 1), 0.5))


def test_sparse_ce_rejects_one_hot_labels():
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy expects integer class "
                                         r"ids of shape \(6,\).*\(6, 4\).*one-hot.*"
                                         r"categorical_crossentropy"):
        losses.SparseCategoricalCrossentropy()(_onehot(IDS), P_SOFT)


def test_sparse_ce_rejects_out_of_range_and_negative_ids():
    bad = IDS.copy()
    bad[1], bad[4] = -1, 12
    for from_logits in (False, True):
        with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy: class ids must be "
                                             r"in \[0, 4\).*4 classes.*min -1 and max 12"):
            losses.SparseCategoricalCrossentropy(from_logits=from_logits)(bad, P_SOFT)
    with pytest.raises(ValueError, match="min 4 and max 4"):
        losses.SparseCategoricalCrossentropy()(np.full(N, 4), P_SOFT)


def test_sparse_ce_rejects_non_integer_labels():
    with pytest.raises(ValueError, match=r"expects integer class ids.*non-integer.*0\.5"):
        losses.SparseCategoricalCrossentropy()(IDS + 0.5, P_SOFT)
    with pytest.raises(ValueError, match=r"non-integer.*nan"):
        losses.SparseCategoricalCrossentropy()(np.where(IDS == IDS[0], np.nan, IDS), P_SOFT)
    with pytest.raises(ValueError, match="dtype <U1"):
        losses.SparseCategoricalCrossentropy()(np.array(list("abcdef")), P_SOFT)
    with pytest.raises(ValueError, match=r"shape \(6,\).*received labels of shape \(5,\)"):
        losses.SparseCategoricalCrossentropy()(IDS[:5], P_SOFT)


def test_sparse_ce_accepts_common_label_formats():
    expected = losses.SparseCategoricalCrossentropy()(IDS, P_SOFT).item()
    for labels in (IDS[:, None], IDS.astype(np.float32), IDS.astype(np.uint8), list(IDS),
                   Tensor(IDS.astype(np.float64))):
        got = losses.SparseCategoricalCrossentropy()(labels, P_SOFT).item()
        assert got == pytest.approx(expected)
    flags = IDS % 2 == 1  # boolean labels are class ids 0/1, not a mask
    got = losses.SparseCategoricalCrossentropy(from_logits=True)(flags, np.zeros((N, 2)))
    assert got.item() == pytest.approx(np.log(2))
    # Ignored entries may hold any value, even out of range.
    labels = IDS.copy()
    labels[0] = 255
    got = losses.SparseCategoricalCrossentropy(ignore_class=255)(labels, P_SOFT).item()
    assert got == pytest.approx(-np.log(P_SOFT[np.arange(1, N), IDS[1:]]).mean())


def test_sparse_ce_sequence_outputs():
    logits = RNG.normal(size=(2, 5, C))
    labels = RNG.integers(0, C, size=(2, 5))
    probs = _softmax(logits)
    ref = -np.log(np.take_along_axis(probs, labels[..., None], -1))[..., 0]
    for from_logits, p in ((True, logits), (False, probs)):
        loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction="none",
                                                    dtype=F64)
        np.testing.assert_allclose(loss(labels, p).data, ref, rtol=1e-6)


def test_categorical_ce_rejects_integer_labels():
    for labels in (IDS, IDS[:, None]):
        with pytest.raises(ValueError, match=r"CategoricalCrossentropy: `y_true` and `y_pred` "
                                             r"must have the same shape.*y_pred of shape "
                                             r"\(6, 4\).*integer class ids.*"
                                             r"sparse_categorical_crossentropy"):
            losses.CategoricalCrossentropy()(labels, P_SOFT)
    with pytest.raises(ValueError, match=r"received labels of shape \(6, 3\)"):
        losses.CategoricalCrossentropy()(np.zeros((N, 3)), P_SOFT)


def test_binary_ce_rejects_labels_outside_unit_interval():
    for from_logits in (False, True):
        with pytest.raises(ValueError, match=r"BinaryCrossentropy expects labels in \[0, 1\].*"
                                             r"min -1\.0 and max 1\.0"):
            losses.BinaryCrossentropy(from_logits=from_logits)(2 * Y_BIN - 1, P_PROB)
        with pytest.raises(ValueError, match="max 3"):
            losses.BinaryCrossentropy()(np.array([0, 3]), np.array([0.2, 0.4]))


def test_rank1_predictions_are_one_sample_per_element():
    y, p = Y_BIN[:, 0], P_PROB[:, 0]
    per = losses.BinaryCrossentropy(reduction="none")(y, p)
    assert per.shape == (N,)
    np.testing.assert_allclose(per.data, _np_bce(y[:, None], p[:, None]), rtol=1e-6)


def test_dtype_is_preserved_and_dtype_argument_casts():
    p = P_PROB.astype(np.float32)
    out = losses.BinaryCrossentropy()(Y_BIN, p, sample_weight=np.ones(N))
    assert out.dtype == np.float32
    assert losses.MeanSquaredError(dtype="float64")(Y_REG, p).dtype == np.float64
    assert losses.MeanSquaredError()(np.zeros((0, 2)), np.zeros((0, 2))).item() == 0.0


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta"):
        losses.Huber(delta=0)
    with pytest.raises(ValueError, match=r"axis=2 is out of range for y_pred of shape \(6, 4\)"):
        losses.sparse_categorical_crossentropy(IDS, P_SOFT, axis=2)


def test_sparse_ce_with_classes_on_another_axis():
    logits = RNG.normal(size=(2, C, 3, 3))  # channels first
    labels = RNG.integers(0, C, size=(2, 1, 3, 3))
    last = losses.sparse_categorical_crossentropy(labels[:, 0], np.moveaxis(logits, 1, -1),
                                                  from_logits=True)
    first = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1)
    assert first.shape == (2, 3, 3)
    np.testing.assert_allclose(first.data, last.data, rtol=1e-6)
    loss = losses.SparseCategoricalCrossentropy(axis=1, dtype=F64)
    assert gradcheck(lambda p: loss(labels, p), [_softmax(np.moveaxis(logits, 1, -1)).transpose(
        0, 3, 1, 2)])


# ----- lookup, configs ---------------------------------------------------------------------------
@pytest.mark.parametrize("alias, cls", [
    ("mse", "MeanSquaredError"), ("MSE", "MeanSquaredError"), ("mae", "MeanAbsoluteError"),
    ("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
    ("huber", "Huber"), ("huber_loss", "Huber"), ("log_cosh", "LogCosh"), ("logcosh", "LogCosh"),
    ("binary_crossentropy", "BinaryCrossentropy"), ("bce", "BinaryCrossentropy"),
    ("categorical_crossentropy", "CategoricalCrossentropy"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
    ("kl_divergence", "KLDivergence"), ("kld", "KLDivergence"), ("hinge", "Hinge"),
    ("squared_hinge", "SquaredHinge"), ("categorical_hinge", "CategoricalHinge"),
    ("poisson", "Poisson"), ("cosine_similarity", "CosineSimilarity"),
    ("SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy"),
])
def test_get_resolves_names(alias, cls):
    assert type(losses.resolve(alias)).__name__ == cls


def test_get_other_identifiers():
    inst = losses.Huber(delta=2.0)
    assert losses.resolve(inst) is inst
    assert losses.resolve(None) is None
    assert isinstance(losses.resolve(losses.Poisson), losses.Poisson)
    assert isinstance(losses.resolve(losses.mean_squared_error), losses.MeanSquaredError)
    cfg = {"module": "keras.losses", "class_name": "BinaryCrossentropy",
           "config": {"from_logits": True, "name": "bce", "reduction": "sum"},
           "registered_name": None}
    bce = losses.resolve(cfg)
    assert bce.get_config()["from_logits"] and bce.reduction == "sum" and bce.name == "bce"
    fn_entry = {"module": "builtins", "class_name": "function", "config": "mse",
                "registered_name": "function"}
    assert isinstance(losses.resolve(fn_entry), losses.MeanSquaredError)
    with pytest.raises(ValueError, match=r"Unknown loss: 'msqe'.*mse.*sparse_categorical"):
        losses.resolve("msqe")
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.resolve({"class_name": "os.system", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.resolve(3)


def test_wrapped_user_function():
    def my_loss(y_true, y_pred):
        return ((y_pred - y_true) ** 4).mean(axis=-1)

    loss = losses.resolve(my_loss)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "my_loss"
    y, p = np.array([1, 2]), np.array([[1.5], [2.0]], dtype=np.float32)
    out = loss(y, Tensor(p, requires_grad=True))  # int (N,) labels: cast and aligned to (N, 1)
    assert out.dtype == np.float32
    assert out.item() == pytest.approx(0.5**4 / 2)
    assert loss.get_config()["fn"] is my_loss


@pytest.mark.parametrize("cls", losses.CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(name="custom", reduction="sum")
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert losses.deserialize(losses.serialize(loss)).get_config() == config


def test_get_follows_keras_functions_for_function_names_objects_for_the_rest():
    import pickle

    # Keras: a function's name or alias gives the function (per-sample values) ...
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert pickle.loads(pickle.dumps(losses.get("mse"))) is losses.mean_squared_error
    y, p = np.array([[0.0], [1.0]]), np.array([[1.0], [3.0]], "float32")
    np.testing.assert_allclose(losses.get("mse")(y, p).data, [1.0, 4.0])
    # ... a class name, config or class an instance (which reduces), anything else as it is.
    assert type(losses.get("MeanSquaredError")) is losses.MeanSquaredError
    assert losses.get("MeanSquaredError")(y, p).item() == pytest.approx(2.5)
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    inst = losses.Huber(delta=2.0)
    assert losses.get(inst) is inst and losses.get(losses.hinge) is losses.hinge
    assert losses.get(None) is None
    fn_entry = {"module": "builtins", "class_name": "function", "config": "mse",
                "registered_name": "function"}
    assert losses.get(fn_entry) is losses.mean_squared_error
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get("msqe")
    # compile gives the same loss for the name and for the function get returns.
    import numdeep as nd

    model = nd.Sequential([nd.Input((1,)), nd.layers.Dense(1, kernel_initializer="ones")])
    x, target = np.array([[1.0], [2.0]], "float32"), np.array([[0.0], [4.0]], "float32")
    expected = np.mean((x * 1.0 - target) ** 2)  # the bias starts at 0
    for loss in ("mse", losses.get("mse")):
        model.compile("sgd", loss=loss)
        assert model.evaluate(x, target, verbose=0) == pytest.approx(expected)
