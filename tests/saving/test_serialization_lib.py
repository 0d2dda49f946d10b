"""Keras's ``serialize_keras_object``/``deserialize_keras_object`` semantics: the entry format of
every kind of value, registered and custom objects, shared objects, safe mode, and the errors
Keras raises (with numdeep's guarantee that nothing is imported and no code is loaded)."""

import json

import numpy as np
import pytest

import numdeep as nd
from numdeep import registry
from numdeep.saving import (
    ConfigTypeError,
    UnsafeFileError,
    deserialize_keras_object,
    serialize_keras_object,
)
from numdeep.saving.sharing import ObjectSharingScope, SafeModeScope


def _roundtrip(obj, **kwargs):
    entry = json.loads(json.dumps(serialize_keras_object(obj)))
    return entry, deserialize_keras_object(entry, **kwargs)


def test_special_values_round_trip():
    for value in ["a", 3, 1.5, True, None, [1, "b"], {"k": [1, 2]}]:
        assert _roundtrip(value)[1] == value
    assert _roundtrip(b"bytes")[1] == b"bytes"
    assert _roundtrip(slice(None, 20, 2))[1] == slice(None, 20, 2)
    assert _roundtrip(Ellipsis)[1] is Ellipsis
    entry, array = _roundtrip(np.array([[1, 2]], "int16"))
    assert entry["class_name"] == "__numpy__" and array.dtype == np.int16
    assert serialize_keras_object(np.float32(2.5)) == 2.5
    assert serialize_keras_object((1, (2, 3))) == (1, (2, 3))
    entry, tensor = _roundtrip(nd.Tensor(np.arange(3.0)))
    assert entry["class_name"] == "__tensor__" and tensor.numpy().tolist() == [0.0, 1.0, 2.0]


def test_functions_are_stored_by_name_never_by_code():
    def my_activation(x):
        return x * 3.0

    entry, fn = _roundtrip(my_activation, custom_objects={"my_activation": my_activation})
    assert entry == {"module": "builtins", "class_name": "function",
                     "config": "my_activation", "registered_name": "function"}
    assert fn is my_activation
    assert _roundtrip(nd.activations.relu)[1] is nd.activations.relu
    with pytest.raises(UnsafeFileError, match="not on the allow-list"):
        _roundtrip(my_activation)


def test_registered_objects_and_keras_3_6_function_names():
    @registry.register_keras_serializable(package="SerTest")
    def doubled(x):
        return x * 2.0

    entry = serialize_keras_object(doubled)
    assert entry["config"] == "SerTest>doubled"
    assert deserialize_keras_object(entry) is doubled
    old = {"module": "builtins", "class_name": "function", "config": "doubled",
           "registered_name": "function"}  # how Keras <= 3.6 wrote it
    assert deserialize_keras_object(old) is doubled
    assert registry.GLOBAL_CUSTOM_NAMES[doubled] == "SerTest>doubled"
    assert registry.get_custom_objects()["SerTest>doubled"] is doubled


def test_a_stray_registered_name_on_a_builtin_is_refused():
    base = {"class_name": "Dense", "module": "keras.layers", "config": {"units": 1}}
    for name in (None, "", "Dense"):
        assert isinstance(deserialize_keras_object({**base, "registered_name": name}),
                          nd.layers.Dense)
    with pytest.raises(ValueError, match="resolved to a Keras built-in"):
        deserialize_keras_object({**base, "registered_name": "builtins.eval"})
    with pytest.raises(ValueError, match="resolved to a Keras built-in"):
        deserialize_keras_object({"class_name": "function", "module": "builtins",
                                  "registered_name": "other", "config": "relu"})


def test_malformed_entries_raise_type_errors():
    with pytest.raises(TypeError, match="Expected 'config' to be a dict"):
        deserialize_keras_object({"class_name": "Dense", "config": [1, 2]})
    with pytest.raises(ConfigTypeError, match="non-null str"):
        deserialize_keras_object({"class_name": "function", "config": ["x"]})

    @registry.register_keras_serializable(package="SerTest")
    class NoFromConfig:
        def get_config(self):
            return {}

    with pytest.raises(TypeError, match="Unable to reconstruct an instance"):
        deserialize_keras_object(serialize_keras_object(NoFromConfig()))


def test_lambdas_are_refused_whatever_the_safe_mode():
    with pytest.warns(UserWarning, match="lambda"):
        entry = serialize_keras_object({"activation": lambda x: x})
    assert "__lambda__" not in json.dumps(entry) and "co_code" not in json.dumps(entry)
    with pytest.raises(ValueError, match="arbitrary code execution"):
        deserialize_keras_object(entry)
    with SafeModeScope(False), pytest.raises(UnsafeFileError, match="never loads Python code"):
        deserialize_keras_object(entry)


def test_custom_objects_reach_nested_from_config():
    def scale(x):
        return x * 2.0

    class Outer(nd.layers.Layer):
        def __init__(self, inner=None, **kwargs):
            super().__init__(**kwargs)
            self.inner = deserialize_keras_object(inner) if isinstance(inner, dict) else inner

        def get_config(self):
            return {**super().get_config(), "inner": self.inner}

    layer = Outer(inner=nd.layers.Dense(2, activation=scale))
    entry, again = _roundtrip(layer, custom_objects={"Outer": Outer, "scale": scale})
    assert entry["config"]["inner"]["class_name"] == "Dense"
    assert isinstance(again.inner, nd.layers.Dense) and again.inner.activation is scale


def test_shared_objects_are_read_back_as_one():
    class Holder(nd.layers.Layer):
        def __init__(self, reg=None, **kwargs):
            super().__init__(**kwargs)
            self.reg = reg

        def get_config(self):
            return {**super().get_config(), "reg": self.reg}  # the object itself

    reg = nd.regularizers.L2(0.5)
    with ObjectSharingScope():
        entries = serialize_keras_object([Holder(reg), Holder(reg)])
        ids = [e["config"]["reg"].get("shared_object_id") for e in entries]
        assert ids[0] is not None and ids[0] == ids[1]
        first, second = deserialize_keras_object(json.loads(json.dumps(entries)),
                                                 custom_objects={"Holder": Holder})
    assert isinstance(first.reg, nd.regularizers.L2) and first.reg is second.reg
    separate = deserialize_keras_object(json.loads(json.dumps(entries)),
                                        custom_objects={"Holder": Holder})
    assert separate[0].reg is not separate[1].reg  # outside a scope, ids are ignored


def test_layer_instances_and_auto_config_in_configs():
    dense = nd.layers.Dense(4, activation=nd.layers.LeakyReLU(negative_slope=0.2, name="lr"))
    dense.build((None, 3))
    _, again = _roundtrip(dense)
    assert isinstance(again.activation, nd.layers.LeakyReLU)
    assert again.activation.negative_slope == 0.2 and again.built

    class Plain(nd.layers.Layer):  # no get_config: its plain constructor arguments are used
        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale

    entry, again = _roundtrip(Plain(3, scale=0.5, name="p"), custom_objects={"Plain": Plain})
    assert entry["config"]["units"] == 3 and (again.units, again.scale, again.name) == (
        3, 0.5, "p")


def test_functional_models_with_ops_round_trip():
    inputs = nd.Input((3,))
    outputs = nd.ops.sum(inputs[:, 1:] * 2.0 + 1.0, axis=-1, keepdims=True)
    model = nd.Model(inputs, outputs)
    entry, again = _roundtrip(model)
    classes = [la["class_name"] for la in entry["config"]["layers"]]
    assert classes == ["InputLayer", "GetItem", "Multiply", "Add", "Sum"]
    assert entry["config"]["layers"][1]["module"] == "keras.src.ops.numpy"
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(again(x).numpy(), [[8.0], [20.0]])
    again_entry = json.loads(json.dumps(serialize_keras_object(again)))
    assert again_entry["config"]["layers"][1:] == entry["config"]["layers"][1:]


def test_keras_configs_with_op_arguments_in_the_config_load():
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "registered_name": "Functional", "config": {
                  "name": "f", "trainable": True,
                  "layers": [
                      {"module": "keras.layers", "class_name": "InputLayer", "name": "in",
                       "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "in"},
                       "registered_name": None, "inbound_nodes": []},
                      {"module": "keras.src.ops.numpy", "class_name": "Sum", "name": "sum",
                       "config": {"name": "sum", "axis": -1, "keepdims": True},
                       "registered_name": "Sum", "inbound_nodes": [{"args": [
                           {"class_name": "__keras_tensor__", "config": {
                               "shape": [None, 2], "dtype": "float32",
                               "keras_history": ["in", 0, 0]}}], "kwargs": {}}]}],
                  "input_layers": ["in", 0, 0], "output_layers": ["sum", 0, 0]}}
    model = deserialize_keras_object(config)
    assert model(np.array([[1.0, 2.0]], "float32")).numpy().tolist() == [[3.0]]
    config["config"]["layers"][1]["class_name"] = "Eval"
    with pytest.raises(UnsafeFileError, match="no numdeep counterpart"):
        deserialize_keras_object(config)
