"""What a converter works with: the ONNX value of every symbolic tensor (with its layout), the
masks that travel beside them, and the tables of converters for layers and ops.

A converter turns one graph node (a layer call or a ``numdeep.ops`` call) into ONNX nodes. It
receives ``(ctx, layer, node)`` for a layer or ``(ctx, node, *args, **kwargs)`` for an op, and
returns the ONNX names of the node's outputs (in ``node.output_tensors`` order).

Convolutions and pooling run channels-first in ONNX while numdeep's tensors are channels-last, so
a value may be stored *permuted*: ``physical = transpose(logical, perm)``. Elementwise layers
keep the permutation; everything else asks for the logical value, which inserts the one
``Transpose`` needed (once per value).
"""

import inspect

from numdeep.onnx.errors import OnnxExportError

LAYER_CONVERTERS = {}
OP_CONVERTERS = {}
DEFAULT_SIGNATURES = {}  # layer class -> fn(model): its inputs when none are given


def converts(*classes):
    """Register a converter for layers of ``classes`` (and subclasses that keep their
    ``call``)."""
    def wrap(fn):
        for cls in classes:
            LAYER_CONVERTERS[cls] = fn
        return fn
    return wrap


def converts_op(*names):
    """Register a converter for ``numdeep.ops`` functions of these names (or for functions of
    ``numdeep.onnx`` itself, given as objects)."""
    def wrap(fn):
        for name in names:
            OP_CONVERTERS[op_key(name)] = fn
        return fn
    return wrap


def op_key(fn):
    if isinstance(fn, str):
        return ("ops", fn)
    if fn.__module__.startswith("numdeep.ops."):
        return ("ops", fn.__name__)
    return (fn.__module__, fn.__qualname__)


def layer_converter(layer):
    """The converter of ``layer``'s class, or of the nearest base class whose ``call`` the
    layer still uses (a subclass with its own ``call`` computes something else)."""
    for cls in type(layer).__mro__:
        if cls in LAYER_CONVERTERS:
            if type(layer).call is cls.call:
                return LAYER_CONVERTERS[cls]
            return None
        if "call" in cls.__dict__:
            return None
    return None


def channels_first_perm(rank):
    """``perm`` that takes ``(N, *spatial, C)`` to ``(N, C, *spatial)``."""
    return (0, rank - 1, *range(1, rank - 1))


def inverse_perm(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


class Value:
    """An ONNX value name and how it is laid out (``perm``: physical = transpose(logical,
    perm); ``None`` when it is the logical tensor)."""

    __slots__ = ("name", "perm", "logical")

    def __init__(self, name, perm=None):
        self.name, self.perm, self.logical = name, perm, None if perm else name


class ExportContext:
    """The values and masks of one export, and the builder the converters write to.

    Args:
        builder: the ``GraphBuilder``.
    """

    def __init__(self, builder):
        self.b = builder
        # Keyed by id(tensor); the tensors are kept alive with their values, so an id is never
        # reused by a new tensor during the export.
        self.values = {}
        self.masks = {}
        self.path = []  # names of the layers being converted, for error messages

    # ----- values -------------------------------------------------------------------------------
    def set(self, tensor, value, perm=None):
        self.values[id(tensor)] = (tensor, value if isinstance(value, Value) else
                                   Value(value, perm))

    def has(self, tensor):
        return id(tensor) in self.values

    def physical(self, tensor):
        try:
            return self.values[id(tensor)][1]
        except KeyError:
            raise OnnxExportError(f"ONNX export: no value for {tensor!r} in "
                                  f"{self.where()}.") from None

    def value(self, tensor):
        """The ONNX name of ``tensor`` in numdeep's own layout."""
        v = self.physical(tensor)
        if v.logical is None:
            v.logical = self.b.transpose(v.name, inverse_perm(v.perm), name="to_logical")
        return v.logical

    def permuted(self, tensor, perm):
        """The ONNX name of ``transpose(tensor, perm)``, reusing a stored layout."""
        v = self.physical(tensor)
        if v.perm is not None and tuple(v.perm) == tuple(perm):
            return v.name
        if v.perm is not None:
            # physical = T(logical, p); we want T(logical, perm) = T(physical, p^-1 . perm)
            inv = inverse_perm(v.perm)
            return self.b.transpose(v.name, [inv[q] for q in perm])
        return self.b.transpose(v.name, perm)

    def channels_first(self, tensor):
        return self.permuted(tensor, channels_first_perm(len(tensor.shape)))

    # ----- masks --------------------------------------------------------------------------------
    def mask(self, tensor):
        entry = self.masks.get(id(tensor))
        return None if entry is None else entry[1]

    def set_mask(self, tensor, name):
        if name is None:
            self.masks.pop(id(tensor), None)
        else:
            self.masks[id(tensor)] = (tensor, name)

    # ----- errors -------------------------------------------------------------------------------
    def where(self):
        return " > ".join(self.path) or "the model"

    def fail(self, message):
        raise OnnxExportError(f"ONNX export of {self.where()}: {message}")


def call_takes(layer, name):
    """Whether ``layer.call`` declares an argument ``name``."""
    try:
        return name in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False
