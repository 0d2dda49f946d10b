"""Conversion between user data and Tensors, dtype rules, and ``keras.ops.core``'s array functions
(``cast``, ``slice``, ``scatter``, ``unstack``...).

Inputs may be Tensors, arrays, lists or Python scalars. Python scalars stay weakly typed, so
``multiply(x32, 2.0)`` stays float32; results follow Keras's promotion rules
(``numdeep.backend.promotion``): ``int8 + float32`` is float32 and a float function of an integer
array (``sin``, ``mean``) gives ``floatx()``.

Example:
    >>> import numdeep as nd
    >>> nd.ops.convert_to_tensor([1, 2]).dtype, nd.ops.cast([1.5, 2.5], "int32").numpy()
    (dtype('int32'), array([1, 2], dtype=int32))
"""

import builtins

import numpy as np

from numdeep import tree
from numdeep.autograd.primitives import Add, Clip, GetItem, Pad, Scatter, Stack, Where
from numdeep.autograd.tensor import Tensor
from numdeep.backend import config, standardize_dtype, to_numpy, xp_of
from numdeep.backend.promotion import result_type

__all__ = [
    "as_tensor", "convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "cast", "dtype",
    "saturate_cast", "stop_gradient", "slice", "slice_update", "scatter", "scatter_update",
    "unstack",
]


# ----- helpers shared by every family -------------------------------------------------------------
def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _operand(x):
    # Arrays and Python scalars go to the primitive as they are (no gradient, weak scalar
    # typing); lists and other array-likes become Tensors so they get floatx() like any input.
    if isinstance(x, Tensor | int | float) or hasattr(x, "dtype"):
        return x
    return Tensor(x)


def _binary(cls, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return cls.apply(_operand(a), _operand(b))


def _mask(x, cond):
    """A boolean array as a constant of ``x``'s float dtype (for masks that multiply)."""
    return cond.astype(x.dtype)


def _data(x):
    if isinstance(x, Tensor):
        return x.data
    return xp_of(x).asarray(x)


def dtype_name(x):
    """The Keras dtype of ``x``; Python ``int``/``float`` scalars give the weak types ``int`` and
    ``float`` (``numdeep.backend.promotion.result_type`` reads them)."""
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int | float):
        return type(x)
    if hasattr(x, "dtype"):
        return standardize_dtype(x.dtype)
    return standardize_dtype(convert_to_tensor(x).dtype)


def float_dtype(dtype):
    """The dtype of a float function's result on ``dtype`` inputs: floats keep theirs, integers
    and booleans give ``floatx()`` (Keras's rule for ``sin``, ``sqrt``, ``mean``...)."""
    dtype = standardize_dtype(dtype)
    return dtype if "float" in dtype else config.floatx()


def to_dtype(x, dtype):
    """``x`` as a Tensor of ``dtype`` (a differentiable cast between floats)."""
    x = convert_to_tensor(x)
    return x if x.dtype == dtype else x.astype(dtype)


def promote(*xs, dtype=None):
    """The inputs as Tensors of one Keras result dtype (``dtype`` when given)."""
    dtype = dtype or result_type(*[dtype_name(x) for x in xs])
    return [to_dtype(x, dtype) for x in xs]


def as_float(x):
    """``x`` as a Tensor of ``float_dtype(x.dtype)`` (integers become ``floatx()``)."""
    x = convert_to_tensor(x)
    return to_dtype(x, float_dtype(x.dtype))


def plain(data, dtype=None):
    """A gradient-free result ``data`` as a Tensor (comparisons, indices, integer math)."""
    data = xp_of(data).asarray(data)
    return Tensor._from_op(data if dtype is None else data.astype(dtype, copy=False), None)


def axis_tuple(axis, ndim, sort=True):
    """``axis`` (None, an int or a sequence) as a tuple of non-negative axes (sorted unless
    ``sort=False``); an axis outside ``[-ndim, ndim)`` raises NumPy's ``ValueError``."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, list | tuple) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for array of dimension {ndim}")
        out.append(a % max(ndim, 1))
    return tuple(sorted(out)) if sort else tuple(out)


# ----- conversion ---------------------------------------------------------------------------------
def as_tensor(x, dtype=None):
    """Return ``x`` as a Tensor: Tensors pass through (cast when ``dtype`` differs).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.as_tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return Tensor(x, dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a Tensor with Keras's dtypes: arrays keep theirs, Python ints give int32,
    Python floats ``floatx()``, mixed lists their promoted dtype.

    Example:
        >>> import numdeep as nd
        >>> [nd.ops.convert_to_tensor(v).dtype.name for v in (1, 1.0, [1, 2.5], True)]
        ['int32', 'float32', 'float32', 'bool']
    """
    if sparse or ragged:
        raise ValueError("numdeep tensors are dense: `sparse=True` and `ragged=True` are not "
                         "supported.")
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    if dtype is None and not hasattr(x, "dtype"):
        leaves = tree.flatten(x) if isinstance(x, list | tuple) else [x]
        if any(isinstance(v, Tensor) for v in leaves):
            return Stack.apply(*[convert_to_tensor(v) for v in x], axis=0) \
                if isinstance(x, list | tuple) else Tensor(x)
        dtype = result_type(*[dtype_name(v) for v in leaves]) if leaves else config.floatx()
    if dtype == "string":
        raise ValueError(f"numdeep tensors hold numbers: cannot convert {x!r} to a string "
                         f"tensor.")
    return Tensor(x, dtype=dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array (copied from the GPU when needed)."""
    if type(x).__name__ == "KerasTensor":
        raise ValueError(f"A symbolic tensor {x!r} holds no values to convert to NumPy: call "
                         f"the model (or the ops) on concrete data.")
    return to_numpy(x.data if isinstance(x, Tensor) else x)


def is_tensor(x):
    """Whether ``x`` is a numdeep Tensor (a Variable is one too)."""
    return isinstance(x, Tensor)


def shape(x):
    """The shape of ``x`` as a tuple (``None`` for unknown sizes of symbolic tensors)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(convert_to_tensor(x).data))


def dtype(x):
    """The Keras dtype name of ``x`` (``'float32'``, ``'int32'``...)."""
    return standardize_dtype(x.dtype if hasattr(x, "dtype") else convert_to_tensor(x).dtype)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float dtypes).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.cast(nd.Tensor([1.7, -1.7]), "int32")
        Tensor(array([ 1, -1], dtype=int32))
    """
    return convert_to_tensor(x).astype(standardize_dtype(dtype))


def saturate_cast(x, dtype):
    """``cast`` that first clips ``x`` to ``dtype``'s range, so out-of-range values saturate
    instead of wrapping around.

    Example:
        >>> import numdeep as nd
        >>> nd.ops.saturate_cast([-5.0, 300.0], "uint8").numpy()
        array([  0, 255], dtype=uint8)
    """
    dtype = standardize_dtype(dtype)
    x = convert_to_tensor(x)
    if dtype == "bool" or x.dtype == bool:
        return x.astype(dtype)
    info = np.iinfo(dtype) if "int" in dtype else np.finfo(dtype)
    src = np.iinfo(x.dtype) if x.dtype.kind in "iu" else np.finfo(x.dtype)
    lo, hi = builtins.max(info.min, src.min), builtins.min(info.max, src.max)
    if x.dtype.kind == "f" and "int" in dtype:
        # The largest float below the integer bound, so the cast cannot overflow.
        hi = np.nextafter(x.dtype.type(hi), x.dtype.type(0)) if x.dtype.type(hi) > hi else hi
    return Clip.apply(x, lo=x.dtype.type(lo), hi=x.dtype.type(hi)).astype(dtype)


def stop_gradient(variable):
    """``variable``'s value, cut from the graph: no gradient flows through it.

    Example:
        >>> import numdeep as nd
        >>> x = nd.Tensor([3.0], requires_grad=True)
        >>> y = x * nd.ops.stop_gradient(x)
        >>> y.backward()
        >>> x.grad
        array([3.], dtype=float32)
    """
    return Tensor._from_op(convert_to_tensor(variable).data, None)


# ----- slicing and scattering ---------------------------------------------------------------------
def _starts(start_indices):
    return [int(s) for s in to_numpy(_data(start_indices)).reshape(-1)]


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.ops.slice(np.arange(9).reshape(3, 3), (1, 1), (2, 2)).numpy()
        array([[4, 5],
               [7, 8]])
    """
    x = convert_to_tensor(inputs)
    starts, sizes = _starts(start_indices), [int(s) for s in shape]
    if len(starts) != x.ndim:
        raise ValueError(f"The number of dimensions in `start_indices` must match the number of "
                         f"dimensions in `inputs`. Received: inputs.shape={x.shape}, "
                         f"start_indices={start_indices}")
    if len(sizes) != x.ndim:
        raise ValueError(f"The number of dimensions in `inputs` must match the number of "
                         f"dimensions in `shape`. Received: inputs.shape={x.shape}, "
                         f"shape={shape}")
    index = tuple(builtins.slice(s, x.shape[i] if n < 0 else s + n)
                  for i, (s, n) in enumerate(zip(starts, sizes)))
    return GetItem.apply(x, index=index)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates`` (differentiable in
    both).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.ops.slice_update(np.zeros((2, 3)), (0, 1), np.ones((1, 2))).numpy()
        array([[0., 1., 1.],
               [0., 0., 0.]])
    """
    x, u = promote(inputs, updates)
    starts = _starts(start_indices)
    if u.ndim != x.ndim or len(starts) != x.ndim:
        raise ValueError(f"slice_update: `updates` (shape {u.shape}) and `start_indices` "
                         f"({start_indices}) must match the rank of `inputs` (shape {x.shape}).")
    # Keras (like XLA) clamps the start so the block fits inside the input.
    starts = [builtins.min(builtins.max(s, 0), n - m) for s, n, m in zip(starts, x.shape, u.shape)]
    widths = [(s, n - s - m) for s, n, m in zip(starts, x.shape, u.shape)]
    keep = np.ones(x.shape, dtype=bool)
    keep[tuple(builtins.slice(s, s + m) for s, m in zip(starts, u.shape))] = False
    return Add.apply(Where.apply(keep, x, 0), Pad.apply(u, pad_width=widths, constant_values=0))


def _index_tuple(indices):
    idx = to_numpy(_data(indices))
    if idx.dtype.kind not in "iu":
        idx = idx.astype("int64")
    return tuple(np.moveaxis(idx, -1, 0))


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (``(..., k)`` integer
    coordinates into the first ``k`` axes; repeated coordinates accumulate).

    Example:
        >>> import numdeep as nd
        >>> nd.ops.scatter([[0, 1], [1, 0], [0, 1]], [1.0, 2.0, 3.0], (2, 2)).numpy()
        array([[0., 4.],
               [2., 0.]], dtype=float32)
    """
    values = convert_to_tensor(values)
    return Scatter.apply(values, index=_index_tuple(indices), shape=tuple(int(s) for s in shape))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries at ``indices`` replaced by ``updates`` (or combined with them
    when ``reduction`` is ``'add'``, ``'mul'``, ``'max'`` or ``'min'``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.ops.scatter_update(np.zeros((2, 2)), [[1, 1]], [5.0]).numpy()
        array([[0., 0.],
               [0., 5.]])
    """
    x, u = promote(inputs, updates)
    index = _index_tuple(indices)
    if reduction is None:
        hit = np.zeros(x.shape, dtype=bool)
        hit[index] = True
        return Add.apply(Where.apply(hit, 0, x), Scatter.apply(u, index=index, shape=x.shape))
    if reduction == "add":
        return Add.apply(x, Scatter.apply(u, index=index, shape=x.shape))
    ufunc = {"mul": np.multiply, "max": np.maximum, "min": np.minimum}.get(reduction)
    if ufunc is None:
        raise ValueError(f"scatter_update: `reduction` must be None, 'add', 'mul', 'max' or "
                         f"'min'. Received: reduction={reduction!r}")
    # NOTE: the multiplicative and extremal reductions give no gradient.
    out = to_numpy(x.data).copy()
    ufunc.at(out, index, to_numpy(u.data))
    return plain(out)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis`` as a list.

    Example:
        >>> import numdeep as nd
        >>> [t.numpy().tolist() for t in nd.ops.unstack([[1, 2], [3, 4]], axis=1)]
        [[1, 3], [2, 4]]
    """
    x = convert_to_tensor(x)
    (axis,) = axis_tuple(axis, x.ndim)
    n = x.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: `num` ({num}) does not match the size {n} of axis {axis} of "
                         f"the input of shape {x.shape}.")
    lead = (builtins.slice(None),) * axis
    return [GetItem.apply(x, index=lead + (i,)) for i in range(n)]


def _symbolic(value):
    return type(value).__name__ == "KerasTensor" or (
        isinstance(value, list | tuple) and builtins.any(_symbolic(v) for v in value))


def _slice_spec(inputs, start_indices, shape):
    from numdeep.ops.symbolic import KerasTensor

    if not _symbolic(start_indices):
        return None
    # Unknown starts: a size of -1 ("to the end") is unknown too.
    return KerasTensor(tuple(None if s == -1 else s for s in shape), dtype=inputs.dtype)


slice.symbolic_spec = _slice_spec


def _unstack_spec(x, num=None, axis=0):
    (axis,) = axis_tuple(axis, len(x.shape))
    if num is None and x.shape[axis] is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}. Either provide "
                         f"a tensor with a concrete shape in the `axis` dimension or explicitly "
                         f"pass the `num` argument.")


unstack.symbolic_spec = _unstack_spec
