"""Optimizers with Keras 3 semantics, updating numdeep Variables in place, and schedules.

Every optimizer runs Keras's ``apply(grads, variables)`` pipeline and keeps its state as Keras
does (``variables``: the iteration count, the learning rate, then the slots), plus
``state_dict()`` for exact resumes.

Example:
    >>> from numdeep import optimizers
    >>> opt = optimizers.get("adam")
    >>> type(opt).__name__, opt.get_config()["learning_rate"], opt.epsilon
    ('Adam', 0.001, 1e-07)
    >>> sgd = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.1}})
    >>> float(sgd.learning_rate)  # the float32 variable Keras keeps
    0.10000000149011612
"""

from numdeep import registry
from numdeep.optimizers import schedules
from numdeep.optimizers.adadelta import Adadelta
from numdeep.optimizers.adafactor import Adafactor
from numdeep.optimizers.adagrad import Adagrad
from numdeep.optimizers.adam import Adam
from numdeep.optimizers.adamax import Adamax
from numdeep.optimizers.adamw import AdamW
from numdeep.optimizers.base import Optimizer
from numdeep.optimizers.ftrl import Ftrl
from numdeep.optimizers.lamb import Lamb
from numdeep.optimizers.lion import Lion
from numdeep.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from numdeep.optimizers.muon import Muon
from numdeep.optimizers.nadam import Nadam
from numdeep.optimizers.rmsprop import RMSprop
from numdeep.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from numdeep.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adafactor",
           "Adamax", "Ftrl", "Lamb", "Lion", "Muon", "Nadam", "ScheduleFreeAdamW",
           "MultiOptimizer", "OptimizerMap", "schedules", "get", "serialize", "deserialize"]

_KIND = registry.Kind("optimizer", "keras.optimizers", base=Optimizer, case_insensitive=True)
for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adafactor, Adamax, Ftrl, Lamb, Lion,
             Muon, Nadam, ScheduleFreeAdamW, MultiOptimizer):
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
        identifier: an ``Optimizer`` (returned as is), a string, a Keras config dict, or None.
        custom_objects: optional ``{name: class}`` extra names.

    Returns:
        An ``Optimizer`` instance (new, with default arguments, for strings); None for None.
    """
    if identifier is None:
        return None
    if not isinstance(identifier, Optimizer | str | dict):
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                         "string, an Optimizer instance or a config dict.")
    return _KIND.get(identifier, custom_objects)
