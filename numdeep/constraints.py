"""Weight constraints with Keras's names: applied to a weight after each optimizer update.

A constraint is called as ``constraint(w)`` on the weight's array (or Tensor) and returns the
projected value; ``layer.add_weight(constraint=...)`` (or a layer's ``kernel_constraint``)
attaches it and the optimizer applies it after updating the weight.

Example:
    >>> import numpy as np
    >>> from numdeep import constraints
    >>> constraints.NonNeg()(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> constraints.get("max_norm").get_config()
    {'max_value': 2.0, 'axis': 0}
"""

import numpy as np

from numdeep import registry
from numdeep.autograd import data_of
from numdeep.backend import epsilon

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "get", "serialize",
           "deserialize"]


class Constraint(registry.Configurable):
    """Base class: subclasses implement ``__call__(w) -> projected w`` and ``get_config``."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales weight vectors (slices along ``axis``) whose L2 norm exceeds ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = np.asarray(data_of(w))
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (epsilon() + norms))).astype(w.dtype)

    def get_config(self):
        return {"max_value": float(self.max_value), "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = np.asarray(data_of(w))
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Rescales weight vectors (slices along ``axis``) to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = np.asarray(data_of(w))
        return (w / (epsilon() + _norms(w, self.axis))).astype(w.dtype)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps the L2 norm of weight vectors within ``[min_value, max_value]``; ``rate`` < 1 moves
    only part of the way each step."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = np.asarray(data_of(w))
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return (w * (desired / (epsilon() + norms))).astype(w.dtype)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


_KIND = registry.Kind("constraint", "keras.constraints", base=Constraint)
for _cls, *_aliases in ((Constraint,), (MaxNorm, "max_norm"), (NonNeg, "non_neg"),
                        (UnitNorm, "unit_norm"), (MinMaxNorm, "min_max_norm")):
    _KIND.register(_cls, *_aliases)


def serialize(constraint):
    """The Keras config dict of a constraint (``None`` for ``None``)."""
    return _KIND.serialize(constraint)


def deserialize(config, custom_objects=None):
    """A constraint from its Keras config dict."""
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """A constraint from ``None``, a name, a config dict, an instance or a callable."""
    return _KIND.get(identifier, custom_objects)
