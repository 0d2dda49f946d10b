"""Reading: the safe reader that turns Keras dicts back into objects (Keras's
``deserialize_keras_object``). Every ``class_name`` and function name goes through the
allow-list in ``registry``, the whole config is checked before the first constructor runs, and
nothing is imported and no code is loaded. (Writing them is ``serialization``.)"""

import inspect

import numpy as np

from numdeep.autograd import Tensor
from numdeep.ops.symbolic import KerasTensor
from numdeep.registry import custom_object_scope, record_shared, shared_object
from numdeep.saving import registry
from numdeep.saving.errors import ConfigTypeError, CorruptFileError, UnsafeFileError
from numdeep.saving.keras_compat import numdeep_layer_config
from numdeep.saving.serialization import category_of
from numdeep.saving.sharing import SafeModeScope, in_safe_mode
from numdeep.saving.special_entries import SpecialEntries

__all__ = ["deserialize", "Reader", "build_layer", "filter_kwargs"]

_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")
_FORBIDDEN = ("enable_unsafe_deserialization", "safe_mode")
_PATH_KEYS = ("filepath", "file_path", "filename", "path", "url", "vocabulary_path",
              "weights_path")
# Keras-only arguments that numdeep may drop whatever their value (they do not change results).
_HARMLESS_KEYS = ("autocast", "ema_momentum", "jit_compile", "sparse", "ragged", "optional",
                  "renorm_momentum", "input_length", "implementation", "time_major")
_NUMERIC = "fiub"


def deserialize(config, custom_objects=None, category=None, safe_mode=True, **kwargs):
    """Build an object from its Keras dict form (Keras's ``deserialize_keras_object``), through
    the allow-list only.

    The whole config is checked first (every class and function name must be a numdeep built-in,
    registered with ``register_keras_serializable`` or given in ``custom_objects``; no
    ``module`` is imported, no code is loaded); then the objects are constructed. Plain values,
    lists and dicts without ``class_name`` come back as they are, their entries read.

    Args:
        config: the dict form (or a list / plain value).
        custom_objects: ``{name: class or function}`` for user objects.
        category: where a name is ambiguous, the kind expected (``'layer'``,
            ``'initializer'``, ``'loss'``...).
        safe_mode: Keras's flag. numdeep never loads code either way; a lambda entry is refused
            with Keras's message when true, and asks for the function by name when false.

    Returns:
        The object.

    Raises:
        UnsafeFileError: a name not on the allow-list, code, or a forbidden key.
        ConfigTypeError: a malformed entry, or a class that cannot be rebuilt (a ``TypeError``).
        CorruptFileError: a config its class refuses.

    Example:
        >>> from numdeep.saving import deserialize
        >>> deserialize({"module": "keras.layers", "class_name": "Dense",
        ...              "config": {"units": 3, "name": "d"}}).units
        3
        >>> deserialize({"module": "os", "class_name": "system", "config": {}})
        Traceback (most recent call last):
        ...
        numdeep.saving.errors.UnsafeFileError: Refusing to load config (safe mode): config: \
Could not locate class 'system': class 'system' (module 'os') is not on the allow-list...
    """
    kwargs.pop("module_objects", None)
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    if config is None:
        return None
    if isinstance(config, str):
        user = registry.get_registered_object(config, custom_objects)
        if user is not None:
            return user
    Reader(custom_objects, build=False, safe_mode=safe_mode).value(config, "config", category)
    out = Reader(custom_objects, build=True, safe_mode=safe_mode).value(config, "config",
                                                                        category)
    return list(out) if isinstance(out, tuple) and isinstance(config, tuple) else out


def _hint(key, inherited=None):
    for suffix in ("initializer", "regularizer", "constraint", "activation"):
        if key.endswith(suffix):
            return suffix
    if key in ("layer", "layers", "cell", "cells", "forward_layer", "backward_layer"):
        return "layer"
    return {"optimizer": "optimizer", "learning_rate": "schedule", "loss": "loss",
            "metrics": "metric", "weighted_metrics": "metric", "dtype": "dtype"}.get(key,
                                                                                  inherited)


class Reader(SpecialEntries):
    """One pass over a config: with ``build=False`` it only checks, with ``build=True`` it also
    constructs. Errors name the position in the config (``config.layers[2].config.activation``).
    """

    def __init__(self, custom_objects=None, build=True, safe_mode=True):
        self.custom_objects = dict(custom_objects or {})
        self.build = build
        self.safe_mode = safe_mode
        self._depth = 0  # > 0 while reading the inner config of an object

    def fail(self, where, problem, unsafe=True):
        raise (UnsafeFileError if unsafe else CorruptFileError)(f"{where}: {problem}")

    def value(self, node, where, hint=None):
        if isinstance(node, str):
            return self.string(node, where, hint)
        if node is None or isinstance(node, bool | int | float | np.generic):
            return node
        if isinstance(node, np.ndarray) and node.dtype.kind in _NUMERIC:
            return node  # in-memory configs may hold arrays; JSON never does
        if isinstance(node, list | tuple):
            out = [self.value(v, f"{where}[{i}]", hint) for i, v in enumerate(node)]
            return type(node)(out) if self.build else None
        if not isinstance(node, dict):
            if isinstance(node, Tensor | KerasTensor) or callable(node):
                return node  # an object already built (an in-memory config)
            self.fail(where, f"unexpected {type(node).__name__} value", unsafe=False)
        self.check_keys(node, where)
        if "class_name" in node:
            return self.entry(node, where, hint)
        out = {k: self.value(v, f"{where}.{k}", _hint(k)) for k, v in node.items()}
        return out if self.build else None

    def check_keys(self, node, where):
        for key in node:
            if key in _FORBIDDEN or not isinstance(key, str | int):
                self.fail(where, f"forbidden key {key!r}")

    def string(self, text, where, hint):
        if text in _FORBIDDEN:
            self.fail(where, f"forbidden value {text!r}")
        if "://" in text or (where.rsplit(".", 1)[-1] in _PATH_KEYS and text):
            self.fail(where, f"external reference {text!r} (files and URLs are never opened)")
        if hint == "activation":
            fn = registry.lookup_function(text, category="activation",
                                          custom_objects=self.custom_objects)
            if fn is None:
                self.fail(where, f"activation {text!r} is not on the allow-list (pass your "
                                 f"function in custom_objects or register it)")
            return fn
        return text

    def entry(self, node, where, hint):
        class_name, inner = node["class_name"], node.get("config")
        if not isinstance(class_name, str):
            self.fail(where, f"class_name must be a string, not {class_name!r}", unsafe=False)
        self.string(class_name, f"{where}.class_name", None)
        if class_name.startswith("__") and class_name.endswith("__"):
            return self.special(class_name, inner, where)
        if class_name in _DTYPE_POLICIES:
            return self.dtype_policy(inner, where)
        if class_name == "function":
            return self.function(node, where, hint)
        if class_name in ("MeanMetricWrapper", "LossFunctionWrapper"):
            return self.wrapper(class_name, inner, where)
        if inner is not None and not isinstance(inner, dict):
            raise ConfigTypeError(f"{where}: Expected 'config' to be a dict for {class_name}, "
                                  f"instead got {type(inner)}. Full config: {node}")
        registered = node.get("registered_name")
        if hint is None:  # Poisson, Hinge, ... are both losses and metrics: the module decides
            hint = {"keras.losses": "loss", "keras.metrics": "metric"}.get(node.get("module"))
        cls = registry.lookup_class(class_name, registered if isinstance(registered, str)
                                    else None, hint, self.custom_objects)
        if cls is None:
            self.fail(where, f"Could not locate class {class_name!r}: class {class_name!r} "
                             f"(module {node.get('module')!r}) is not on the allow-list. Use a "
                             f"numdeep class, decorate yours with "
                             f"numdeep.saving.register_serializable (Keras's "
                             f"register_keras_serializable), or pass it in custom_objects")
        if not inspect.isclass(cls):
            return cls if self.build else None
        self.check_builtin_name(node, cls, class_name)
        self.check_keys(inner or {}, f"{where}.config")
        return self.instantiate(cls, dict(inner or {}), node, where, hint)

    def check_builtin_name(self, node, resolved, name):
        """Keras's rule: a config that resolves to a built-in names no other registered
        object (a stray ``registered_name`` must not be silently ignored)."""
        explicit = node.get("registered_name")
        if not explicit or explicit in (name, node.get("class_name"), "function"):
            return
        if registry.is_registered(resolved) or registry.get_registered_object(
                explicit, self.custom_objects) is not None:
            return
        raise UnsafeFileError(f"`registered_name={explicit!r}` was provided in the config, but "
                              f"'{name}' resolved to a Keras built-in and does not use registered "
                              f"names. Remove the `registered_name` field from the config. Full "
                              f"object config: {node}")

    def function(self, node, where, hint):
        name, registered = node.get("config"), node.get("registered_name")
        if not isinstance(name, str):
            raise ConfigTypeError(f"{where}: Expected 'config' to be a non-null str for a "
                                  f"function classname, instead got {type(name)}. Full config: "
                                  f"{node}")
        if name == "<lambda>":
            self.refuse_lambda(where)
        registered = registered if isinstance(registered, str) and registered != "function" \
            else None
        category = hint if hint in ("activation", "loss", "metric") else None
        fn = registry.lookup_function(name, registered, category, self.custom_objects)
        if fn is None:
            fn = registry.kind("activation").find_suffixed(name, self.custom_objects)
        if fn is None:
            self.fail(where, f"function {name!r} (module {node.get('module')!r}) is not on the "
                             f"allow-list: pass it in custom_objects or register it")
        if registered and registered != name and not registry.is_registered(fn) and \
                registry.get_registered_object(registered, self.custom_objects) is None:
            self.check_builtin_name(node, fn, name)
        return fn if self.build else None

    def instantiate(self, cls, inner, node, where, hint=None):
        from numdeep.saving import model_config

        cat = category_of(cls)
        builtin = not registry.is_registered(cls) and cls.__module__.startswith("numdeep.")
        if cat == "layer" and registry.is_model_class(cls) and builtin:
            obj = model_config.model_from_config(self, cls, inner, where)
            return self.finish(obj, node) if self.build else None
        nested = self._depth > 0
        self._depth += 1
        try:
            if cat == "layer" and cls.__name__ == "Lambda" and builtin:
                inner = self.lambda_config(inner, where)
            elif cat == "layer" and registry.is_model_class(cls, subclasses=True) and \
                    "layers" in inner:
                pass  # a graph config: the class's from_config reads it (checked, then built)
            else:
                inner = {k: self.value(v, f"{where}.config.{k}", _hint(k))
                         for k, v in inner.items()}
        finally:
            self._depth -= 1
        if not self.build:
            return None
        shared = shared_object(node)
        if shared is not None and not (cat == "layer" and nested and hint != "activation"):
            return shared
        if cat == "loss" and inner.get("reduction") == "auto":
            inner["reduction"] = "sum_over_batch_size"  # the Keras 2 default
        if cat not in (None, "optimizer") and builtin:
            if cat == "layer":
                inner = numdeep_layer_config(cls.__name__, inner)
            inner = filter_kwargs(cls, inner, where)
        if cat == "layer" and nested and hint != "activation":
            # A layer inside a layer's config (a wrapper's `layer`) stays a dict, checked and
            # cleaned: the wrapper's from_config rebuilds it, as in Keras.
            keep = {k: node[k] for k in ("build_config", "shared_object_id") if k in node}
            return {"module": node.get("module"), "class_name": cls.__name__, "config": inner,
                    "registered_name": node.get("registered_name"), **keep}
        return self.finish(self.construct(cls, inner, node, where), node)

    def construct(self, cls, inner, node, where):
        if not hasattr(cls, "from_config"):
            raise ConfigTypeError(f"{where}: Unable to reconstruct an instance of "
                                  f"'{node['class_name']}' because the class is missing a "
                                  f"`from_config()` method. Full object config: {node}")
        with custom_object_scope(self.custom_objects), SafeModeScope(self.safe_mode):
            try:
                return cls.from_config(inner)
            except (UnsafeFileError, CorruptFileError):
                raise
            except TypeError as e:
                raise ConfigTypeError(
                    f"{where}: {cls} could not be deserialized properly. Please ensure that "
                    f"components that are Python object instances (layers, models, etc.) "
                    f"returned by `get_config()` are explicitly deserialized in the model's "
                    f"`from_config()` method.\n\nconfig={node}.\n\nException encountered: {e}"
                ) from e
            except Exception as e:
                raise CorruptFileError(f"{where}: {cls.__name__} could not be created from its "
                                       f"config ({type(e).__name__}: {e})") from e

    def finish(self, obj, node):
        """Build (``build_config``) and compile (``compile_config``) a new object, and remember
        it for later entries with the same ``shared_object_id``."""
        build = node.get("build_config")
        if isinstance(build, dict) and not getattr(obj, "built", True):
            custom = getattr(type(obj), "build_from_config", None)
            from numdeep.layers import Layer

            if custom is not None and custom is not Layer.build_from_config:
                obj.build_from_config(build)
            elif build.get("input_shape") is not None:
                build_layer(obj, build["input_shape"])
            elif build.get("shapes_dict"):
                obj.build_from_config(build)
        compile_config = node.get("compile_config")
        if compile_config and callable(getattr(obj, "compile_from_config", None)):
            with custom_object_scope(self.custom_objects):
                obj.compile_from_config(compile_config)
        return record_shared(node, obj)



def build_layer(layer, input_shape):
    """Create a lone layer's weights from its ``build_config`` shape (a subclassed model runs
    once on zeros of that shape, since its sub-layers build when called)."""
    from numdeep.autograd import no_grad
    from numdeep.models import Model

    def to_shape(s):
        if isinstance(s, list) and s and all(isinstance(x, list) for x in s):
            return [to_shape(x) for x in s]
        return tuple(s)

    shape = to_shape(input_shape)
    if isinstance(layer, Model) and layer._graph is None and isinstance(shape, tuple):
        dims = tuple(1 if d is None else d for d in shape)
        with no_grad():
            layer(np.zeros(dims, dtype=layer.dtype), training=False)
        return
    layer._maybe_build(shape)


def _accepted_kwargs(cls):
    from numdeep.layers import Layer

    names = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if klass is Layer or not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
    return None


def filter_kwargs(cls, config, where):
    """Drop Keras-only arguments numdeep does not take when they hold a neutral value; refuse
    those that would change the result."""
    accepted = _accepted_kwargs(cls)
    if accepted is None:
        return config
    accepted.discard("self")
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif not (value is None or value is False or key in _HARMLESS_KEYS):
            raise CorruptFileError(f"{where}: {cls.__name__} argument {key}={value!r} is not "
                                   f"supported by numdeep")
    return out
