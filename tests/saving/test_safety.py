"""Safe loading: allow-list only, no code from files, no external references, archive and size
limits, and all-or-nothing weight assignment."""

import io
import json
import os
import stat
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import LIMITS, CorruptFileError, UnsafeFileError, model_from_json
from numdeep.saving.h5io import build_h5
from tests.saving.common import mlp

CALLS = []


def sentinel(*args, **kwargs):
    CALLS.append(args)
    return 0


class Payload:
    """Unpickling this calls ``sentinel``: a stand-in for any code a pickle can run."""

    def __reduce__(self):
        return (sentinel, ("pickle ran",))


@pytest.fixture(autouse=True)
def no_sentinel():
    CALLS.clear()
    yield
    assert CALLS == [], "code from a file was executed"


def _dense_config(**overrides):
    model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2, name="d")])
    entry = json.loads(model.to_json())
    entry["config"]["layers"][1]["config"].update(overrides)
    return entry


def _empty_weights():
    return build_h5(lambda f: None, checksum=False)


def write_keras(path, config, members=None, weights=None):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", _empty_weights() if weights is None else weights)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


def write_h5_model(path, config):
    def fill(f):
        f.attrs["model_config"] = json.dumps(config)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"d"])
        g.create_group("d").attrs["weight_names"] = np.zeros((0,))

    path.write_bytes(build_h5(fill, checksum=False))
    return path


def _load_everywhere(tmp_path, config, **kwargs):
    """Load ``config`` as a .keras file, a legacy .h5 file and config-only JSON; return the
    three errors (each must be an UnsafeFileError)."""
    errors = []
    keras_path = write_keras(tmp_path / "evil.keras", config)
    h5_path = write_h5_model(tmp_path / "evil.h5", config)
    for path in (keras_path, h5_path):
        with pytest.raises(UnsafeFileError) as info:
            nd.models.load_model(path, **kwargs)
        assert str(path) in str(info.value)
        errors.append(str(info.value))
    with pytest.raises(UnsafeFileError) as info:
        model_from_json(json.dumps(config), custom_objects=kwargs.get("custom_objects"))
    errors.append(str(info.value))
    return errors


# ----- allow-list ------------------------------------------------------------------------------
@pytest.mark.parametrize("entry, needle", [
    ({"module": "os", "class_name": "system", "config": {"command": "touch pwned"}}, "'system'"),
    ({"module": "builtins", "class_name": "function", "config": "eval"}, "'eval'"),
    ({"module": "tests.saving.test_safety", "class_name": "function", "config": "sentinel",
      "registered_name": "sentinel"}, "'sentinel'"),
    ({"module": "keras.saving", "class_name": "function", "config": "load_model"},
     "'load_model'"),
])
def test_module_and_function_paths_are_refused(tmp_path, entry, needle):
    config = _dense_config(activation=entry)
    for message in _load_everywhere(tmp_path, config):
        assert needle in message and "allow-list" in message
        assert "layers[1].config.activation" in message
    assert not (tmp_path / "pwned").exists()


def test_unregistered_layer_class_is_refused_and_registered_one_loads(tmp_path):
    class Scale(nd.layers.Layer):
        def call(self, x, training=False):
            return x * 2.0

    model = nd.Sequential([nd.Input((3,)), Scale(name="scale")])
    config = json.loads(model.to_json())
    for message in _load_everywhere(tmp_path, config):
        assert "class 'Scale'" in message and "register_serializable" in message
    loaded = model_from_json(json.dumps(config), custom_objects={"Scale": Scale})
    assert type(loaded.layers[0]) is Scale

    registered = nd.saving.register_serializable(package="SafetyTest")(Scale)
    model = nd.Sequential([nd.Input((3,)), registered(name="scale")])
    path = tmp_path / "registered.keras"
    model.save(path)
    assert json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"][1][
        "registered_name"] == "SafetyTest>Scale"
    assert type(nd.models.load_model(path).layers[0]) is Scale


@pytest.mark.parametrize("where", ["key", "value", "class"])
def test_enable_unsafe_deserialization_in_a_file_is_refused(tmp_path, where):
    config = _dense_config()
    inner = config["config"]["layers"][1]["config"]
    if where == "key":
        inner["enable_unsafe_deserialization"] = True
    elif where == "value":
        inner["name"] = "enable_unsafe_deserialization"
    else:
        inner["activation"] = {"module": "keras.config", "class_name": "function",
                               "config": "enable_unsafe_deserialization"}
    for message in _load_everywhere(tmp_path, config, safe_mode=False):
        assert "enable_unsafe_deserialization" in message


def test_lambda_bytecode_never_runs_and_named_lambda_needs_custom_objects(tmp_path):
    import base64
    import marshal

    code = base64.b64encode(marshal.dumps((lambda x: sentinel("lambda ran")).__code__))
    bytecode = {"class_name": "__lambda__",
                "config": {"code": code.decode(), "defaults": None, "closure": None}}
    layer = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"name": "lam", "function": bytecode, "arguments": {}}}
    config = _dense_config()
    config["config"]["layers"].append(layer)
    for message in _load_everywhere(tmp_path, config, safe_mode=False):
        assert "Lambda layer 'lam'" in message and "layers[2].config.function" in message

    def double(x):
        return x * 2.0

    model = nd.Sequential([nd.Input((3,)), nd.layers.Lambda(double, name="lam")])
    path = tmp_path / "named.keras"
    model.save(path)
    assert b"marshal" not in path.read_bytes() and b"co_code" not in path.read_bytes()
    with pytest.raises(UnsafeFileError, match="custom_objects=\\{'double': fn\\}"):
        nd.models.load_model(path)
    loaded = nd.models.load_model(path, custom_objects={"double": double})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), 2 * x)


def test_urls_and_file_paths_in_configs_are_refused(tmp_path):
    config = _dense_config(kernel_initializer={"class_name": "Constant",
                                               "config": {"value": "https://example.com/w"}})
    for message in _load_everywhere(tmp_path, config):
        assert "external reference" in message


# ----- pickles and object arrays ---------------------------------------------------------------
def test_npz_weights_with_pickled_objects_are_refused(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, **{"layers/dense/vars/0": np.array([Payload()], dtype=object)})
    path = tmp_path / "pickle.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(_dense_config()))
        zf.writestr("model.weights.npz", buffer.getvalue())
    with pytest.raises(UnsafeFileError, match="pickled object arrays"):
        nd.models.load_model(path)


def test_h5_object_and_string_datasets_are_refused(tmp_path):
    model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])

    def fill(f):
        f.create_group("layers/dense/vars").create_dataset(
            "0", data=np.array([b"cos\nsystem\n."], dtype=object),
            dtype=h5py.string_dtype())

    path = tmp_path / "objects.weights.h5"
    path.write_bytes(build_h5(fill, checksum=False))
    with pytest.raises(UnsafeFileError, match="only numeric arrays"):
        model.load_weights(path)


# ----- archives --------------------------------------------------------------------------------
def _zip_with(path, name, external_attr=None):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(_dense_config()))
        zf.writestr("model.weights.h5", _empty_weights())
        info = zipfile.ZipInfo(name)
        if external_attr is not None:
            info.external_attr = external_attr
        zf.writestr(info, b"payload")
    return path


@pytest.mark.parametrize("name, attr, needle", [
    ("../evil.txt", None, "path traversal"),
    ("assets/../../evil.txt", None, "path traversal"),
    ("/tmp/evil.txt", None, "absolute"),
    ("C:/evil.txt", None, "absolute"),
    ("assets\\..\\..\\evil.txt", None, "backslash"),
    ("assets/link", (stat.S_IFLNK | 0o777) << 16, "link"),
    ("assets/fifo", (stat.S_IFIFO | 0o644) << 16, "link or special"),
])
def test_unsafe_archive_members_are_refused(tmp_path, name, attr, needle):
    work = tmp_path / "work"
    work.mkdir()
    path = _zip_with(work / "m.keras", name, attr)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(UnsafeFileError, match=needle):
        nd.models.load_model(path)
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(work) == ["m.keras"]


def test_duplicate_members_are_refused(tmp_path):
    path = tmp_path / "dup.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(_dense_config()))
        zf.writestr("model.weights.h5", _empty_weights())
        with pytest.warns(UserWarning):
            zf.writestr("config.json", json.dumps(_dense_config()))
    with pytest.raises(UnsafeFileError, match="appears twice"):
        nd.models.load_model(path)


@pytest.fixture
def opened(monkeypatch):
    names = []
    real = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        names.append(getattr(name, "filename", name))
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_zip_bomb_member_is_refused_before_decompression(tmp_path, opened):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps(_dense_config()))
        with zf.open("model.weights.h5", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(64):
                member.write(chunk)
    assert path.stat().st_size < 1 << 20
    opened.clear()
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeFileError, match="zip bomb"):
            nd.models.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "model.weights.h5" not in opened
    assert peak < 8 << 20


def test_too_many_members_and_oversized_config_are_refused(tmp_path, monkeypatch, opened):
    monkeypatch.setattr(LIMITS, "max_members", 5)
    path = _zip_with(tmp_path / "many.keras", "assets/0")
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(1, 6):
            zf.writestr(f"assets/{i}", b"x")
    with pytest.raises(UnsafeFileError, match="members"):
        nd.models.load_model(path)
    monkeypatch.setattr(LIMITS, "max_config_bytes", 1000)
    config = _dense_config(name="x" * 2000)
    path = write_keras(tmp_path / "big.keras", config)
    opened.clear()
    with pytest.raises(UnsafeFileError, match="limit of 1000"):
        nd.models.load_model(path)
    assert "config.json" not in opened
    with pytest.raises(UnsafeFileError, match="limit of 1000"):
        model_from_json(json.dumps(config))


@pytest.mark.parametrize("depth", [LIMITS.max_json_depth + 5, 100_000])
def test_json_nested_deeper_than_the_cap_is_refused(tmp_path, depth):
    config = _dense_config()
    text = json.dumps(config)
    deep = "[" * depth + "]" * depth
    text = text.replace('"units": 2', f'"units": 2, "junk": {deep}')
    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", text)
        zf.writestr("model.weights.h5", _empty_weights())
    with pytest.raises(UnsafeFileError, match="nested"):
        nd.models.load_model(path)


# ----- HDF5 external references ----------------------------------------------------------------
@pytest.fixture
def tripwire(tmp_path):
    """A file that must never be opened; its access time is set in the past, so any read moves
    it (when the file system records access times, checked on a control file)."""
    path = tmp_path / "tripwire.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros((3, 2), "float32")
    raw = tmp_path / "tripwire.bin"
    raw.write_bytes(bytes(24))
    control = tmp_path / "control.bin"
    control.write_bytes(bytes(24))
    for p in (path, raw, control):
        os.utime(p, (1_000_000, os.stat(p).st_mtime))
    control.read_bytes()
    atime_works = os.stat(control).st_atime != 1_000_000
    yield path, raw
    if atime_works:
        assert os.stat(path).st_atime == 1_000_000, "the tripwire file was opened"
        assert os.stat(raw).st_atime == 1_000_000, "the tripwire file was opened"


@pytest.mark.parametrize("kind", ["external_link", "soft_link", "external_storage", "virtual"])
@pytest.mark.parametrize("container", ["weights.h5", "keras"])
def test_hdf5_external_references_are_refused(tmp_path, tripwire, kind, container):
    target_h5, target_raw = tripwire
    model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])

    def fill(f):
        g = f.create_group("layers/dense/vars")
        if kind == "external_link":
            g["0"] = h5py.ExternalLink(str(target_h5), "/data")
        elif kind == "soft_link":
            f["real"] = np.zeros((3, 2), "float32")
            g["0"] = h5py.SoftLink("/real")
        elif kind == "external_storage":
            g.create_dataset("0", (3, 2), "float32", external=[(str(target_raw), 0, 24)])
        else:
            layout = h5py.VirtualLayout((3, 2), "float32")
            layout[:] = h5py.VirtualSource(str(target_h5), "data", (3, 2))
            g.create_virtual_dataset("0", layout)
        g["1"] = np.zeros((2,), "float32")

    data = build_h5(fill, checksum=False)
    before = model.get_weights()
    needle = {"external_link": "external link", "soft_link": "soft link",
              "external_storage": "external storage", "virtual": "virtual dataset"}[kind]
    if container == "keras":
        path = write_keras(tmp_path / "ext.keras", json.loads(model.to_json()), weights=data)
        with pytest.raises(UnsafeFileError, match=needle):
            nd.models.load_model(path)
    else:
        path = tmp_path / "ext.weights.h5"
        path.write_bytes(data)
        with pytest.raises(UnsafeFileError, match=needle):
            model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# ----- mismatches ------------------------------------------------------------------------------
def test_shape_mismatch_lists_every_variable_and_assigns_nothing(tmp_path):
    source = nd.Sequential([nd.Input((4,)), nd.layers.Dense(5), nd.layers.Dense(3),
                            nd.layers.Dense(2)])
    path = tmp_path / "w.weights.h5"
    source.save_weights(path)
    target = nd.Sequential([nd.Input((4,)), nd.layers.Dense(6), nd.layers.Dense(3),
                            nd.layers.Dense(2)])
    before = target.get_weights()
    with pytest.raises(ValueError) as info:
        target.load_weights(path)
    message = str(info.value)
    assert "layers/dense/vars/0" in message and "expected shape (4, 6)" in message
    assert "found (4, 5)" in message and "layers/dense/vars/1" in message
    assert "layers/dense_1/vars/0" in message and "Nothing was assigned" in message
    assert "layers/dense_2" not in message
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))
    with pytest.warns(UserWarning, match="skipped"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[2].kernel.data, source.layers[2].kernel.data)
    np.testing.assert_array_equal(target.layers[0].kernel.data, before[0])


def test_legacy_mismatch_lists_layers_and_assigns_nothing(tmp_path):
    source = mlp()
    path = tmp_path / "w.h5"
    source.save_weights(path)
    target = nd.Sequential([nd.Input((6,)), nd.layers.Dense(3)])
    before = target.get_weights()
    with pytest.raises(ValueError, match="layers with weights") as info:
        target.load_weights(path)
    assert "Nothing was assigned" in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))


def test_missing_file_is_not_reported_as_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError):
        nd.models.load_model(tmp_path / "nope.keras")
    assert issubclass(UnsafeFileError, CorruptFileError)
    assert issubclass(CorruptFileError, ValueError)


def test_huge_declared_dataset_is_refused_before_allocation(tmp_path):
    model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])

    def fill(f):
        g = f.create_group("layers/dense/vars")
        g.create_dataset("0", shape=(1 << 40,), dtype="float32", chunks=(1024,))
        g["1"] = np.zeros((2,), "float32")

    path = tmp_path / "huge.weights.h5"
    path.write_bytes(build_h5(fill, checksum=False))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeFileError, match="more than the limit"):
            model.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
