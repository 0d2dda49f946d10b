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

_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam)
_BY_KEY = {cls.__name__.lower(): cls for cls in _CLASSES}


def _lookup(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _BY_KEY.get(str(name).lower().replace("_", ""))
    if cls is None:
        known = ", ".join(repr(c.__name__.lower()) for c in _CLASSES)
        raise ValueError(f"Unknown optimizer {name!r}. Known optimizers: {known} "
                         "(case-insensitive; Keras class names are accepted).")
    return cls


def serialize(optimizer):
    """Return the Keras dict form ``{'module', 'class_name', 'config', 'registered_name'}``."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Create an optimizer from ``{'class_name': ..., 'config': {...}}`` (Keras form).

    The class is resolved by ``class_name`` (never by the ``module`` string).
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize() expects a dict with 'class_name' and 'config'. "
                         f"Received: {config!r}")
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier):
    """Resolve an optimizer from a name (``'adam'``, ``'SGD'``), an instance, or a config dict.

    Args:
        identifier: an ``Optimizer`` (returned as is), a string, or a Keras config dict.

    Returns:
        An ``Optimizer`` instance (new, with default arguments, for strings).
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                     "string, an Optimizer instance or a config dict.")
