"""Keras's dtype promotion: the result dtype of an op on mixed dtypes
(``keras.backend.result_type``).

NumPy promotes ``int32 + float32`` to ``float64`` and ``int8 + 1.5`` to ``float64``; Keras (like
JAX) walks a promotion lattice instead, where Python ``int``/``float`` are *weak* types that take
the other operand's precision (``floatx()``'s when nothing else gives one). ``numdeep.ops`` follows
these rules so that its result dtypes are Keras's. 64-bit results come only from 64-bit inputs
(``uint32 + int8`` is int32, as JAX gives it); Keras's NumPy and JAX backends also turn
``float64 + float64`` into float32, while numdeep (like Keras's torch backend) keeps it in
float64, so that float64 gradient checks stay float64.

Example:
    >>> from numdeep.backend.promotion import result_type
    >>> result_type("int32", "float32"), result_type("int8", float), result_type("uint8", "int8")
    ('float32', 'float32', 'int16')
    >>> result_type("bool", int), result_type("float16", int)
    ('int32', 'float16')
"""

import functools

import numpy as np

from numdeep.backend import config

COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
# The dtypes numdeep's arrays can hold: Keras's, less bfloat16 and the float8 types (NumPy has
# none of them; see the mixed-precision note of the Keras-suite scope).
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "int32", "int64", "bool", "string", "complex64", "complex128")

# Each dtype -> the dtypes immediately above it; "int" and "float" are the weak Python types.
_TO_32_BIT = {"int64": "int32", "uint64": "uint32", "float64": "float32",
              "complex128": "complex64"}
_LATTICE = {
    "bool": ("int",),
    "uint8": ("int16", "uint16"), "uint16": ("int32", "uint32"), "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int": ("uint8", "int8", "complex64"),
    "int8": ("int16",), "int16": ("int32",), "int32": ("int64",), "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",), "float16": ("float32",), "float32": ("float64", "complex64"),
    "float64": ("complex128",), "complex64": ("complex128",), "complex128": (),
}


def _upper_bounds():
    bounds = {}
    for node in _LATTICE:
        seen, stack = set(), [node]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(_LATTICE[n])
        bounds[node] = frozenset(seen)
    return bounds


_BOUNDS = _upper_bounds()


@functools.lru_cache(512)
def _least_upper_bound(nodes):
    common = frozenset.intersection(*(_BOUNDS[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _BOUNDS[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(sorted(nodes))} have no available implicit "
                         f"dtype promotion path. Try explicitly casting inputs to the desired "
                         f"output type.")
    return next(iter(least))


def _name(dtype):
    if dtype is int or dtype is float:
        return "int" if dtype is int else "float", True
    if dtype is bool:
        return "bool", False
    if isinstance(dtype, str) and dtype in _LATTICE:
        name = dtype
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            try:  # a torch dtype, as Keras accepts on its torch backend
                name = np.dtype(str(dtype).removeprefix("torch.")).name
            except TypeError:
                name = str(dtype)
    if name not in _LATTICE:
        raise ValueError(f"Invalid value for argument `dtype`. Expected one of "
                         f"{ALLOWED_DTYPES}. Received: dtype={dtype}")
    return name, False


def _weak_kind(name):
    return "float" if "float" in name else "int" if "int" in name else name


def _resolve_weak(name, precision):
    kind = name[0] if name != "bfloat16" else "f"
    return {"b": "bool", "i": f"int{precision}", "u": f"uint{precision}"}.get(
        kind, f"float{precision}")


def result_type(*dtypes):
    """The Keras dtype name of an op's result on inputs of these dtypes.

    Args:
        *dtypes: dtype names or objects; ``int`` and ``float`` (the Python types) are weak and
            adopt the other inputs' precision; ``None`` stands for ``floatx()``.

    Returns:
        The dtype name, as ``keras.backend.result_type`` gives it.

    Example:
        >>> from numdeep.backend.promotion import result_type
        >>> result_type("int16", "uint16"), result_type("uint32", "int8"), result_type(int, float)
        ('int32', 'int32', 'float32')
    """
    if not dtypes:
        return config.floatx()
    if any(d in FLOAT8_TYPES for d in dtypes):
        raise ValueError(f"There is no implicit conversions from float8 dtypes to others. You "
                         f"must cast it internally. Received: {dtypes}")
    parsed = [_name(config.floatx() if d is None else d) for d in dtypes]
    names = [n for n, _ in parsed]
    weak = [w for _, w in parsed]
    if len(parsed) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(frozenset(names)), True
    else:
        out = _least_upper_bound(frozenset(_weak_kind(n) if w else n
                                           for n, w in zip(names, weak)))
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        out = _resolve_weak(out, config.floatx()[-2:])
    # Only 64-bit inputs give 64-bit results (JAX's rule without x64: uint32 + int8 is int32).
    if out in _TO_32_BIT and not any(n in _TO_32_BIT for n in names):
        out = _TO_32_BIT[out]
    return out
