"""The few operations of imported graphs that ``numdeep.ops`` has no name for: ONNX's reshape
(``0`` copies a size, ``-1`` infers one), ``Expand``'s two-way broadcast, ``ConstantOfShape``
and a ``Slice`` whose bounds are run-time sizes (a position table cut to the sequence length),
each taking its shape or bounds as a spec over free sizes (``shapes.to_spec``) and
the tensors those sizes come from. They are recorded in the functional graph as ops and
exported back as the ONNX operators they came from."""

import numpy as np

from numdeep.autograd import Tensor, data_of
from numdeep.onnx.importer.shapes import resolve
from numdeep.ops import eager as ops
from numdeep.ops.symbolic import KerasTensor


def reshape_target(in_shape, target, allowzero=0):
    """ONNX ``Reshape``'s output shape of an input of ``in_shape``."""
    out = []
    for i, d in enumerate(target):
        out.append(in_shape[i] if d == 0 and not allowzero else d)
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        total = int(np.prod(in_shape))
        out[out.index(-1)] = total // known if known else 0
    return tuple(int(d) for d in out)


def onnx_reshape(x, spec, *refs, allowzero=0):
    """``x`` reshaped to ``spec`` (ONNX rules)."""
    return ops.reshape(x, reshape_target(tuple(x.shape), resolve(spec, refs), allowzero))


def onnx_expand(x, spec, *refs):
    """``x`` broadcast against the shape ``spec`` (both ways, as ONNX ``Expand``)."""
    shape = np.broadcast_shapes(tuple(x.shape), tuple(resolve(spec, refs)))
    return ops.broadcast_to(x, shape)


def onnx_full(spec, *refs, value=0.0, dtype="float32"):
    """A tensor of shape ``spec`` filled with ``value`` (ONNX ``ConstantOfShape``)."""
    return Tensor(np.full(tuple(resolve(spec, refs)), value, dtype=np.dtype(dtype)))


_BIG = np.iinfo(np.int64).max


def slice_key(rank, starts, ends, axes, steps):
    """ONNX ``Slice`` bounds as a NumPy index of a rank-``rank`` array (an end past +-2**62
    means "to the end", as exporters write INT64_MAX)."""
    index = [slice(None)] * rank
    for s, e, a, st in zip(starts, ends, axes, steps):
        e = None if (st > 0 and e >= _BIG // 2) or (st < 0 and e <= -_BIG // 2) else int(e)
        index[a % rank] = slice(int(s), e, int(st))
    return tuple(index)


def onnx_slice(x, starts, ends, axes, steps, *refs):
    """``x`` sliced along ``axes`` from ``starts`` to ``ends`` (specs over free sizes)."""
    key = slice_key(len(x.shape), resolve(starts, refs), resolve(ends, refs), axes, steps)
    return ops.getitem(x, key)


def onnx_shape(x, start=0, end=None):
    """The shape of ``x`` as an int64 tensor (ONNX ``Shape``), for shapes used as data."""
    return Tensor(np.asarray(np.shape(data_of(x))[start:end], dtype=np.int64))


# Output specs computed from the specs themselves: dummy runs would give each free size its own
# value, while sizes of different tensors are related (batch * heads).
def _static(entry):
    return entry if isinstance(entry, int) else None


def _reshape_spec(x, spec, *refs, allowzero=0):
    # Sizes as symbols: a free size copied from x (by 0, or by a spec naming x's own axis)
    # cancels against that axis of x when -1 is inferred.
    def token(i, e):
        if e == 0 and not allowzero:
            return ("x", i)
        if isinstance(e, tuple) and e[0] == "dim" and refs[e[1]] is x:
            return ("x", e[2])
        return e if isinstance(e, int) else None

    tokens = [token(i, e) for i, e in enumerate(spec)]
    out = [x.shape[t[1]] if isinstance(t, tuple) else t for t in tokens]
    if -1 in tokens:
        num = [("x", i) if d is None else d for i, d in enumerate(x.shape)]
        den = [t for t in tokens if t != -1]
        for t in list(den):
            if isinstance(t, tuple) and t in num:
                num.remove(t)
                den.remove(t)
            elif isinstance(t, tuple):
                den[den.index(t)] = x.shape[t[1]]
        if any(not isinstance(d, int) for d in num + den):
            out[tokens.index(-1)] = None
        else:
            known = int(np.prod(den))
            out[tokens.index(-1)] = int(np.prod(num)) // known if known else 0
    return KerasTensor(tuple(out), dtype=x.dtype)


def _expand_spec(x, spec, *refs):
    target = [_static(e) for e in spec]
    rank = max(len(x.shape), len(target))
    a = (1,) * (rank - len(x.shape)) + tuple(x.shape)
    b = (1,) * (rank - len(target)) + tuple(target)
    out = [q if p == 1 else (p if q == 1 else (p if p is not None else q)) for p, q in zip(a, b)]
    return KerasTensor(tuple(out), dtype=x.dtype)


def _full_spec(spec, *refs, value=0.0, dtype="float32"):
    return KerasTensor(tuple(_static(e) for e in spec), dtype=dtype)


def _slice_spec(x, starts, ends, axes, steps, *refs):
    out = list(x.shape)
    for s, e, a, st in zip(starts, ends, axes, steps):
        a %= len(out)
        if out[a] is None or not isinstance(s, int) or not isinstance(e, int):
            out[a] = None
        else:
            out[a] = len(range(*slice_key(1, [s], [e], [0], [st])[0].indices(out[a])))
    return KerasTensor(tuple(out), dtype=str(np.dtype(x.dtype)))


onnx_reshape.symbolic_spec = _reshape_spec
onnx_expand.symbolic_spec = _expand_spec
onnx_full.symbolic_spec = _full_spec
onnx_slice.symbolic_spec = _slice_spec
