"""Keras's ``saving_lib``/``saving_api`` behaviour: layers' own ``save_own_variables`` and
``save_assets`` hooks, ``objects_to_skip``, nested containers, file objects, sharded weights,
the store classes and their guards, ``clone_model``, and Keras's argument errors."""

import io
import json
import os
import zipfile
from unittest import mock

import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import saving_lib
from numdeep.saving.disk_stores import DiskIOStore, NpzIOStore
from numdeep.saving.stores import H5IOStore, ShardedH5IOStore

L = nd.layers


class Counter(L.Layer):
    """Keeps a count and a text asset through its own hooks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.count = np.zeros(3)
        self.note = "empty"
        self.dense = L.Dense(2)
        self.fail_loading = False

    def call(self, x):
        return self.dense(x)

    def save_own_variables(self, store):
        store["count"] = self.count

    def load_own_variables(self, store):
        if self.fail_loading:
            raise ValueError("cannot load")
        self.count = np.array(store["count"])

    def save_assets(self, inner_path):
        with open(os.path.join(inner_path, "note.txt"), "w") as f:
            f.write(self.note)

    def load_assets(self, inner_path):
        with open(os.path.join(inner_path, "note.txt")) as f:
            self.note = f.read()


def _counter_model():
    model = nd.Sequential([nd.Input((3,)), Counter(name="counter")])
    layer = model.layers[0]
    layer.count, layer.note = np.array([1.0, 2.0, 3.0]), "hello"
    return model


def test_layer_hooks_and_assets_round_trip(tmp_path):
    model = _counter_model()
    path = tmp_path / "m.keras"
    model.save(path)
    names = zipfile.ZipFile(path).namelist()
    assert {"config.json", "metadata.json", "model.weights.h5"} <= set(names)
    assert "assets/layers/counter/note.txt" in names
    loaded = nd.models.load_model(path, custom_objects={"Counter": Counter})
    layer = loaded.layers[0]
    assert layer.count.tolist() == [1.0, 2.0, 3.0] and layer.note == "hello"
    np.testing.assert_array_equal(layer.dense.kernel.numpy(),
                                  model.layers[0].dense.kernel.numpy())


def test_a_failing_hook_restores_every_variable(tmp_path):
    model = _counter_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    target = _counter_model()
    before = target.layers[0].dense.kernel.numpy().copy()
    target.layers[0].fail_loading = True
    with pytest.raises(ValueError, match="cannot load"):
        target.load_weights(path)
    np.testing.assert_array_equal(target.layers[0].dense.kernel.numpy(), before)


def test_objects_to_skip_and_keras_argument_checks(tmp_path):
    def mlp():
        return nd.Sequential([nd.Input((3,)), L.Dense(4), L.Dense(2)])

    model, other = mlp(), mlp()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path, objects_to_skip=[model.layers[0]])
    before = other.layers[0].kernel.numpy().copy()
    other.load_weights(path, objects_to_skip=[other.layers[0]])
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), before)
    np.testing.assert_array_equal(other.layers[1].kernel.numpy(), model.layers[1].kernel.numpy())
    keras_path = tmp_path / "m.keras"
    model.save(keras_path)
    with pytest.raises(ValueError, match="only supports loading '.weights.h5' files"):
        other.load_weights(keras_path, objects_to_skip=[])
    with pytest.raises(ValueError, match="only supports loading legacy '.h5'"):
        other.load_weights(keras_path, by_name=True)
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        other.load_weights(keras_path, bad=1)
    with pytest.raises(ValueError, match="argument is deprecated"):
        model.save(tmp_path / "m", save_format="keras")
    with pytest.raises(ValueError, match=r"argument\(s\) are not supported"):
        model.save(keras_path, nonsense=True)
    with pytest.raises(ValueError, match="should not end in"):
        model.save(keras_path, zipped=False)
    with pytest.raises(ValueError, match="File not found") as info:
        nd.models.load_model(tmp_path / "missing.keras")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(ValueError, match="File format not supported"):
        nd.models.load_model(tmp_path / "missing.pkl")


def test_layers_in_nested_containers_and_aliases(tmp_path):
    class Blocks(nd.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [[L.Dense(4), L.Dense(4)], (L.Dense(4),)]
            self.blocks.append(self.blocks)  # a cycle must not loop forever
            self.head = L.Dense(2)

        def call(self, x):
            for layer in (*self.blocks[0], *self.blocks[1]):
                x = layer(x)
            return self.head(x)

        @property
        def first(self):  # another way to reach a layer: read from its stored entry too
            return self.blocks[0][0]

    model = Blocks()
    x = np.random.default_rng(0).random((2, 3)).astype("float32")
    model(x)
    path = tmp_path / "b.weights.h5"
    model.save_weights(path)
    other = Blocks()
    other(x)
    other.load_weights(path)
    np.testing.assert_allclose(other(x).numpy(), model(x).numpy())
    import h5py

    with h5py.File(path) as f:
        assert "blocks/container/dense/vars/0" in f and "blocks/container_1/dense/vars" in f


def test_file_objects_and_directories(tmp_path):
    model = nd.Sequential([nd.Input((2,)), L.Dense(3)])
    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    buffer.seek(0)
    loaded = saving_lib.load_model(buffer)
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    model.save(tmp_path / "as_dir", zipped=False)
    assert sorted(os.listdir(tmp_path / "as_dir")) == ["config.json", "metadata.json",
                                                         "model.weights.h5"]
    assert nd.models.load_model(tmp_path / "as_dir").count_params() == 9


def test_sharded_weights_round_trip(tmp_path):
    model = nd.Sequential([nd.Input((64,)), L.Dense(64), L.Dense(64)])
    path = tmp_path / "w.weights.json"
    model.save_weights(path, max_shard_size=20000 / 1024 ** 3)
    index = json.loads(path.read_text())
    shards = sorted(n for n in os.listdir(tmp_path) if n.endswith(".weights.h5"))
    assert len(shards) >= 2 and set(index) == {"metadata", "weight_map"}
    other = nd.Sequential([nd.Input((64,)), L.Dense(64), L.Dense(64)])
    other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), model.get_weights()))
    before = {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)}
    broken = nd.Sequential([nd.Input((3,)), Counter()])
    broken.layers[0].save_own_variables = None  # calling it fails half-way through the save
    with pytest.raises(TypeError):
        broken.save_weights(path, max_shard_size=1.0)
    assert {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)} == before


def test_store_classes(tmp_path):
    store = H5IOStore(tmp_path / "s.h5", mode="w")
    entry = store.make("vars")
    entry["a"], entry["b"] = np.ones(3), 7
    del entry["b"]
    store.close()
    entry = H5IOStore(tmp_path / "s.h5", mode="r").get("vars")
    assert list(entry.keys()) == ["a"] and entry["a"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="only allowed in write mode"):
        entry["c"] = 1
    with pytest.raises(TypeError, match="`path_or_io` should be"):
        H5IOStore(None, mode="w")
    sharded = ShardedH5IOStore(tmp_path / "s.json", max_shard_size=4e-6, mode="w")
    vars_store = sharded.make("layer")
    vars_store["0"], vars_store["1"] = np.zeros(600, "float32"), np.ones(600, "float32")
    assert len(sharded.sharding_config["weight_map"]["/layer/vars"]) == 2
    with pytest.raises(ValueError, match="exceeds the maximum shard size"):
        vars_store["2"] = np.zeros(10000)
    sharded.close()
    read = ShardedH5IOStore(tmp_path / "s.json", mode="r").get("layer")
    assert len(read) == 2 and read["1"].sum() == 600
    with pytest.raises(KeyError, match="not found in any of the shards"):
        read["9"]


def test_guards_against_bombs_and_escaping_paths(tmp_path):
    path = tmp_path / "bomb.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (2 ** 50,)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("w.npy", header.getvalue())
    with pytest.raises(ValueError, match="Refusing to load npz weight 'w'"):
        NpzIOStore(path, mode="r").get("w")
    store = DiskIOStore("assets", mode="w")
    for bad in ("../escape", "a/../../escape", "..\\escape"):
        with pytest.raises(ValueError, match="Invalid asset path"):
            store.make(bad)
        assert not store.has_path(bad)
    store.close()
    archive = tmp_path / "bomb.keras"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", b'{"x":"' + b" " * 200_000 + b'"}')
        zf.writestr("model.weights.h5", b"")
    with mock.patch.object(saving_lib, "_ZIP_MEMBER_BOMB_FLOOR_BYTES", 64), \
            pytest.raises(ValueError, match="decompression bomb"):
        saving_lib.load_model(archive)


def test_clone_model_copies_the_architecture_with_new_weights():
    inputs = nd.Input((3,))
    shared = L.Dense(3, name="shared")
    outputs = L.Dense(2)(shared(shared(inputs)) + 1.0)
    model = nd.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    copy = nd.models.clone_model(model)
    assert copy.compiled and len(copy.layers) == len(model.layers)
    assert all(a is not b for a, b in zip(copy.layers[1:], model.layers[1:]))
    copy.set_weights(model.get_weights())
    x = np.random.default_rng(1).random((2, 3)).astype("float32")
    np.testing.assert_allclose(copy(x).numpy(), model(x).numpy())

    def add_dropout(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        return L.Dropout(0.5)(out) if isinstance(layer, L.Dense) else out

    wrapped = nd.models.clone_model(model, clone_function=lambda layer: layer,
                                    call_function=add_dropout)
    assert sum(isinstance(la, L.Dropout) for la in wrapped.layers) == 3  # one per call
    with pytest.raises(ValueError, match="same structure as model.input"):
        nd.models.clone_model(model, input_tensors={"a": nd.Input((3,))})


def test_overridden_compile_is_not_called_on_load(tmp_path):
    class OwnCompile(nd.Sequential):
        def compile(self, *args, **kwargs):
            super().compile(*args, **kwargs)

    model = OwnCompile([nd.Input((2,)), L.Dense(1)])
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="`compile\\(\\)` was not called as part of model "
                                         "loading"):
        loaded = nd.models.load_model(tmp_path / "m.keras",
                                      custom_objects={"OwnCompile": OwnCompile})
    assert not loaded.compiled
