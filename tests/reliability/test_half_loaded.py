"""Issue 17, item 2: a file whose optimizer state is bad (wrong shape, wrong kind, an iteration
count of 1e30, NaN or -5, keys that are not variable indices) raises one ``CorruptFileError``
naming the variable, before any weight is assigned: the model keeps its weights and its
optimizer its state, and the next save works."""

import warnings

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import CorruptFileError
from numdeep.saving.weights_plan import value_problem

X = np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4)
Y = np.arange(24, dtype="float32").reshape(8, 3) / 24


def trained(seed=0):
    nd.utils.set_random_seed(seed)
    model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    return model


def snapshot(model):
    return [w.copy() for w in model.get_weights()], \
        [np.array(v.numpy()) for v in model.optimizer.variables]


def unchanged(model, before):
    weights, state = snapshot(model)
    return all(np.array_equal(a, b) for a, b in zip(weights, before[0])) and \
        all(np.array_equal(a, b) for a, b in zip(state, before[1]))


def edited_copy(src, dst, group, key, value):
    """``src`` copied to ``dst`` (without numdeep's checksum, as another tool would write it)
    with ``group/key`` replaced by ``value``."""
    with h5py.File(src, "r") as a, h5py.File(dst, "w") as b:
        for name in a:
            a.copy(name, b)
        for k, v in a.attrs.items():
            b.attrs[k] = v
        if key in b[group]:
            del b[group][key]
        b[group].create_dataset(key, data=value)
    return dst


BAD_STATE = {
    "wrong_shape": ("2", np.zeros((5,), "float32"), "expected shape (4, 3) float32"),
    "nan_slot_shape": ("2", np.full((4, 2), np.nan, "float32"), "found (4, 2) float32"),
    "nan_scalar_slot": ("2", np.float64(np.nan), "found () float64"),
    "int_slot": ("2", np.zeros((4, 3), "int8"), "found (4, 3) int8"),
    "iterations_1e30": ("0", np.float64(1e30), "outside the range of int64"),
    "iterations_nan": ("0", np.float64(np.nan), "holds nan, not a whole number"),
    "iterations_fraction": ("0", np.float64(2.5), "holds 2.5, not a whole number"),
    "iterations_negative": ("0", np.int64(-5), "negative iteration count"),
    "extra_key": ("x", np.zeros((4, 3), "float32"), "not only the variable indices"),
}


@pytest.mark.parametrize("case", list(BAD_STATE))
def test_bad_optimizer_state_in_weights_file_assigns_nothing(tmp_path, case):
    key, value, words = BAD_STATE[case]
    trained(0).save_weights(tmp_path / "good.weights.h5")
    path = edited_copy(tmp_path / "good.weights.h5", tmp_path / "bad.weights.h5",
                       "optimizer/vars", key, value)
    model = trained(1)
    before = snapshot(model)
    with pytest.raises(CorruptFileError, match="optimizer") as e:
        model.load_weights(path)
    assert words in str(e.value) and "bad.weights.h5" in str(e.value)
    assert ("optimizer/vars/" in str(e.value)) or case == "extra_key"
    assert unchanged(model, before)
    model.save_weights(tmp_path / "after.weights.h5")  # no OverflowError later


def test_iterations_1e30_never_reaches_model_checkpoint(tmp_path):
    trained(0).save_weights(tmp_path / "good.weights.h5")
    path = edited_copy(tmp_path / "good.weights.h5", tmp_path / "bad.weights.h5",
                       "optimizer/vars", "0", np.float64(1e30))
    model = trained(1)
    with pytest.raises(CorruptFileError, match="iteration"):
        model.load_weights(path)
    checkpoint = nd.callbacks.ModelCheckpoint(str(tmp_path / "ck.weights.h5"),
                                              save_weights_only=True)
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0, callbacks=[checkpoint])
    assert int(model.optimizer.iterations) == 4


def test_bad_optimizer_state_in_keras_file_builds_no_model(tmp_path):
    import zipfile

    trained(0).save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    (tmp_path / "w.h5").write_bytes(members["model.weights.h5"])
    edited_copy(tmp_path / "w.h5", tmp_path / "bad.h5", "optimizer/vars", "0", np.float64(1e30))
    members["model.weights.h5"] = (tmp_path / "bad.h5").read_bytes()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(CorruptFileError, match=r"optimizer/vars/0 \('iteration'"):
        nd.saving.load_model(tmp_path / "bad.keras")
    assert nd.saving.load_model(tmp_path / "bad.keras", compile=False).count_params() == 15


@pytest.mark.parametrize("loader", ["load_weights", "load_model"])
def test_bad_optimizer_state_in_legacy_h5_assigns_nothing(tmp_path, loader):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained(0).save(tmp_path / "good.h5")
    with h5py.File(tmp_path / "good.h5", "r") as f:
        first = f["optimizer_weights"].attrs["weight_names"][0].decode()
    edited_copy(tmp_path / "good.h5", tmp_path / "bad.h5", "optimizer_weights", first,
                np.float64(np.nan))
    model = trained(1)
    before = snapshot(model)
    with pytest.raises(CorruptFileError, match="not a whole number"):
        if loader == "load_weights":
            model.load_weights(tmp_path / "bad.h5")
        else:
            nd.saving.load_model(tmp_path / "bad.h5")
    assert unchanged(model, before)


def test_other_optimizer_still_skips_with_keras_warning(tmp_path):
    # A file saved with SGD (1 + 1 variables) loaded under Adam: Keras warns and loads the
    # weights; that is not a damaged file.
    nd.utils.set_random_seed(0)
    sgd = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])
    sgd.compile(optimizer="sgd", loss="mse")
    sgd.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    sgd.save_weights(tmp_path / "sgd.weights.h5")
    model = trained(1)
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        model.load_weights(tmp_path / "sgd.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), sgd.get_weights()))


@pytest.mark.parametrize("dtype, value, problem", [
    ("int64", 7.0, None), ("int64", 1e30, "outside the range"), ("int32", 2**31, "outside"),
    ("uint8", -1, "outside"), ("int64", np.inf, "not a whole number"),
    ("float32", np.nan, None), ("int64", np.zeros(0), None),
])
def test_value_problem(dtype, value, problem):
    found = value_problem(dtype, np.asarray(value))
    assert (found is None) if problem is None else (problem in found)
