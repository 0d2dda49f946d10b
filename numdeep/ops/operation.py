"""Symbolic calls of ``numdeep.ops`` functions and Keras's op objects (``ops.Add()(x, y)``).

A function called on a ``KerasTensor`` records a graph node; the shape and dtype of its result
come from running the function on small dummy arrays (``infer_spec``). Runs with two sizes for
the unknown dimensions tell which output sizes follow them; when those runs fail (an unknown
size broadcast against a known one, as in ``(None, 3) + (2, None)``), each unknown size is tried
alone, and the sizes that only work as 1 are taken as broadcast ones.

Keras also exposes every op as a class whose constructor takes the op's settings and whose call
takes its tensors (``Append(axis=1)(x1, x2)``); ``operation_class`` makes one from a function and
the names of its tensor arguments.

Example:
    >>> import numdeep as nd
    >>> x, y = nd.KerasTensor((None, 3)), nd.KerasTensor((2, None))
    >>> nd.ops.add(x, y).shape, nd.ops.Concatenate(axis=1)([x, x]).shape
    ((2, 3), (None, 6))
"""

import inspect

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor, no_grad
from numdeep.backend import unique_name
from numdeep.ops.symbolic import KerasTensor, Node, SymbolicOp, any_symbolic

# Two sizes for the unknown dimensions: even (ops that halve work) and far apart.
_FILLS = (6, 10)
_CANDIDATES = (1, 2, 3, 4, 5, 7)


def _dummy(t, sizes, dtype=None):
    shape = tuple(sizes.get((id(t), i), s) if s is None else s for i, s in enumerate(t.shape))
    value = np.ones(shape, dtype=dtype or t.dtype)
    if value.dtype.kind == "f" and value.ndim >= 2 and shape[-1] == shape[-2]:
        # Square float blocks are 1 + I: symmetric positive definite, so linear algebra runs.
        value += np.eye(shape[-1], dtype=value.dtype)
    return Tensor(value)


def _run(fn, args, kwargs, sizes, dtype=None):
    values = tree.map_structure(
        lambda v: _dummy(v, sizes, dtype) if isinstance(v, KerasTensor) else v,
        [list(args), kwargs])
    with no_grad(), np.errstate(all="ignore"):
        return fn(*values[0], **values[1])


def _works(fn, args, kwargs, sizes, dtype):
    try:
        _run(fn, args, kwargs, sizes, dtype)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not a valid assignment"
        return False


def _merge(fn, a, b):
    if a is None or isinstance(a, bool | int | float | str):
        return a
    sa, sb = np.shape(getattr(a, "data", a)), np.shape(getattr(b, "data", b))
    if len(sa) != len(sb):
        raise ValueError(f"Cannot infer the output shape of {fn.__name__}: its rank depends on "
                         f"the sizes of unknown input dimensions.")
    dtype = getattr(getattr(a, "data", a), "dtype", None) or np.asarray(a).dtype
    return KerasTensor(tuple(x if x == y else None for x, y in zip(sa, sb)), dtype=dtype)


def infer_spec(fn, args, kwargs):
    """The KerasTensors (or plain values) ``fn(*args, **kwargs)`` returns for symbolic inputs.

    A function may carry a ``symbolic_spec(*args, **kwargs)`` of its own, for what dummy runs
    cannot see: it checks the symbolic shapes (raising like the eager call would) and returns
    the outputs, or None to let the dummy runs decide.
    """
    own = getattr(fn, "symbolic_spec", None)
    if own is not None:
        spec = own(*args, **kwargs)
        if spec is not None:
            return spec
    return _infer_by_runs(fn, args, kwargs)


def _unknown_sizes(args, kwargs):
    leaves = [t for t in tree.flatten([list(args), kwargs]) if isinstance(t, KerasTensor)]
    return leaves, [(id(t), i) for t in leaves for i, s in enumerate(t.shape) if s is None]


def _infer_by_runs(fn, args, kwargs):
    leaves, unknown = _unknown_sizes(args, kwargs)
    try:
        runs = [_run(fn, args, kwargs, dict.fromkeys(unknown, f)) for f in _FILLS]
    except Exception as error:  # noqa: BLE001 - retried below, re-raised if that fails too
        try:
            runs = _search(fn, args, kwargs, leaves, unknown, error)
        except IndexError as index_error:
            # An index out of a symbolic shape is a shape error, a ValueError as in Keras.
            raise ValueError(str(index_error)) from index_error
    return tree.map_structure(lambda a, b: _merge(fn, a, b), runs[0], runs[1])


def min_size_spec(fn):
    """A ``symbolic_spec`` for ops whose output sizes can be ``min(unknown, k)`` (slices such as
    ``x[:5]``, diagonals): both placeholder sizes are large, so such a size would come out as
    ``k``; a third run with every unknown size 1 makes the sizes it changes unknown. (A run that
    fails at size 1, an index past it, changes nothing.)"""

    def spec(*args, **kwargs):
        _, unknown = _unknown_sizes(args, kwargs)
        if not unknown:
            return None
        found = _infer_by_runs(fn, args, kwargs)
        try:
            small = _run(fn, args, kwargs, dict.fromkeys(unknown, 1))
        except Exception:  # noqa: BLE001 - the size-1 run only loosens
            return found
        return tree.map_structure(_loosen, found, small)

    return spec


def _loosen(found, small):
    if not isinstance(found, KerasTensor):
        return found
    shape = np.shape(getattr(small, "data", small))
    if len(shape) != len(found.shape):
        return found
    return KerasTensor(tuple(a if a == b else None for a, b in zip(found.shape, shape)),
                       dtype=found.dtype)


def _search(fn, args, kwargs, leaves, unknown, error):
    """Two runs that differ only in the unknown sizes that can vary: a size that only works as
    1 (broadcast against a known size) or as one known size stays fixed. Integer-only ops
    (bitwise, ``gcd``) called on float placeholders are retried with integer dummies."""
    known = sorted({s for t in leaves for s in t.shape if s is not None})
    candidates = list(dict.fromkeys([*_CANDIDATES, *known]))
    for dtype in (None, "int32"):
        base = next((dict.fromkeys(unknown, f) for f in candidates
                     if _works(fn, args, kwargs, dict.fromkeys(unknown, f), dtype)), None)
        if base is None:
            continue
        other = _vary(fn, args, kwargs, unknown, base, candidates, dtype)
        return [_run(fn, args, kwargs, base, dtype), _run(fn, args, kwargs, other, dtype)]
    raise error


def _vary(fn, args, kwargs, unknown, base, candidates, dtype):
    """``base`` with every unknown size that can change changed: alone first, then in pairs,
    for sizes tied to each other (the unknown batch sizes of two stacked tensors) that no
    single change keeps valid."""
    other = dict(base)
    for key in unknown:
        for value in candidates:
            trial = {**other, key: value}
            if value != base[key] and _works(fn, args, kwargs, trial, dtype):
                other = trial
                break
    fixed = [k for k in unknown if other[k] == base[k]]
    for i, key in enumerate(fixed):
        for partner in fixed[i + 1:]:
            if other[key] != base[key] or other[partner] != base[partner]:
                continue
            value = next((v for v in candidates if v != base[key] and _works(
                fn, args, kwargs, {**other, key: v, partner: v}, dtype)), None)
            if value is not None:
                other[key] = other[partner] = value
    return other


def spec_of(value):
    """``value`` (a nest of Tensors, arrays or KerasTensors) as KerasTensors."""
    def one(v):
        if isinstance(v, KerasTensor) or v is None:
            return v
        data = getattr(v, "data", v)
        return KerasTensor(np.shape(data), dtype=np.asarray(data).dtype)

    return tree.map_structure(one, value)


def symbolic_call(fn, args, kwargs, operation=None):
    """Record ``fn(*args, **kwargs)`` on symbolic arguments as a graph node (of ``operation``,
    default a ``SymbolicOp`` of ``fn``) and return its symbolic outputs."""
    outputs = infer_spec(fn, args, kwargs)
    Node(operation or SymbolicOp(fn), args, kwargs, outputs)
    return outputs


def is_symbolic_call(args, kwargs):
    """Whether any argument is (or holds) a ``KerasTensor``."""
    for a in args:
        if type(a) is KerasTensor or (type(a) in (list, tuple) and any_symbolic(a)):
            return True
    return bool(kwargs) and any_symbolic(kwargs)


class Operation:
    """An op as an object, Keras style: the constructor takes the settings, the call the tensors.

    Subclasses made by ``operation_class`` set ``fn`` (the ops function), ``tensor_args`` (the
    names of the arguments the call takes) and inherit everything else.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.Append(axis=0)([[1, 2]], [[3, 4]]).numpy()
        array([[1, 2],
               [3, 4]], dtype=int32)
    """

    fn = None
    tensor_args = ()

    def __init__(self, *args, name=None, **kwargs):
        params = [p for p in self._params() if p.name not in self.tensor_args
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if len(args) > len(params):
            raise TypeError(f"{type(self).__name__} takes at most {len(params)} settings "
                            f"({[p.name for p in params]}); received {len(args)}.")
        self.config = dict(zip((p.name for p in params), args))
        unknown = set(kwargs) - {p.name for p in params}
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}.")
        self.config.update(kwargs)
        self.name = name or unique_name(_snake(type(self).__name__))
        self._inbound_nodes = []
        self.built = True

    def __getattr__(self, name):
        # Settings read as attributes, as on Keras's op objects (``op.sequence_length``).
        config = self.__dict__.get("config", {})
        if name in config:
            return config[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def _params(cls):
        return list(inspect.signature(cls.fn).parameters.values())

    def _arguments(self, args, kwargs):
        args, kwargs = list(args), dict(kwargs)
        pos, kw = [], {}
        for p in self._params():
            if p.kind is p.VAR_POSITIONAL:
                pos.extend(args)
                args = []
            elif p.kind is p.VAR_KEYWORD:
                kw.update(kwargs)
                kwargs = {}
            elif p.name in self.tensor_args:
                value = args.pop(0) if args else kwargs.pop(p.name, p.default)
                if value is p.empty:
                    raise TypeError(f"{type(self).__name__} needs `{p.name}`.")
                (kw.__setitem__(p.name, value) if p.kind is p.KEYWORD_ONLY else pos.append(value))
            else:
                value = kwargs.pop(p.name, self.config.get(p.name, p.default))
                (kw.__setitem__(p.name, value) if p.kind is p.KEYWORD_ONLY else pos.append(value))
        if args or kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments "
                            f"{args or sorted(kwargs)}.")
        return pos, kw

    def call(self, *args, **kwargs):
        """Run the op on concrete values."""
        pos, kw = self._arguments(args, kwargs)
        return type(self).fn(*pos, **kw)

    def __call__(self, *args, **kwargs):
        kwargs.pop("training", None)
        if is_symbolic_call(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """Record this op on symbolic arguments; return its symbolic outputs."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """The KerasTensors this op returns for these (symbolic) arguments."""
        pos, kw = self._arguments(args, kwargs)
        return infer_spec(type(self).fn, pos, kw)

    def get_config(self):
        return {"name": self.name, **self.config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation {type(self).__name__} name={self.name}>"


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def operation_class(fn, tensor_args=None, name=None):
    """A Keras-style op class for ``fn``: its call takes ``tensor_args`` (default: the leading
    arguments without defaults) and its constructor the rest, in ``fn``'s order.

    Example:
        >>> from numdeep import ops
        >>> Clip = operation_class(ops.clip)
        >>> Clip.__name__, Clip(0, 1)([-1.0, 0.5, 2.0]).numpy()
        ('Clip', array([0. , 0.5, 1. ], dtype=float32))
    """
    fn = getattr(fn, "__wrapped__", fn)
    if tensor_args is None:
        tensor_args = []
        for p in inspect.signature(fn).parameters.values():
            if p.default is not p.empty or p.kind is not p.POSITIONAL_OR_KEYWORD:
                break
            tensor_args.append(p.name)
    return type(name or _camel(fn.__name__), (Operation,), {
        "fn": staticmethod(fn), "tensor_args": tuple(tensor_args),
        "__doc__": f"``{fn.__name__}`` as an op object (see ``Operation``).",
        "__module__": fn.__module__})
