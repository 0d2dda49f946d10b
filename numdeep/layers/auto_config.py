"""Keras's auto-config: a user layer (or model) class that defines no ``get_config`` still
saves when its constructor took only plain values (numbers, strings, booleans, ``None``, and
lists/tuples/dicts of them); those arguments become its config.

Example:
    >>> import numdeep as nd
    >>> class Scale(nd.layers.Layer):
    ...     def __init__(self, factor, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return x * self.factor
    >>> config = Scale(2.0, name="s").get_config()
    >>> config["factor"], config["name"]
    (2.0, 's')
    >>> Scale.from_config(config).factor
    2.0
"""

import functools
import inspect
import os

from numdeep import tree

__all__ = ["wrap_init", "merge_auto_config", "is_library_function"]

_PLAIN = (str, int, float, bool, type(None))


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_library_function(fn):
    """Whether ``fn`` is numdeep's own code (not a user's, nor one a doctest defines)."""
    code = getattr(fn, "__code__", None)
    return code is not None and os.path.abspath(code.co_filename).startswith(_PACKAGE + os.sep)


def _plain_arguments(init, args, kwargs):
    names = inspect.getfullargspec(init).args[1:]
    config = dict(kwargs)
    config.update(zip(names, args))
    try:
        leaves = tree.flatten(config)
    except TypeError:
        return None
    return config if all(isinstance(v, _PLAIN) for v in leaves) else None


def wrap_init(init):
    """``init`` made to remember the arguments of the outermost constructor call."""

    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        if "_auto_config" not in self.__dict__:
            object.__setattr__(self, "_auto_config", _plain_arguments(init, args, kwargs))
        init(self, *args, **kwargs)

    wrapped._numdeep_auto_config = True
    return wrapped


def merge_auto_config(layer, config):
    """``config`` plus the remembered constructor arguments, when no class of ``layer`` outside
    numdeep defines ``get_config`` (keys the constructor does not take are dropped)."""
    auto = layer.__dict__.get("_auto_config")
    owner = next((k for k in type(layer).__mro__ if "get_config" in vars(k)), None)
    if auto is None or owner is None or not is_library_function(vars(owner)["get_config"]):
        return config
    config = {**config, **auto}
    spec = inspect.getfullargspec(type(layer).__init__)
    if spec.varkw is None:
        accepted = set(spec.args[1:]) | set(spec.kwonlyargs)
        config = {k: v for k, v in config.items() if k in accepted}
    return config
