"""Optimizers with Keras 3 semantics: SGD, Adam, AdamW, RMSprop, Adagrad, Nadam, and schedules.

Every optimizer updates the variables' arrays in place through ``apply(grads, variables)`` and
keeps its state explicit (``state_dict()``, ``variables()`` in Keras order).

Example:
    >>> from numdeep import optimizers
    >>> opt = optimizers.get("adam")
    >>> type(opt).__name__, opt.learning_rate, opt.epsilon
    ('Adam', 0.001, 1e-07)
    >>> optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.1}}).learning_rate
    0.1
"""

from numdeep import registry
from numdeep.optimizers import schedules
from numdeep.optimizers.adagrad import Adagrad
from numdeep.optimizers.adam import Adam
from numdeep.optimizers.adamw import AdamW
from numdeep.optimizers.base import Optimizer
from numdeep.optimizers.nadam import Nadam
from numdeep.optimizers.rmsprop import RMSprop
from numdeep.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "schedules",
           "get", "serialize", "deserialize"]

_KIND = registry.Kind("optimizer", "keras.optimizers", base=Optimizer, case_insensitive=True)
for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam):
    _KIND.register(_cls)


def serialize(optimizer):
    """Return the Keras dict form ``{'module', 'class_name', 'config', 'registered_name'}``."""
    return _KIND.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Create an optimizer from ``{'class_name': ..., 'config': {...}}`` (Keras form).

    The class is resolved by ``class_name`` (never by the ``module`` string).
    """
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Resolve an optimizer from a name (``'adam'``, ``'SGD'``), an instance, or a config dict.

    Args:
        identifier: an ``Optimizer`` (returned as is), a string, or a Keras config dict.
        custom_objects: optional ``{name: class}`` extra names.

    Returns:
        An ``Optimizer`` instance (new, with default arguments, for strings).
    """
    if not isinstance(identifier, Optimizer | str | dict):
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                         "string, an Optimizer instance or a config dict.")
    return _KIND.get(identifier, custom_objects)
