"""The entries of a config that are not plain objects, read for ``object_config.Reader``:
special values (``__numpy__``, ``__tensor__``, ``__slice__``, ``__bytes__``...), dtype policies,
Keras 2 metric wrappers and the function of a ``Lambda`` layer (never code: a function the
caller supplies by name)."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.ops.symbolic import KerasTensor
from numdeep.saving import registry
from numdeep.saving.errors import ConfigTypeError

__all__ = ["SpecialEntries", "LAMBDA_RISK"]

LAMBDA_RISK = ("Requested the deserialization of a Python lambda. This carries a potential risk "
               "of arbitrary code execution and thus it is disallowed by default")
_NUMERIC = "fiub"


class SpecialEntries:
    """Mixin of ``Reader``: uses its ``value``, ``fail``, ``build``, ``safe_mode``,
    ``custom_objects`` and ``_depth``."""

    def special(self, class_name, inner, where):
        if class_name == "__lambda__":
            self.refuse_lambda(where)
        if class_name == "__typespec__":
            if not isinstance(inner, list | tuple):
                raise ConfigTypeError(f"{where}: Expected 'config' to be a list or a tuple for a "
                                      f"__typespec__ class name, instead got {type(inner)}")
            self.fail(where, "TensorFlow type specs are not supported")
        if class_name == "__ellipsis__":
            return Ellipsis
        if not isinstance(inner, dict):
            self.fail(where, f"malformed {class_name} entry", unsafe=False)
        if class_name == "__tuple__":
            items = self.value(inner.get("value", []), f"{where}.value")
            return tuple(items) if self.build else None
        if class_name in ("__numpy__", "__tensor__"):
            return self.array(class_name, inner, where)
        if class_name == "__bytes__":
            return str(inner.get("value", "")).encode("utf-8")
        if class_name == "__slice__":
            parts = [self.value(inner.get(k), f"{where}.{k}") for k in ("start", "stop", "step")]
            return slice(*parts) if self.build else None
        if class_name == "__keras_tensor__":
            if not self.build or self._depth:
                return inner  # inside a functional model's nodes: resolved by model_config
            return KerasTensor(tuple(inner.get("shape") or ()), dtype=inner.get("dtype"))
        self.fail(where, f"special object {class_name!r} is not supported")

    def array(self, class_name, inner, where):
        dtype = np.dtype(str(inner.get("dtype", "float32")))
        if dtype.kind not in _NUMERIC:
            self.fail(where, f"numpy value of dtype {dtype} (only numeric arrays)")
        self.value(inner.get("value"), f"{where}.value")
        if not self.build:
            return None
        array = np.asarray(inner.get("value"), dtype=dtype)
        return Tensor(array) if class_name == "__tensor__" else array

    def refuse_lambda(self, where, name=None):
        if self.safe_mode:
            self.fail(where, f"{LAMBDA_RISK}. numdeep never loads Python code from a file: "
                             f"give the function a name and pass it in custom_objects")
        self.fail(where, f"a Python lambda{'' if name is None else f' ({name!r})'} cannot be "
                         f"loaded: numdeep never loads Python code from a file, even with "
                         f"safe_mode=False; give the function a name and pass it in "
                         f"custom_objects")

    def dtype_policy(self, inner, where):
        name = (inner or {}).get("name") if isinstance(inner, dict) else None
        if not isinstance(name, str):
            self.fail(where, "malformed dtype policy", unsafe=False)
        dtype = name.split("_", 1)[-1] if name.startswith("mixed_") else name
        if dtype not in ("float16", "float32", "float64", "bfloat16"):
            self.fail(where, f"unsupported dtype policy {name!r}", unsafe=False)
        return "float32" if name.startswith("mixed_") else dtype

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

    def lambda_config(self, inner, where):
        inner = dict(inner)
        fn = inner.get("function")
        name = fn.get("config") if isinstance(fn, dict) else fn
        if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
            name = None
        supplied = self.custom_objects.get(name) if isinstance(name, str) else None
        if supplied is None and isinstance(name, str):
            supplied = registry.get_registered_object(name, self.custom_objects)
        if supplied is None and isinstance(inner.get("name"), str):
            supplied = self.custom_objects.get(inner["name"])
        if supplied is None:
            lambda_ = name is None or name == "<lambda>"
            risk = f" ({LAMBDA_RISK})" if lambda_ and self.safe_mode else ""
            self.fail(f"{where}.config.function",
                      f"Lambda layer {inner.get('name')!r} wraps Python code "
                      f"{'(a lambda) ' if lambda_ else repr(name) + ' '}that is never "
                      f"loaded from a file{risk}; pass the function as custom_objects="
                      f"{{{name if name and not lambda_ else inner.get('name')!r}: fn}}")
        inner["function"] = supplied
        for key in ("output_shape", "mask"):
            entry = inner.get(key)
            named = None
            if isinstance(entry, dict) and entry.get("class_name") == "function":
                # A named function (never bytecode) resolves as `function` does.
                named = registry.get_registered_object(entry.get("config"), self.custom_objects)
                inner[key] = named
            if isinstance(entry, dict) and entry.get("class_name") != "__tensor__" and not named:
                self.fail(f"{where}.config.{key}", f"Lambda `{key}` functions are not loaded "
                                                    f"unless named in custom_objects")
        inner["arguments"] = self.value(inner.get("arguments") or {}, f"{where}.config.arguments")
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):
            inner.pop(key, None)
        return inner
