"""Learning-rate schedules: Keras formulas, validation and serialization."""

import math

import pytest

from numdeep.optimizers import schedules


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    for step in (0, 1, 7, 10, 25):
        assert s(step) == pytest.approx(0.1 * 0.9 ** (step / 10))
    stair = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9, staircase=True)
    assert [stair(k) for k in (0, 9, 10, 19, 20)] == pytest.approx(
        [0.1, 0.1, 0.09, 0.09, 0.081])


def test_piecewise_constant_decay_boundaries_are_inclusive():
    s = schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    assert [s(k) for k in (0, 100, 101, 110, 111, 10**6)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        schedules.PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1])


def test_polynomial_decay():
    s = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5)
    for step in (0, 3, 10, 50):
        p = min(step, 10) / 10
        assert s(step) == pytest.approx((0.1 - 0.01) * (1 - p) ** 0.5 + 0.01)
    cyc = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert cyc(0) == 1.0
    assert cyc(15) == pytest.approx(1 - 15 / 20)  # horizon is the next multiple: 20
    assert cyc(20) == pytest.approx(0.0)


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(0.1, decay_steps=5, decay_rate=0.5)
    assert s(7) == pytest.approx(0.1 / (1 + 0.5 * 7 / 5))
    stair = schedules.InverseTimeDecay(0.1, decay_steps=5, decay_rate=0.5, staircase=True)
    assert stair(7) == pytest.approx(0.1 / 1.5)


def test_cosine_decay_with_and_without_warmup():
    s = schedules.CosineDecay(0.1, decay_steps=100, alpha=0.2)
    for step in (0, 30, 100, 500):
        frac = min(step, 100) / 100
        assert s(step) == pytest.approx(0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * frac)) + 0.2))
    w = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    assert w(0) == 0.0 and w(5) == pytest.approx(0.5) and w(10) == pytest.approx(1.0)
    assert w(60) == pytest.approx(0.5) and w(110) == pytest.approx(0.0) and w(999) == w(110)


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert s(0) == pytest.approx(1.0)
    assert s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(0.5)  # restart at half the initial rate
    assert s(20) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))  # period 2 is 20
    assert s(30) == pytest.approx(0.25)  # second restart
    flat = schedules.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0)
    assert flat(4) == pytest.approx(1.0) and flat(6) == pytest.approx(0.5)


@pytest.mark.parametrize("cls,args", [
    (schedules.ExponentialDecay, (0.1, 0, 0.5)),
    (schedules.InverseTimeDecay, (0.1, -1, 0.5)),
    (schedules.PolynomialDecay, (0.1, 0)),
    (schedules.CosineDecay, (0.1, 0)),
    (schedules.CosineDecayRestarts, (0.1, 0)),
])
def test_decay_steps_must_be_positive(cls, args):
    with pytest.raises(ValueError, match="must be > 0"):
        cls(*args)


ALL = [
    schedules.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 100, 0.001, power=2.0, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=5),
    schedules.CosineDecayRestarts(0.1, 50, t_mul=1.5, m_mul=0.9, alpha=0.01),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    data = schedules.serialize(schedule)
    assert data["class_name"] == type(schedule).__name__
    assert data["module"] == "keras.optimizers.schedules" and data["registered_name"] is None
    again = schedules.deserialize(data)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(k) for k in (0, 7, 60)] == [schedule(k) for k in (0, 7, 60)]
    assert schedules.get(data).get_config() == schedule.get_config()
    assert schedules.get(schedule) is schedule


def test_keras_config_dict_and_errors():
    keras_form = {"class_name": "ExponentialDecay",
                  "config": {"initial_learning_rate": 0.01, "decay_steps": 100,
                             "decay_rate": 0.5, "staircase": False, "name": "ExponentialDecay"}}
    assert schedules.deserialize(keras_form)(100) == pytest.approx(0.005)
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError):
        schedules.get("exponential_decay")
    with pytest.raises(ValueError):
        schedules.serialize(lambda step: 0.1)


def test_custom_schedule_via_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate / 2**step

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    data = schedules.serialize(Halving(1.0))
    assert schedules.deserialize(data, custom_objects={"Halving": Halving})(2) == 0.25
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)
