"""Symbolic tensors and graph nodes: what calling a layer (or an op) on an ``Input`` records.

A ``KerasTensor`` stands for a batch of data not seen yet: a shape (``None`` = any size), a
dtype, and the ``Node`` that produced it. Calling a layer on KerasTensors records a node; so does
any ``numdeep.ops`` function or operator (``x * 2 + 1``, ``x[:, 0]``), through a
``SymbolicOp`` that replays the function when the model runs. ``Model(inputs, outputs)`` walks
these nodes back from the outputs.

Example:
    >>> import numdeep as nd
    >>> x = nd.Input(shape=(3,))
    >>> y = nd.ops.sum(x * 2.0 + 1.0, axis=-1)
    >>> y.shape, type(y.node.operation).__name__
    ((None,), 'SymbolicOp')
"""

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor, no_grad
from numdeep.backend import floatx, standardize_dtype, unique_name
from numdeep.backend.symbolic_scope import SymbolicScope

__all__ = ["KerasTensor", "Node", "SymbolicOp", "any_symbolic", "compute_output_spec",
           "is_keras_tensor", "symbolic_call"]


def any_symbolic(*structures):
    """Whether any leaf of the structures is a ``KerasTensor``."""
    for s in structures:
        if isinstance(s, KerasTensor):
            return True
        if isinstance(s, list | tuple):
            if any(any_symbolic(x) for x in s):
                return True
        elif isinstance(s, dict) and any(any_symbolic(x) for x in s.values()):
            return True
    return False


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor."""
    return isinstance(x, KerasTensor)


class KerasTensor:
    """A placeholder for a batch of data: shape (``None`` = any size) and dtype, plus the node
    that produced it (``None`` for a free-standing one).

    Args:
        shape: the shape, batch axis included.
        dtype: the dtype name (default ``floatx()``).
        sparse, ragged: accepted for Keras compatibility (numdeep's tensors are dense).
        name: optional name.
    """

    __slots__ = ("shape", "dtype", "name", "node", "_keras_mask", "sparse", "ragged",
                 "optional")
    __array_priority__ = 200  # ndarray <op> KerasTensor defers to the reflected operator

    def __init__(self, shape, dtype=None, sparse=False, ragged=False, record_history=True,
                 name=None, node=None, optional=False):
        if sparse or ragged:
            raise ValueError("numdeep tensors are dense: sparse and ragged KerasTensors are not "
                             "supported.")
        if not hasattr(shape, "__iter__"):
            raise ValueError(f"Cannot convert '{shape}' to a shape.")
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = standardize_dtype(dtype or floatx())
        self.name = name
        self.node = node
        self._keras_mask = None
        self.sparse = self.ragged = False
        self.optional = bool(optional)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_history(self):
        return self.node

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value: it holds no data yet. Use "
                        "numdeep.ops (e.g. ops.where) to express conditions in a model.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"A symbolic KerasTensor {self!r} cannot become a NumPy array: it only "
                        f"describes data a model will receive. Use numdeep.ops functions on it "
                        f"to build the model, then call the model on arrays.")

    # Operators record graph nodes through numdeep.ops (imported at call time: same floor).
    def _op(self, name, *args, **kwargs):
        from numdeep import ops

        return getattr(ops, name)(*args, **kwargs)

    def __add__(self, o): return self._op("add", self, o)  # noqa: E704
    def __radd__(self, o): return self._op("add", o, self)  # noqa: E704
    def __sub__(self, o): return self._op("subtract", self, o)  # noqa: E704
    def __rsub__(self, o): return self._op("subtract", o, self)  # noqa: E704
    def __mul__(self, o): return self._op("multiply", self, o)  # noqa: E704
    def __rmul__(self, o): return self._op("multiply", o, self)  # noqa: E704
    def __truediv__(self, o): return self._op("divide", self, o)  # noqa: E704
    def __rtruediv__(self, o): return self._op("divide", o, self)  # noqa: E704
    def __pow__(self, o): return self._op("power", self, o)  # noqa: E704
    def __rpow__(self, o): return self._op("power", o, self)  # noqa: E704
    def __matmul__(self, o): return self._op("matmul", self, o)  # noqa: E704
    def __rmatmul__(self, o): return self._op("matmul", o, self)  # noqa: E704
    def __neg__(self): return self._op("negative", self)  # noqa: E704
    def __abs__(self): return self._op("abs", self)  # noqa: E704
    def __getitem__(self, index): return self._op("getitem", self, index)  # noqa: E704
    def __lt__(self, o): return self._op("less", self, o)  # noqa: E704
    def __le__(self, o): return self._op("less_equal", self, o)  # noqa: E704
    def __gt__(self, o): return self._op("greater", self, o)  # noqa: E704
    def __ge__(self, o): return self._op("greater_equal", self, o)  # noqa: E704
    # No elementwise `__eq__` (as in Keras): `==` on symbolic tensors is identity, so they can
    # be compared and found in lists (`assertEqual(layer.output, x)`, `t in model.inputs`).
    def __ne__(self, o): return self._op("not_equal", self, o)  # noqa: E704

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], list | tuple) else shape
        return self._op("reshape", self, shape)


class Node:
    """One call of ``operation`` (a layer or a ``SymbolicOp``) on symbolic arguments.

    Attributes:
        operation: the layer or op called (``layer`` is the same object).
        call_args, call_kwargs: the arguments as given, KerasTensors included.
        input_tensors, output_tensors: the KerasTensors read and produced, flattened.
    """

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten([self.call_args, self.call_kwargs])
                              if isinstance(t, KerasTensor)]
        self.output_tensors = [] if outputs is None else [
            t for t in tree.flatten(outputs) if isinstance(t, KerasTensor)]
        single = len(self.output_tensors) == 1
        for i, t in enumerate(self.output_tensors):
            t.node = self
            t.name = t.name or (operation.name if single else f"{operation.name}_{i}")
        operation._inbound_nodes.append(self)

    @property
    def layer(self):
        return self.operation

    @property
    def inputs(self):
        """The first positional argument (the ``inputs`` of a layer call)."""
        return self.call_args[0] if self.call_args else None

    @property
    def kwargs(self):
        return self.call_kwargs

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors if t.node is not None]


class SymbolicOp:
    """A ``numdeep.ops`` function recorded in a graph: calling it replays the function with the
    recorded non-tensor arguments.

    Args:
        fn: the ops function.
        name: node name (default: the function's name, made unique).
    """

    def __init__(self, fn, name=None):
        self.fn = fn
        self.name = name or unique_name(fn.__name__)
        self._inbound_nodes = []
        self.built = True

    def __call__(self, *args, **kwargs):
        kwargs.pop("training", None)
        return self.fn(*args, **kwargs)

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<SymbolicOp {self.fn.__name__} name={self.name}>"


def _dummy(t, fill):
    shape = tuple(fill if s is None else s for s in t.shape)
    if t.dtype == "bool":
        return Tensor(np.ones(shape, dtype=bool))
    return Tensor(np.ones(shape, dtype=t.dtype))


def output_spec(fn, args, kwargs):
    """The KerasTensors ``fn(*args, **kwargs)`` would return: it runs on small dummy values for
    the symbolic arguments, twice with different sizes for the unknown dimensions; a dimension
    that follows them is unknown in the result. A function's own ``symbolic_spec`` (see
    ``numdeep.ops.operation.infer_spec``) is used first when it has one."""
    own = getattr(fn, "symbolic_spec", None)
    spec = None if own is None else own(*args, **kwargs)
    if spec is not None:
        return spec
    runs = []
    for fill in (2, 3):
        values = tree.map_structure(
            lambda v, f=fill: _dummy(v, f) if isinstance(v, KerasTensor) else v, [args, kwargs])
        with no_grad(), np.errstate(all="ignore"), SymbolicScope():
            runs.append(fn(*values[0], **values[1]))

    def merge(a, b):
        if a is None:
            return None
        sa, sb = tuple(np.shape(getattr(a, "data", a))), tuple(np.shape(getattr(b, "data", b)))
        if len(sa) != len(sb):
            raise ValueError(f"Cannot infer the output shape of {fn.__name__}: it depends on "
                             f"the sizes of unknown input dimensions.")
        shape = tuple(x if x == y else None for x, y in zip(sa, sb))
        dtype = getattr(getattr(a, "data", a), "dtype", None) or np.asarray(a).dtype
        return KerasTensor(shape, dtype=dtype)

    return tree.map_structure(merge, runs[0], runs[1])


def compute_output_spec(fn, *args, **kwargs):
    """The symbolic outputs ``fn(*args, **kwargs)`` would give for symbolic arguments (Keras's
    ``backend.compute_output_spec``): ``fn`` runs on small stand-in values, its state frozen.

    Example:
        >>> import numdeep as nd
        >>> from numdeep.ops.symbolic import KerasTensor, compute_output_spec
        >>> compute_output_spec(nd.layers.Reshape((-1, 8)), KerasTensor((None, 6, 4))).shape
        (None, 3, 8)
    """
    return output_spec(fn, args, kwargs)


def symbolic_call(fn, args, kwargs):
    """Record ``fn(*args, **kwargs)`` on symbolic arguments as a graph node; return its
    symbolic outputs."""
    op = SymbolicOp(fn)
    outputs = output_spec(fn, args, kwargs)
    Node(op, args, kwargs, outputs)
    return outputs
