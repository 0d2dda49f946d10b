"""The allow-list: every class and function a config may name, looked up by its Keras name.

Nothing is ever imported from a config's ``module`` string: a name resolves to a numdeep class
(layers, models, optimizers, schedules, initializers, regularizers, losses, metrics), a numdeep
function (activations, loss and metric functions), an object registered with
``register_serializable``, or an entry of the caller's ``custom_objects`` — or it is refused.
"""

import functools
import inspect

__all__ = ["register_serializable", "get_registered_name", "get_registered_object",
           "builtin_classes", "lookup_class", "lookup_function"]

_REGISTERED = {}  # "package>Name" -> class or function
_NAMES = {}  # id(object) -> "package>Name"


def register_serializable(package="Custom", name=None):
    """Decorator putting a user class or function on the allow-list under ``package>name``.

    Keras's ``register_keras_serializable`` semantics: saved configs carry
    ``"registered_name": "package>name"`` and loading finds the object by that name without
    ``custom_objects``. Classes must implement ``get_config`` (and ``from_config`` when the config
    is not simply the constructor's keyword arguments).

    Args:
        package: the namespace part of the registered name.
        name: the name part (default: the class's or function's ``__name__``).

    Returns:
        A decorator returning the object unchanged.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import register_serializable, get_registered_name
        >>> @register_serializable(package="Docs")
        ... class Double(nd.layers.Layer):
        ...     def call(self, x, training=False):
        ...         return x * 2.0
        >>> get_registered_name(Double)
        'Docs>Double'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_serializable: `package` must be a string without '>'. "
                         f"Received: {package!r}")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: the class has no get_config().")
        _REGISTERED[key] = obj
        _NAMES[id(obj)] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The registered name of ``obj`` (``'package>Name'``), else its ``__name__``."""
    return _NAMES.get(id(obj), getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None):
    """The object registered or given in ``custom_objects`` under ``name``, else ``None``."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _REGISTERED.get(name)


def is_registered(obj):
    return id(obj) in _NAMES


@functools.cache
def _tables():
    from numdeep import initializers, layers, losses, metrics, models, optimizers, regularizers
    from numdeep.optimizers import schedules

    def classes(module, base, exclude=()):
        return {name: obj for name, obj in vars(module).items()
                if inspect.isclass(obj) and issubclass(obj, base) and name[0] != "_"
                and name not in exclude}

    layer_table = classes(layers, layers.Layer)
    layer_table.update(Sequential=models.Sequential, Functional=models.Model, Model=models.Model)
    return {
        "layer": layer_table,
        "optimizer": classes(optimizers, optimizers.Optimizer),
        "schedule": classes(schedules, schedules.LearningRateSchedule),
        "initializer": classes(initializers, initializers.Initializer),
        "regularizer": classes(regularizers, regularizers.Regularizer),
        "loss": classes(losses, losses.Loss, exclude=("LossFunctionWrapper",)),
        "metric": classes(metrics, metrics.Metric, exclude=("MeanMetricWrapper",)),
    }


def builtin_classes(category):
    """``{Keras class name: numdeep class}`` of one category (``'layer'``, ``'initializer'``...)."""
    return _tables()[category]


CATEGORIES = ("layer", "optimizer", "schedule", "initializer", "regularizer", "loss", "metric")


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
    tables = [category] if category in CATEGORIES else CATEGORIES
    for cat in tables:
        cls = builtin_classes(cat).get(class_name)
        if cls is not None:
            return cls
    return None


@functools.cache
def _builtin_functions():
    from numdeep import activations, losses, metrics

    def functions(module):
        return {name: getattr(module, name) for name in getattr(module, "__all__", ())
                if inspect.isfunction(getattr(module, name, None))}

    acts = functions(activations)
    acts.update(swish=activations.silu, hard_swish=activations.hard_silu)
    loss_fns = {k: v for k, v in functions(losses).items()
                if k not in ("reduce_weighted_values", "get", "serialize", "deserialize")}
    acts = {k: v for k, v in acts.items() if k not in ("get", "serialize", "deserialize")}
    metric_fns = {k: v for k, v in functions(metrics).items()
                  if k not in ("get", "serialize", "deserialize")}
    for alias in ("mse", "mae", "mape", "msle"):
        loss_fns[alias] = losses.get(alias).fn
    return {"activation": acts, "loss": loss_fns, "metric": {**loss_fns, **metric_fns}}


def lookup_function(name, registered_name=None, category=None, custom_objects=None):
    """Resolve a function entry (activation, loss or metric function); ``None`` when unknown."""
    for key in (registered_name, name):
        if key:
            obj = get_registered_object(key, custom_objects)
            if obj is not None and callable(obj) and not inspect.isclass(obj):
                return obj
    tables = _builtin_functions()
    for cat in ([category] if category in tables else tables):
        fn = tables[cat].get(name)
        if fn is not None:
            return fn
    return None


def find_registered_function(name, module=None):
    """The registered function called ``name`` (and defined in ``module`` when given)."""
    for obj in _REGISTERED.values():
        if inspect.isfunction(obj) and obj.__name__ == name and module in (None,
                                                                          obj.__module__):
            return obj
    return None


def is_model_class(cls):
    """Whether ``cls`` is numdeep's ``Model`` or ``Sequential`` (configs built by
    ``model_config``)."""
    from numdeep import models

    return cls in (models.Model, models.Sequential)
