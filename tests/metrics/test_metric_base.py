"""The ``Metric`` contract: state in variables, Keras-style custom metrics, tracking, resets,
the stateless forms, pickling, and results turned into Python floats by ``fit``."""

import pickle

import numpy as np
import pytest

import numdeep as nd
from numdeep import metrics, ops
from numdeep.autograd import Tensor, Variable


class SquaredErrorSum(metrics.Metric):
    """A metric written as the Keras guide writes one."""

    def __init__(self, name="squared_error_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.seen = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum((ops.convert_to_tensor(y_true) - y_pred) ** 2))
        self.seen.assign(self.seen + len(y_true))

    def result(self):
        return self.total / ops.cast(self.seen, "float32")

    def reset_state(self):
        # Uses attributes created after super().__init__: the constructor must not call it.
        self.total.assign(0.0)
        self.seen.assign(0)


def test_keras_style_custom_metric_keeps_state_in_variables():
    m = SquaredErrorSum()
    assert [v.name for v in m.variables] == ["total", "seen"]
    assert [v.path for v in m.variables] == ["squared_error_sum/total", "squared_error_sum/seen"]
    assert all(isinstance(v, Variable) and not v.trainable for v in m.variables)
    m.update_state(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    m.update_state(np.array([3.0]), np.array([1.0]))
    assert float(m.result()) == pytest.approx(9.0 / 3)
    assert m.seen.numpy() == 3 and m.seen.dtype == np.int32
    m.reset_state()
    assert float(m.total.numpy()) == 0.0 and m.seen.numpy() == 0


def test_default_reset_zeroes_every_variable_and_constructor_resets_nothing():
    class Counter(metrics.Metric):
        def __init__(self):
            super().__init__(name="counter")
            self.n = self.add_weight(shape=(2,), initializer="ones", name="n")

        def update_state(self, values):
            self.n.assign_add(values)

        def result(self):
            return self.n

    m = Counter()
    np.testing.assert_array_equal(m.n.numpy(), [1.0, 1.0])  # the initializer, untouched
    m.update_state([2.0, 3.0])
    np.testing.assert_array_equal(m.result().numpy(), [3.0, 4.0])
    m.reset_state()
    np.testing.assert_array_equal(m.n.numpy(), [0.0, 0.0])


def test_forgetting_super_init_is_a_clear_error():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros", name="total")

    with pytest.raises(RuntimeError, match=r"Broken: you forgot to call `super\(\).__init__\(\)`"):
        Broken()


def test_variables_and_sub_metrics_are_tracked_wherever_they_are_assigned():
    m = SquaredErrorSum()
    m.more = [Variable(0.0), {"a": Variable(1.0), "b": [Variable(2.0)]}]
    assert len(m.variables) == 5
    m = SquaredErrorSum()
    m.parts = {"x": SquaredErrorSum(name="x"), "y": [SquaredErrorSum(name="y")]}
    m.parts["x"].nested = SquaredErrorSum(name="z")
    assert len(m.variables) == 2 + 2 + 2 + 2
    m.reset_state()  # SquaredErrorSum's own reset: its two variables
    mean = metrics.Mean()
    mean.inner = metrics.Sum()
    mean.inner.update_state([5.0])
    mean.reset_state()  # the default reset reaches sub-metrics' variables too
    assert float(mean.inner.result()) == 0.0


def test_stateless_forms_leave_the_metric_unchanged():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    state = [v.numpy().copy() for v in m.variables]
    new = m.stateless_update_state([Tensor(np.float32(10.0)), Tensor(np.float32(2.0))], [4.0])
    assert [float(v) for v in new] == [14.0, 3.0]
    assert float(m.stateless_result(new)) == pytest.approx(14.0 / 3)
    assert [float(v) for v in m.stateless_reset_state()] == [0.0, 0.0]
    assert [v.numpy() for v in m.variables] == state and float(m.result()) == 2.0
    with pytest.raises(ValueError, match="corresponding 1:1 to Mean"):
        m.stateless_result([0.0])


def test_results_are_tensors_of_the_metric_dtype():
    m = metrics.Mean(dtype="float64")
    m.update_state([1.0, 2.0])
    result = m.result()
    assert isinstance(result, Tensor) and result.dtype == np.float64 and result.shape == ()
    s = metrics.Sum()
    s.update_state([1.0])
    first = s.result()
    s.update_state([2.0])
    assert float(first) == 1.0 and float(s.result()) == 3.0  # a result is a snapshot
    assert metrics.Mean().dtype == "float32"
    with pytest.raises(AttributeError):
        m.dtype = "float16"
    assert metrics.MeanIoU(num_classes=2).total_cm.dtype == np.int32  # counts in int32
    assert metrics.Precision(thresholds=[0.3, 0.6])(np.ones(2), np.ones(2)).shape == (2,)


@pytest.mark.parametrize("metric", [metrics.MeanSquaredError(), metrics.AUC(),
                                    metrics.get("huber"), metrics.F1Score()],
                         ids=lambda m: m.name)
def test_metrics_pickle(metric):
    clone = pickle.loads(pickle.dumps(metric))
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()


def test_unnamed_metrics_get_unique_keras_names():
    nd.backend.clear_session()
    assert [metrics.AUC().name, metrics.AUC().name] == ["auc", "auc_1"]
    assert metrics.MeanIoU(num_classes=2).name == "mean_io_u"


def test_fit_reports_python_floats_every_batch_and_epoch():
    nd.backend.clear_session()
    seen = []
    model = nd.Sequential([nd.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy", metrics.AUC(), SquaredErrorSum()])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.integers(0, 2, (32, 1))
    callback = nd.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(logs))
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    assert set(history.history) == {"loss", "accuracy", "auc", "squared_error_sum"}
    for values in history.history.values():
        assert all(type(v) is float for v in values)
    assert all(type(v) is float for logs in seen for v in logs.values())
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert all(type(v) is float for v in logs.values())
