"""Issue 17, item 6: limits that bit real users. Models nested 40 deep (JSON nested 126 levels,
over the old limit of 100) save and load, while configs nested beyond the new bound are still
refused; ``mean``/``var``/``std`` over nothing are NaN, as in NumPy and PyTorch (checked
against ``torch`` when it is installed); ``SparseCategoricalAccuracy`` refuses class ids beyond
the predictions."""

import json

import numpy as np
import pytest

import numdeep as nd
from numdeep import ops
from numdeep.saving import LIMITS, UnsafeFileError
from numdeep.saving.safety import json_depth


def nested(depth):
    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(2)])
    for _ in range(depth):
        model = nd.Sequential([nd.Input((2,)), model])
    return model


def test_model_nested_40_deep_saves_and_loads(tmp_path):
    model = nested(40)
    assert json_depth(json.dumps(model.get_config()).encode()) > 100  # the old limit
    model.save(tmp_path / "deep.keras")
    loaded = nd.saving.load_model(tmp_path / "deep.keras")
    x = np.array([[1.0, -2.0]], "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_json_nesting_is_still_bounded():
    text = "[" * (LIMITS.max_json_depth + 1) + "]" * (LIMITS.max_json_depth + 1)
    with pytest.raises(UnsafeFileError, match="nested"):
        nd.models.model_from_json(text)
    assert LIMITS.max_json_depth < 1000  # below Python's recursion limit


@pytest.mark.parametrize("name", ["mean", "var", "std"])
@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((0, 3), None), ((2, 0), 1),
                                         ((2, 0, 3), (0, 1))])
def test_reductions_over_nothing_are_nan(name, shape, axis):
    x = np.zeros(shape, "float32")
    with np.errstate(invalid="ignore", divide="ignore"), pytest.warns(RuntimeWarning):
        expected = getattr(np, name)(x, axis=axis)
    for got in (getattr(ops, name)(x, axis=axis), getattr(nd.Tensor(x), name)(axis=axis)):
        got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
        assert got.shape == np.shape(expected)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        assert np.isnan(got).all() or got.size == 0


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((2, 0), 1), ((2, 0, 3), (0, 1))])
def test_reductions_over_nothing_match_torch(shape, axis):
    torch = pytest.importorskip("torch")
    x = np.zeros(shape, "float32")
    t = torch.from_numpy(x)
    expected = {"mean": torch.mean(t, dim=axis), "var": torch.var(t, dim=axis, correction=0),
                "std": torch.std(t, dim=axis, correction=0)}
    for name, want in expected.items():
        got = np.asarray(getattr(ops, name)(x, axis=axis))
        assert got.shape == tuple(want.shape) and got.dtype == np.float32
        np.testing.assert_array_equal(got, want.numpy())  # NaN where torch has NaN


def test_reductions_of_non_empty_input_are_unchanged():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.asarray(ops.mean(x, axis=0)), [1.5, 2.5, 3.5])
    np.testing.assert_allclose(np.asarray(ops.var(x)), np.var(x), rtol=1e-6)


def test_sparse_categorical_accuracy_refuses_class_id_beyond_predictions():
    metric = nd.metrics.SparseCategoricalAccuracy()
    y_pred = np.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]], "float32")
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 3\).*received labels up "
                                         r"to 5"):
        metric.update_state(np.array([5, 1]), y_pred)
    metric.update_state(np.array([1, 0]), y_pred)
    assert float(metric.result()) == 0.5
