"""``numdeep.ops`` functions recorded in a functional graph, as Keras configs name them: the
Keras op class (``Add``, ``GetItem``, ``Sum``) in its Keras module (``keras.src.ops.numpy``).

Writing keeps every argument of the call in the node (``inbound_nodes``); reading also accepts
Keras's form, where the op's non-tensor arguments (``axis``, ``keepdims``) sit in its config.
Only the functions of ``numdeep.ops`` and ``numdeep.random`` can be named: the table below is
the allow-list, and nothing is imported from a config's ``module``.
"""

from numdeep import ops, random
from numdeep.ops.symbolic import Node, SymbolicOp, output_spec

__all__ = ["op_entry", "find_op", "OpCall"]

_KERAS_MODULES = {"numpy": "keras.src.ops.numpy", "nn": "keras.src.ops.nn",
                  "convolution": "keras.src.ops.nn", "math": "keras.src.ops.math",
                  "core": "keras.src.ops.core", "image": "keras.src.ops.image",
                  "linalg": "keras.src.ops.linalg", "random": "keras.src.random.random"}
# Keras class names that are not the CamelCase of numdeep's function name.
_CLASS_NAMES = {"getitem": "GetItem"}
_TABLE = {}


def _raw(fn):
    return getattr(fn, "__wrapped__", fn)


def _key(name):
    return name.lower().replace("_", "")


def _table():
    if not _TABLE:
        for module in (ops, ops.image, random):
            for name in getattr(module, "__all__", ()):
                fn = getattr(module, name, None)
                if callable(fn) and not isinstance(fn, type):
                    _TABLE.setdefault(_key(name), _raw(fn))
    return _TABLE


def class_name_of(fn):
    """The Keras op class name of an ops function (``expand_dims`` -> ``ExpandDims``)."""
    name = fn.__name__
    return _CLASS_NAMES.get(name) or "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def op_entry(op):
    """The Keras entry (without ``name`` and ``inbound_nodes``) of a recorded op."""
    fn = _raw(op.fn)
    family = fn.__module__.rsplit(".", 1)[-1]
    class_name = class_name_of(fn)
    return {"module": _KERAS_MODULES.get(family, "keras.src.ops.numpy"),
            "class_name": class_name, "config": {"name": op.name},
            "registered_name": class_name}


def is_op_entry(entry):
    """Whether a layer entry of a functional config is an op (``keras.src.ops...``)."""
    module = entry.get("module") if isinstance(entry, dict) else None
    return isinstance(module, str) and module.startswith(("keras.src.ops", "keras.ops",
                                                          "keras.src.random"))


def find_op(class_name):
    """The ops function a Keras op class name stands for; ``None`` when numdeep has none."""
    if not isinstance(class_name, str):
        return None
    return _table().get(_key(class_name))


class OpCall:
    """Replays one op of a loaded graph on symbolic tensors: a node named as in the file, with
    the op's config arguments (Keras's form) added to each call's."""

    def __init__(self, fn, name, config_kwargs):
        self.fn, self.name, self.config_kwargs = fn, name, dict(config_kwargs)

    def __call__(self, *args, **kwargs):
        kwargs = {**self.config_kwargs, **kwargs}
        if self.fn.__name__ == "getitem" and len(args) > 1 and isinstance(args[1], list):
            args = (args[0], tuple(args[1]), *args[2:])  # JSON turned the index tuple into a list
        op = SymbolicOp(self.fn, name=self.name)
        outputs = output_spec(self.fn, args, kwargs)
        Node(op, args, kwargs, outputs)
        return outputs
