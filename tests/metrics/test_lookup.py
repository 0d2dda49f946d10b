"""Metric lookup and configs: names and aliases, loss names as metrics, user functions, the
registry, and the config round trip of every built-in metric (also through ``saving``)."""

import numpy as np
import pytest

import numdeep as nd
from numdeep import losses, metrics

RNG = np.random.default_rng(5)
REQUIRED = {
    metrics.IoU: {"num_classes": 3, "target_class_ids": [0, 2]},
    metrics.MeanIoU: {"num_classes": 3}, metrics.OneHotIoU: {"num_classes": 3,
                                                            "target_class_ids": [1]},
    metrics.OneHotMeanIoU: {"num_classes": 3}, metrics.SensitivityAtSpecificity: {
        "specificity": 0.5}, metrics.SpecificityAtSensitivity: {"sensitivity": 0.5},
    metrics.PrecisionAtRecall: {"recall": 0.5}, metrics.RecallAtPrecision: {"precision": 0.5},
}


def test_get_names_classes_and_callables():
    assert metrics.get("mse").name == "mse" and isinstance(metrics.get("mse"),
                                                           metrics.MeanSquaredError)
    assert isinstance(metrics.get("mean_squared_error"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("categorical_accuracy"), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("auc"), metrics.AUC) and metrics.get("auc").name == "auc"
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)
    assert isinstance(metrics.get("binary_crossentropy"), metrics.BinaryCrossentropy)
    assert metrics.get("top_k_categorical_accuracy").get_config()["k"] == 5
    inst = metrics.Recall()
    assert metrics.get(inst) is inst and metrics.get(None) is None
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    assert isinstance(metrics.get({"class_name": "Poisson", "config": {"name": "p"}}),
                      metrics.Poisson)
    with pytest.raises(ValueError, match=r"needs constructor arguments.*MeanIoU"):
        metrics.get("mean_io_u")
    with pytest.raises(ValueError, match=r"Unknown metric 'accuarcy'.*accuracy"):
        metrics.get("accuarcy")


def test_loss_names_and_user_functions_become_mean_metrics():
    y, p = RNG.normal(size=(8, 2)), RNG.normal(size=(8, 2))
    huber = metrics.get("huber")  # a loss without a metric class: its function, averaged
    assert huber.name == "huber" and huber.get_config()["fn"] is losses.huber
    assert float(huber(y, p)) == pytest.approx(losses.Huber()(y, p).item(), rel=1e-6)
    loss_metric = metrics.get(losses.Huber(delta=0.5))
    assert float(loss_metric(y, p)) == pytest.approx(losses.Huber(delta=0.5)(y, p).item(),
                                                     rel=1e-6)

    def my_metric(y_true, y_pred):
        return np.abs(y_true - y_pred)

    custom = metrics.get(my_metric)
    assert custom.name == "my_metric"
    assert float(custom(y, p)) == pytest.approx(np.abs(y - p).mean(), rel=1e-6)


def test_mean_metric_wrapper_config_round_trips_a_registered_function():
    @nd.saving.register_keras_serializable(package="lookup_test")
    def squared(y_true, y_pred):
        return (y_true - y_pred) ** 2

    m = metrics.MeanMetricWrapper(squared, name="sq", dtype="float32")
    clone = metrics.MeanMetricWrapper.from_config(m.get_config())
    assert clone.name == "sq" and len(clone.variables) == 2 and clone._fn is squared
    assert metrics.deserialize(metrics.serialize(m))._fn is squared
    # Keras writes the function as an entry; from_config resolves it through the registry.
    entry = {"module": "builtins", "class_name": "function", "config": "squared",
             "registered_name": "lookup_test>squared"}
    assert metrics.MeanMetricWrapper.from_config({"fn": entry, "name": "sq"})._fn is squared


@pytest.mark.parametrize("cls", metrics.CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    m = cls(name="custom", **REQUIRED.get(cls, {}))
    config = m.get_config()
    assert config["name"] == "custom"
    assert cls.from_config(config).get_config() == config
    assert type(metrics.deserialize(metrics.serialize(m))) is cls
    # saving's reader tells the metric Poisson from the loss Poisson by the entry's module.
    revived = nd.saving.deserialize_keras_object(nd.saving.serialize_keras_object(m))
    assert type(revived) is cls and revived.get_config() == config
