"""The one registry behind every kind's ``get``/``serialize``/``deserialize``."""

import pytest

import numdeep as nd
from numdeep import (
    activations,
    initializers,
    losses,
    metrics,
    optimizers,
    registry,
    regularizers,
)
from numdeep.optimizers import schedules


def test_every_kind_is_one_registry_entry():
    assert set(registry.KINDS) >= {"activation", "initializer", "regularizer", "loss", "metric",
                                   "optimizer", "schedule", "layer"}
    assert registry.kind("layer").classes["Dense"] is nd.layers.Dense
    assert registry.kind("layer").find("Convolution2D") is nd.layers.Conv2D
    assert registry.kind("layer").find("Functional") is nd.models.Functional


@pytest.mark.parametrize("module, name, expected", [
    (initializers, "glorot_uniform", initializers.GlorotUniform),
    (regularizers, "l2", regularizers.L2),
    (losses, "MeanSquaredError", losses.MeanSquaredError),  # "mse" gives the function (Keras)
    (optimizers, "ADAM", optimizers.Adam),
    (metrics, "auc", metrics.AUC),
])
def test_get_serialize_deserialize_round_trip(module, name, expected):
    obj = module.get(name)
    assert type(obj) is expected
    config = module.serialize(obj)
    assert config["class_name"] == expected.__name__
    again = module.deserialize(config)
    assert type(again) is expected and again.get_config() == obj.get_config()
    assert module.serialize(None) is None


def test_schedule_round_trip_and_activation_names():
    s = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert schedules.get(schedules.serialize(s)).get_config() == s.get_config()
    assert activations.serialize(activations.swish) == "silu"
    assert activations.get("swish") is activations.silu


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot'.*'glorot_uniform'"):
        initializers.get("glorot")


def test_custom_object_scope_and_global_custom_objects():
    def my_act(x):
        return x

    with pytest.raises(ValueError):
        activations.get("my_act")
    with registry.custom_object_scope({"my_act": my_act}):
        assert activations.get("my_act") is my_act
    with pytest.raises(ValueError):
        activations.get("my_act")
    registry.get_custom_objects()["my_act"] = my_act
    try:
        assert activations.get("my_act") is my_act
    finally:
        del registry.get_custom_objects()["my_act"]


def test_register_serializable_names_a_user_class():
    @registry.register_serializable(package="RegistryTest")
    class Twice(nd.layers.Layer):
        def call(self, x):
            return x * 2.0

    assert registry.get_registered_name(Twice) == "RegistryTest>Twice"
    entry = nd.layers.serialize(Twice(name="t"))
    assert entry["registered_name"] == "RegistryTest>Twice"
    assert type(nd.layers.deserialize(entry)) is Twice
