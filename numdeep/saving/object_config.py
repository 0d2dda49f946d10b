"""Reading: the safe reader that turns Keras dicts back into objects. Every ``class_name`` and
function name goes through the allow-list in ``registry``, the whole config is checked before the
first constructor runs, and nothing is imported. (Writing them is ``serialization``.)"""

import inspect

import numpy as np

from numdeep.saving import registry
from numdeep.saving.errors import CorruptFileError, UnsafeFileError
from numdeep.saving.keras_compat import numdeep_layer_config
from numdeep.saving.serialization import category_of

_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


_FORBIDDEN = ("enable_unsafe_deserialization", "safe_mode")


_PATH_KEYS = ("filepath", "file_path", "filename", "path", "url", "vocabulary_path",
              "weights_path")


# Keras-only arguments that numdeep may drop whatever their value (they do not change results).
_HARMLESS_KEYS = ("autocast", "ema_momentum", "jit_compile", "sparse", "ragged", "optional",
                  "renorm_momentum", "input_length", "implementation", "time_major")


# ----- reading -----------------------------------------------------------------------------------
def deserialize(config, custom_objects=None, category=None):
    """Build a numdeep object from its Keras dict form, through the allow-list only.

    The whole config is checked first (every class and function name must be a numdeep built-in,
    registered with ``register_serializable`` or given in ``custom_objects``; no ``module`` is
    imported, no bytecode is loaded); then the objects are constructed.

    Args:
        config: the dict form (or a list / plain value).
        custom_objects: ``{name: class or function}`` for user objects.
        category: where a name is ambiguous, the kind expected (``'layer'``,
            ``'initializer'``, ``'loss'``...).

    Returns:
        The object.

    Raises:
        UnsafeFileError: a name not on the allow-list, bytecode, or a forbidden key.
        CorruptFileError: a malformed entry.

    Example:
        >>> from numdeep.saving import deserialize
        >>> deserialize({"module": "keras.layers", "class_name": "Dense",
        ...              "config": {"units": 3, "name": "d"}}).units
        3
        >>> deserialize({"module": "os", "class_name": "system", "config": {}})
        Traceback (most recent call last):
        ...
        numdeep.saving.errors.UnsafeFileError: Refusing to load config (safe mode): config: \
class 'system' (module 'os') is not on the allow-list: ...
    """
    Reader(custom_objects, build=False).value(config, "config", category)
    return Reader(custom_objects, build=True).value(config, "config", category)


def _hint(key, inherited=None):
    if key.endswith("initializer"):
        return "initializer"
    if key.endswith("regularizer"):
        return "regularizer"
    if key.endswith("constraint"):
        return "constraint"
    if key.endswith("activation"):
        return "activation"
    if key in ("layer", "layers", "cell", "cells", "forward_layer", "backward_layer"):
        return "layer"
    return {"optimizer": "optimizer", "learning_rate": "schedule", "loss": "loss",
            "metrics": "metric", "weighted_metrics": "metric", "dtype": "dtype"}.get(key,
                                                                                  inherited)


class Reader:
    """One pass over a config: with ``build=False`` it only checks, with ``build=True`` it also
    constructs. Errors name the position in the config (``config.layers[2].config.activation``).
    """

    def __init__(self, custom_objects=None, build=True):
        self.custom_objects = dict(custom_objects or {})
        self.build = build
        self._depth = 0  # > 0 while reading the inner config of an object

    def fail(self, where, problem, unsafe=True):
        raise (UnsafeFileError if unsafe else CorruptFileError)(f"{where}: {problem}")

    def value(self, node, where, hint=None):
        if isinstance(node, str):
            return self.string(node, where, hint)
        if node is None or isinstance(node, bool | int | float | np.generic):
            return node
        if isinstance(node, np.ndarray) and node.dtype.kind in "fiub":
            return node  # in-memory configs may hold arrays; JSON never does
        if isinstance(node, list | tuple):
            out = [self.value(v, f"{where}[{i}]", hint) for i, v in enumerate(node)]
            return type(node)(out) if self.build else None
        if not isinstance(node, dict):
            self.fail(where, f"unexpected {type(node).__name__} value", unsafe=False)
        self.check_keys(node, where)
        if "class_name" in node:
            return self.entry(node, where, hint)
        out = {k: self.value(v, f"{where}.{k}", _hint(k)) for k, v in node.items()}
        return out if self.build else None

    def check_keys(self, node, where):
        for key in node:
            if not isinstance(key, str) or key in _FORBIDDEN:
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
        registered = node.get("registered_name")
        cls = registry.lookup_class(class_name, registered if isinstance(registered, str)
                                    else None, hint, self.custom_objects)
        if cls is None:
            module = node.get("module")
            self.fail(where, f"class {class_name!r} (module {module!r}) is not on the "
                             f"allow-list: use a numdeep class, decorate yours with "
                             f"numdeep.saving.register_serializable, or pass it in "
                             f"custom_objects")
        if inner is not None and not isinstance(inner, dict):
            self.fail(where, f"the config of {class_name!r} must be a dict", unsafe=False)
        self.check_keys(inner or {}, f"{where}.config")
        return self.instantiate(cls, dict(inner or {}), node, where)

    def special(self, class_name, inner, where):
        if class_name == "__lambda__":
            self.fail(where, "Python bytecode (a lambda) is never loaded; give the function "
                             "in custom_objects by name instead")
        if not isinstance(inner, dict):
            self.fail(where, f"malformed {class_name} entry", unsafe=False)
        if class_name == "__tuple__":
            items = self.value(inner.get("value", []), f"{where}.value")
            return tuple(items) if self.build else None
        if class_name == "__numpy__":
            dtype = np.dtype(str(inner.get("dtype", "float32")))
            if dtype.kind not in "fiub":
                self.fail(where, f"numpy value of dtype {dtype} (only numeric arrays)")
            self.value(inner.get("value"), f"{where}.value")
            return np.asarray(inner.get("value"), dtype=dtype) if self.build else None
        if class_name == "__bytes__":
            return str(inner.get("value", "")).encode("utf-8")
        if class_name == "__keras_tensor__":
            return inner  # only meaningful inside a functional model's inbound nodes
        self.fail(where, f"special object {class_name!r} is not supported")

    def dtype_policy(self, inner, where):
        name = (inner or {}).get("name") if isinstance(inner, dict) else None
        if not isinstance(name, str):
            self.fail(where, "malformed dtype policy", unsafe=False)
        dtype = name.split("_", 1)[-1] if name.startswith("mixed_") else name
        if dtype not in ("float16", "float32", "float64", "bfloat16"):
            self.fail(where, f"unsupported dtype policy {name!r}", unsafe=False)
        return "float32" if name.startswith("mixed_") else dtype

    def function(self, node, where, hint):
        name, registered = node.get("config"), node.get("registered_name")
        if not isinstance(name, str):
            self.fail(where, "a function entry must name the function", unsafe=False)
        fn = registry.lookup_function(name, registered if isinstance(registered, str) else None,
                                      hint if hint in ("activation", "loss", "metric") else None,
                                      self.custom_objects)
        if fn is None:
            self.fail(where, f"function {name!r} (module {node.get('module')!r}) is not on the "
                             f"allow-list: pass it in custom_objects or register it")
        return fn

    def wrapper(self, class_name, inner, where):
        # Keras 2 writes compiled metrics as MeanMetricWrapper(fn='binary_accuracy').
        inner = dict(inner or {})
        fn_name = inner.pop("fn", None)
        fn = registry.lookup_function(fn_name, category="metric",
                                      custom_objects=self.custom_objects) \
            if isinstance(fn_name, str) else None
        if fn is None:
            self.fail(where, f"{class_name} function {fn_name!r} is not on the allow-list")
        if not self.build:
            return None
        from numdeep import losses, metrics

        cls = metrics.MeanMetricWrapper if class_name == "MeanMetricWrapper" \
            else losses.LossFunctionWrapper
        kwargs = {k: v for k, v in inner.items() if k in ("name", "dtype")}
        return cls(fn, **kwargs)

    def instantiate(self, cls, inner, node, where):
        cat = category_of(cls)
        if cat == "layer" and registry.is_model_class(cls) and not registry.is_registered(cls):
            from numdeep.saving import model_config

            return model_config.model_from_config(self, cls, inner, where)
        nested = self._depth > 0
        self._depth += 1
        try:
            if cat == "layer" and cls.__name__ == "Lambda" and not registry.is_registered(cls):
                inner = self.lambda_config(inner, where)
            else:
                inner = {k: self.value(v, f"{where}.config.{k}", _hint(k))
                         for k, v in inner.items()}
        finally:
            self._depth -= 1
        if not self.build:
            return None
        if cat == "loss" and inner.get("reduction") == "auto":
            inner["reduction"] = "sum_over_batch_size"  # the Keras 2 default
        if cat not in (None, "optimizer") and not registry.is_registered(cls):
            if cat == "layer":
                inner = numdeep_layer_config(cls.__name__, inner)
            inner = filter_kwargs(cls, inner, where)
        if cat == "layer" and nested:
            # A layer inside a layer's config (a wrapper's `layer`) stays a dict, checked and
            # cleaned: the wrapper's from_config rebuilds it, as in Keras.
            return {"module": node.get("module"), "class_name": cls.__name__, "config": inner,
                    "registered_name": node.get("registered_name")}
        try:
            obj = cls.from_config(inner)
        except (UnsafeFileError, CorruptFileError):
            raise
        except Exception as e:
            raise CorruptFileError(f"{where}: {cls.__name__} could not be created from its "
                                   f"config ({type(e).__name__}: {e})") from e
        build = node.get("build_config")
        if cat == "layer" and isinstance(build, dict) and build.get("input_shape") is not None:
            build_layer(obj, build["input_shape"])
        return obj

    def lambda_config(self, inner, where):
        inner = dict(inner)
        fn = inner.get("function")
        name = fn.get("config") if isinstance(fn, dict) else fn
        if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
            name = None
        supplied = self.custom_objects.get(name) if isinstance(name, str) else None
        if supplied is None and isinstance(inner.get("name"), str):
            supplied = self.custom_objects.get(inner["name"])
        if supplied is None:
            self.fail(f"{where}.config.function",
                      f"Lambda layer {inner.get('name')!r} wraps Python code "
                      f"{'(bytecode) ' if name is None else repr(name) + ' '}that is never "
                      f"loaded from a file; pass the function as custom_objects="
                      f"{{{name or inner.get('name')!r}: fn}}")
        inner["function"] = supplied
        for key in ("output_shape", "mask"):
            if isinstance(inner.get(key), dict):
                self.fail(f"{where}.config.{key}", f"Lambda `{key}` functions are not loaded")
        inner["arguments"] = self.value(inner.get("arguments") or {}, f"{where}.config.arguments")
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):
            inner.pop(key, None)
        return inner


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
