"""The plumbing between a layer's ``__call__`` and its ``call``/``build``: which arguments are
tensors, their shapes by name (``build(self, foo_shape, bar_shape)``), per-argument masks, and
the conversion of NumPy inputs, following Keras's rules. ``Layer`` is the only user."""

import contextlib
import contextvars
import functools
import inspect

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor
from numdeep.backend import floatx
from numdeep.layers import call_context
from numdeep.ops.symbolic import KerasTensor


def check_positional(args):
    """Keras's rule: arguments after the inputs that are not tensors go by keyword."""
    for arg in tree.flatten(args):
        if arg is not None and not isinstance(arg, Tensor | KerasTensor | np.ndarray):
            raise ValueError(f"Only input tensors may be passed as positional arguments. The "
                             f"following argument value should be passed as a keyword "
                             f"argument: {arg} (of type {type(arg)})")


def positional_weight_args(args, shape, initializer, dtype):
    """``add_weight(shape, initializer, dtype)`` given positionally, checked as Keras does (a
    string first is Keras 2's ``add_weight(name, ...)``, a common porting mistake)."""
    if isinstance(args[0], str):
        raise ValueError(f"add_weight() received the string {args[0]!r} as its first positional "
                         f"argument, which is `shape`. Pass the weight's name as a keyword "
                         f"argument: add_weight(name={args[0]!r}, ...).")
    if len(args) > 3:
        raise TypeError(f"add_weight() takes at most 3 positional arguments (shape, "
                        f"initializer, dtype) but {len(args)} were given.")
    given = dict(zip(("shape", "initializer", "dtype"), args))
    current = {"shape": shape, "initializer": initializer, "dtype": dtype}
    for key, value in given.items():
        if current[key] is not None:
            raise ValueError(f"`{key}` was passed both positionally and as a keyword argument.")
        current[key] = value
    return current["shape"], current["initializer"], current["dtype"]


def shapes_of_build_args(build, args, kwargs):
    if kwargs and not args:
        names = [p for p in inspect.signature(build).parameters if p != "self"]
        if len(kwargs) == 1:
            return as_shape(next(iter(kwargs.values())))
        return {k: as_shape(v) for k, v in kwargs.items() if k in names}
    return as_shape(args[0]) if args else None


def as_shape(shape):
    if isinstance(shape, dict):
        return {k: as_shape(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and all(
            isinstance(s, list | tuple | dict | type(None)) for s in shape) and any(
            isinstance(s, list | tuple | dict) for s in shape):
        return [as_shape(s) for s in shape]
    return None if shape is None else tuple(shape)


def is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


@functools.cache
def build_params(cls):
    """The names ``cls.build`` takes (not ``*args``/``**kwargs``)."""
    build = getattr(cls.build, "__wrapped__", cls.build)
    return [p.name for p in list(inspect.signature(build).parameters.values())[1:]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def match_build_args(layer, params, shapes_by_name):
    """Keras's rule for a ``build`` of several arguments: each is ``<call arg>_shape``."""
    call_names = call_context.call_spec(type(layer)).names
    preamble = ("For a `build()` method with more than one argument, all arguments should have "
                "a `_shape` suffix and match an argument from `call()`. E.g. `build(self, "
                "foo_shape, bar_shape)` ")
    out = {}
    for name in params:
        if not name.endswith("_shape"):
            raise ValueError(f"{preamble} For layer '{type(layer).__name__}', Received `build()` "
                             f"argument `{name}`, which does not end in `_shape`.")
        if name[:-len("_shape")] not in call_names:
            raise ValueError(f"{preamble} For layer '{type(layer).__name__}', received "
                             f"`build()` argument `{name}`, but `call()` does not have argument "
                             f"`{name[:-len('_shape')]}`.")
        if name in shapes_by_name:
            out[name] = shapes_by_name[name]
    return out


def shapes_by_name(spec, args, kwargs):
    """``{'<arg>_shape': shape}`` for every tensor argument (how Keras builds multi-input
    layers such as ``MultiHeadAttention.build(query_shape, value_shape)``)."""
    names = spec.bind_names(len(args), kwargs)
    values = list(args) + list(kwargs.values())
    out = {}
    for name, value in zip(names, values):
        if isinstance(value, Tensor | KerasTensor | np.ndarray) and name != "mask":
            out[f"{name}_shape"] = tuple(value.shape)
        elif name != "mask" and isinstance(value, list | tuple | dict) and tree.flatten(value) \
                and all(isinstance(v, Tensor | KerasTensor | np.ndarray)
                        for v in tree.flatten(value)):
            out[f"{name}_shape"] = tree.map_structure(lambda v: tuple(v.shape), value)
    return out


def fill_arg_masks(spec, args, kwargs):
    """``call(self, x1, x2, x1_mask=None, x2_mask=None)``: each ``<arg>_mask`` not given is the
    padding mask carried by that argument, as in Keras."""
    bound = dict(zip(spec.bind_names(len(args), {}), args))
    for name in spec.arg_masks:
        if kwargs.get(name) is None:
            value = bound.get(name[:-len("_mask")], kwargs.get(name[:-len("_mask")]))
            if value is None:
                continue
            mask = tree.map_structure(lambda t: getattr(t, "_keras_mask", None), value)
            if any(m is not None for m in tree.flatten(mask)):
                kwargs[name] = mask


def input_mask(inputs):
    if isinstance(inputs, Tensor | KerasTensor):
        return inputs._keras_mask
    if isinstance(inputs, list | tuple):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return None if all(m is None for m in masks) else masks
    return None


def attach_mask(outputs, mask):
    if mask is None:
        return
    if isinstance(outputs, list | tuple):
        masks = mask if isinstance(mask, list | tuple) else [mask] * len(outputs)
        for o, m in zip(outputs, masks):
            attach_mask(o, m)
    elif isinstance(outputs, Tensor | KerasTensor):
        outputs._keras_mask = mask


def as_tensor(x):
    if isinstance(x, Tensor) or x is None:
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(floatx())
    return Tensor(arr)


def convert_arrays(value):
    """NumPy arrays among a call's other arguments become Tensors (masks stay arrays)."""
    if isinstance(value, np.ndarray) and value.dtype != bool:
        return as_tensor(value)
    if isinstance(value, list | tuple) and any(isinstance(v, np.ndarray) for v in value):
        return type(value)(convert_arrays(v) for v in value)
    return value


# Bytes the weights created now may still take (``weight_budget``), or None: no budget.
_BUDGET = contextvars.ContextVar("numdeep_weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(nbytes, why):
    """Refuse (``ValueError`` saying ``why``) weights created inside the block beyond
    ``nbytes`` in all: a loader that knows how much a file stores passes it, so a tiny config
    cannot build gigabytes of layers."""
    token = _BUDGET.set([nbytes, why])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check_weight_size(layer, name, shape, dtype):
    """Refuse, naming the layer and the bytes, a weight larger than the memory available (NumPy
    would raise a bare ``MemoryError``, or "array is too big", halfway through ``build``) or
    beyond the current ``weight_budget``."""
    if not all(isinstance(d, int | np.integer) and d >= 0 for d in shape):
        return
    nbytes = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
    budget = _BUDGET.get()
    if budget is not None:
        budget[0] -= nbytes
        if budget[0] < 0:
            raise ValueError(f"Layer '{layer.name}' cannot create weight '{name}' of shape "
                             f"{shape} and dtype {dtype} ({nbytes} bytes): {budget[1]}.")
    if nbytes < 1 << 26:
        return
    available = available_memory()
    if available is not None and nbytes > available:
        raise ValueError(f"Layer '{layer.name}' cannot create weight '{name}' of shape {shape} "
                         f"and dtype {dtype}: it needs {nbytes} bytes ({nbytes / 2**30:.3g} "
                         f"GiB), more than the {available} bytes of memory available.")


def available_memory():
    """Bytes of memory available to this process (Linux: ``MemAvailable``, within a cgroup
    limit), or ``None`` where that cannot be read."""
    try:
        with open("/proc/meminfo", "rb") as f:
            fields = dict(line.split(b":", 1) for line in f if b":" in line)
        available = int(fields[b"MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None
    try:
        with open("/sys/fs/cgroup/memory.max", "rb") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current", "rb") as f:
            used = int(f.read().strip())
        if limit.isdigit():
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return available
