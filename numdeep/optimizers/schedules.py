"""Learning-rate schedules (Keras formulas), stepped per optimizer iteration.

A schedule is a callable ``schedule(step) -> float``; an optimizer evaluates it at its
``iterations`` before each update, so the first step uses ``schedule(0)``.

Example:
    >>> from numdeep.optimizers import schedules
    >>> s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(s(0), 6), round(s(10), 6), round(s(20), 6)
    (0.1, 0.05, 0.025)
    >>> schedules.deserialize(schedules.serialize(s)).get_config() == s.get_config()
    True
"""

import bisect
import math

from numdeep import registry

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize", "get",
]


def _positive(value, name, owner):
    if not value > 0:
        raise ValueError(f"{owner}: argument `{name}` must be > 0. Received: {name}={value}")
    return value


class LearningRateSchedule(registry.Configurable):
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / 2 ** step
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> Halving(1.0)(3)
        0.125
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: float, the rate at step 0.
        decay_steps: positive int, the steps over which the rate is multiplied by ``decay_rate``.
        decay_rate: float, the decay factor.
        staircase: if True, ``step / decay_steps`` is floored (the rate drops in steps).
        name: optional name.

    Example:
        >>> ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(3)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate) * float(self.decay_rate) ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` up to ``boundaries[i]``, ...

    Args:
        boundaries: increasing list of step numbers.
        values: list of rates, one longer than ``boundaries``.
        name: optional name.

    Example:
        >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> s(10), s(11), s(21)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of `boundaries` must be 1 less than the "
                f"length of `values`. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, values={values} of length {len(values)}.")
        if any(b >= c for b, c in zip(boundaries[:-1], boundaries[1:])):
            raise ValueError("PiecewiseConstantDecay: `boundaries` must be strictly increasing. "
                             f"Received: boundaries={boundaries}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        return float(self.values[bisect.bisect_left(self.boundaries, step)])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` in ``decay_steps``.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``; with
    ``cycle=True`` the horizon is the first multiple of ``decay_steps`` not below ``step``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive int.
        end_learning_rate: float, the final rate.
        power: float, the polynomial's power.
        cycle: whether to restart the decay after ``decay_steps``.
        name: optional name.

    Example:
        >>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
        >>> s(1), s(4), s(100)
        (0.75, 0.0, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        init, end = float(self.initial_learning_rate), float(self.end_learning_rate)
        return (init - end) * (1.0 - p) ** float(self.power) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive number.
        decay_rate: float.
        staircase: if True, ``step / decay_steps`` is floored.
        name: optional name.

    Example:
        >>> InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


def _cosine(fraction, alpha):
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup first (Keras formula).

    Without warmup: ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``
    with ``s = min(step, decay_steps)``. With ``warmup_target``: a linear ramp from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then the cosine decay
    from ``warmup_target``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive int, length of the decay.
        alpha: float, the final rate as a fraction of the decay's starting rate.
        name: optional name.
        warmup_target: optional float, the rate reached at the end of warmup.
        warmup_steps: int, length of the warmup.

    Example:
        >>> s = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
        >>> s(0), s(1), s(5), s(10), s(15)
        (0.0, 0.2, 1.0, 0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = float(step)
        init, alpha = float(self.initial_learning_rate), float(self.alpha)
        if self.warmup_target is None:
            return init * _cosine(min(step, self.decay_steps) / self.decay_steps, alpha)
        target, warmup = float(self.warmup_target), float(self.warmup_steps)
        step = min(step, self.decay_steps + warmup)
        if step < warmup:
            return (target - init) * (step / warmup) + init
        return target * _cosine((step - warmup) / self.decay_steps, alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR), Keras formula.

    Args:
        initial_learning_rate: float.
        first_decay_steps: positive int, length of the first period.
        t_mul: float, each period is ``t_mul`` times longer than the previous one.
        m_mul: float, each restart starts at ``m_mul`` times the previous starting rate.
        alpha: float, the minimum rate as a fraction of ``initial_learning_rate``.
        name: optional name.

    Example:
        >>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=1.0)
        >>> s(0), s(1), s(2)
        (1.0, 0.5, 1.0)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = _positive(first_decay_steps, "first_decay_steps",
                                           type(self).__name__)
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = float(step) / self.first_decay_steps
        t_mul = float(self.t_mul)
        if t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            restart = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            done = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul**restart
        m_fac = float(self.m_mul) ** restart
        alpha = float(self.alpha)
        decayed = (1.0 - alpha) * 0.5 * m_fac * (1.0 + math.cos(math.pi * fraction)) + alpha
        return float(self.initial_learning_rate) * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_KIND = registry.Kind("schedule", "keras.optimizers.schedules", base=LearningRateSchedule,
                      label="learning rate schedule")
for _cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
             CosineDecay, CosineDecayRestarts):
    _KIND.register(_cls)


def serialize(schedule):
    """Return the Keras dict form ``{'module', 'class_name', 'config', 'registered_name'}``."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"serialize() expects a LearningRateSchedule. Received: {schedule!r}")
    return _KIND.serialize(schedule)


def deserialize(config, custom_objects=None):
    """Create a schedule from ``{'class_name': ..., 'config': {...}}``.

    Args:
        config: the Keras dict form (extra keys such as ``module`` are ignored).
        custom_objects: optional ``{name: class}`` for user-defined schedules.
    """
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Return a schedule from an instance (as is) or a serialized dict."""
    if not isinstance(identifier, LearningRateSchedule | dict):
        raise ValueError(f"Could not interpret learning rate schedule: {identifier!r}")
    return _KIND.get(identifier, custom_objects)
