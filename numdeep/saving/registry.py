"""The allow-list as the file readers see it, over ``numdeep.registry``.

Nothing is ever imported from a config's ``module`` string: a name resolves to a numdeep class
(layers, models, optimizers, schedules, initializers, regularizers, constraints, losses,
metrics), a numdeep function (activations, loss and metric functions), an object registered with
``register_serializable``, or an entry of the caller's ``custom_objects`` — or it is refused.
"""

import inspect

from numdeep import (  # noqa: F401 - importing each kind's module registers its built-ins
    activations,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    random,
    regularizers,
)
from numdeep.registry import (
    find_registered_function,
    get_registered_name,
    get_registered_object,
    is_registered,
    kind,
    register_serializable,
)

__all__ = ["register_serializable", "get_registered_name", "get_registered_object",
           "is_registered", "find_registered_function", "builtin_classes", "lookup_class",
           "lookup_function", "is_model_class", "CATEGORIES"]

CATEGORIES = ("layer", "optimizer", "schedule", "initializer", "regularizer", "constraint",
              "loss", "metric", "seed_generator")


def builtin_classes(category):
    """``{Keras class name: numdeep class}`` of one category (``'layer'``, ``'initializer'``...),
    Keras's aliases (``'Convolution2D'``, ``'Functional'``) included."""
    table = kind(category)
    aliases = {k: v for k, v in table.aliases.items() if inspect.isclass(v) and k[:1].isupper()}
    return {**table.classes, **aliases}


def base_class(category):
    """The base class every object of ``category`` derives from."""
    return kind(category).base


def lookup_class(class_name, registered_name=None, category=None, custom_objects=None):
    """Resolve a class by registered name, then class name; ``None`` when not allowed.

    ``category`` restricts built-ins to one table (``'Identity'`` is both a layer and an
    initializer); without it the first category that knows the name wins.
    """
    for key in (registered_name, class_name):
        if key:
            obj = get_registered_object(key, custom_objects)
            if inspect.isclass(obj):
                return obj
    for cat in [category] if category in CATEGORIES else CATEGORIES:
        cls = builtin_classes(cat).get(class_name)
        if cls is not None:
            return cls
    return None


def lookup_function(name, registered_name=None, category=None, custom_objects=None):
    """Resolve a function entry (activation, loss or metric function); ``None`` when unknown.
    Metric entries may name loss functions too (Keras compiles losses as metrics)."""
    cats = {"activation": ("activation",), "loss": ("loss",), "metric": ("metric", "loss")}
    for cat in cats.get(category, ("activation", "loss", "metric")):
        fn = kind(cat).find_function(name, registered_name, custom_objects)
        if fn is not None:
            return fn
    return None


def is_model_class(cls, subclasses=False):
    """Whether ``cls`` is numdeep's ``Model`` or ``Sequential`` (configs built by
    ``model_config``), or with ``subclasses``, any model class."""
    if subclasses:
        return inspect.isclass(cls) and issubclass(cls, models.Model)
    return cls in (models.Model, models.Sequential, getattr(models, "Functional", models.Model))
