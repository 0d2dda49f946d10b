"""Control flow of ``keras.ops.core``: ``cond``, ``switch``, loops, ``scan``, ``map``,
``vectorized_map`` and ``custom_gradient``.

numdeep runs eagerly, so these are Python control flow over Tensors: gradients flow through
whatever the branches and bodies compute, and a loop's graph is as long as its iterations.

Example:
    >>> import numdeep as nd
    >>> carry, ys = nd.ops.scan(lambda c, x: (c + x, c * x), 0.0, nd.ops.arange(1.0, 4.0))
    >>> float(carry), ys.numpy()
    (6.0, array([0., 2., 9.], dtype=float32))
"""

import numpy as np

from numdeep import tree
from numdeep.autograd.function import Function
from numdeep.autograd.primitives import GetItem
from numdeep.autograd.tensor import Tensor
from numdeep.backend import to_numpy
from numdeep.ops.core import _data, convert_to_tensor
from numdeep.ops.numpy_create import zeros_like
from numdeep.ops.numpy_join import concatenate, stack
from numdeep.ops.numpy_shape import flip
from numdeep.ops.operation import Operation

__all__ = [
    "cond", "switch", "while_loop", "fori_loop", "scan", "associative_scan", "map",
    "vectorized_map", "custom_gradient", "vectorize",
]


def _truth(pred):
    value = to_numpy(_data(pred))
    if value.size != 1:
        raise ValueError(f"The predicate must be a single boolean; received shape "
                         f"{value.shape}.")
    return bool(value.reshape(()))


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` holds, else ``false_fn()``."""
    return true_fn() if _truth(pred) else false_fn()


def _cond_spec(pred, true_fn, false_fn):
    from numdeep.ops.operation import spec_of
    from numdeep.ops.symbolic import KerasTensor

    if not isinstance(pred, KerasTensor):
        return None
    # The branch taken is unknown: both must agree on what they return.
    a, b = spec_of(true_fn()), spec_of(false_fn())
    if not _same_output_spec(a, b):
        raise ValueError(f"`true_fn` and `false_fn` should return outputs of the same kind "
                         f"(struct, dtype and shape). Got {a} and {b} instead.")
    return a


def _same_output_spec(true_spec, false_spec):
    """Whether two branch outputs have the same structure and, leaf by leaf, the same shape
    and dtype (None only matching None)."""
    try:
        tree.assert_same_structure(true_spec, false_spec)
    except (TypeError, ValueError):
        return False

    def same(t, f):
        if t is None or f is None:
            return t is None and f is None
        return tuple(t.shape) == tuple(f.shape) and t.dtype == f.dtype

    return all(tree.flatten(tree.map_structure(same, true_spec, false_spec)))


cond.symbolic_spec = _cond_spec


class Cond(Operation):
    """``cond`` as an op object (Keras's ``ops.Cond``; see ``Operation``).

    Example:
        >>> Cond()(True, lambda: 1.0, lambda: 2.0)
        1.0
    """

    fn = staticmethod(cond)
    tensor_args = ("pred", "true_fn", "false_fn")

    def _check_output_spec(self, true_fn_spec, false_fn_spec):
        return _same_output_spec(true_fn_spec, false_fn_spec)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped to the valid range."""
    i = int(np.clip(int(to_numpy(_data(index)).reshape(())), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Apply ``body`` to ``loop_vars`` while ``cond`` holds (at most ``maximum_iterations``
    times); a tuple or list of loop variables is unpacked into the calls.

    Example:
        >>> import numdeep as nd
        >>> int(nd.ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0))
        12
    """
    packed = isinstance(loop_vars, list | tuple)
    values = tuple(loop_vars) if packed else (loop_vars,)
    values = tree.map_structure(convert_to_tensor, values)
    step = 0
    while (maximum_iterations is None or step < maximum_iterations) and _truth(cond(*values)):
        out = body(*values)
        values = tuple(out) if isinstance(out, list | tuple) else (out,)
        step += 1
    return values if packed else values[0]


def _loop_vars_spec(cond, body, loop_vars, maximum_iterations=None):
    # The loop runs an unknown number of times: its outputs are shaped like its inputs.
    from numdeep.ops.symbolic import KerasTensor

    return tree.map_structure(lambda v: KerasTensor(v.shape, dtype=v.dtype)
                              if isinstance(v, KerasTensor) else v, loop_vars)


while_loop.symbolic_spec = _loop_vars_spec


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(to_numpy(_data(lower))), int(to_numpy(_data(upper)))):
        val = body_fun(i, val)
    return val


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``jax.lax.scan``: ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (a nested
    structure of tensors), returning the final carry and the stacked ``y``s."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be an positive integer or boolean. Received: "
                         f"unroll={unroll}")
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    flat = [] if xs is None else [convert_to_tensor(x) for x in tree.flatten(xs)]
    n = int(length) if length is not None else flat[0].shape[0]
    carry = tree.map_structure(convert_to_tensor, init)
    ys = []
    for i in (reversed(range(n)) if reverse else range(n)):
        x = None if xs is None else tree.pack_sequence_as(xs, [t[i] for t in flat])
        carry, y = f(carry, x)
        # A step without output stacks zeros shaped like the carry, as in Keras.
        ys.append(y if y is not None else tree.map_structure(zeros_like, carry))
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    return carry, tree.map_structure(lambda *leaves: stack(list(leaves)), *ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """Running ``f``-combination (an associative binary function, e.g. ``add``) of ``elems``
    along ``axis``: ``out[i] = f(out[i - 1], elems[i])``."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    flat = [convert_to_tensor(e) for e in tree.flatten(elems)]
    n = flat[0].shape[axis]
    if any(e.shape[axis] != n for e in flat):
        raise ValueError(f"Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {[e.shape for e in flat]})")
    if reverse:
        flat = [flip(e, axis) for e in flat]

    def part(e, i):
        return GetItem.apply(e, index=(slice(None),) * (axis % e.ndim) + (slice(i, i + 1),))

    out = [[part(e, 0)] for e in flat]
    for i in range(1, n):
        prev = tree.pack_sequence_as(elems, [o[-1] for o in out])
        cur = tree.pack_sequence_as(elems, [part(e, i) for e in flat])
        for o, v in zip(out, tree.flatten(f(prev, cur))):
            o.append(v)
    scans = [concatenate(o, axis=axis) for o in out]
    if reverse:
        scans = [flip(s, axis) for s in scans]
    return tree.pack_sequence_as(elems, scans)


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked."""
    return scan(lambda _, x: ((), f(x)), (), xs)[1]


def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` (a tensor, or a list/tuple of tensors
    sliced together) along the leading axis, results stacked."""
    if isinstance(elements, list | tuple):
        flat = [convert_to_tensor(e) for e in elements]
        outs = [function(type(elements)(e[i] for e in flat)) for i in range(flat[0].shape[0])]
    else:
        x = convert_to_tensor(elements)
        outs = [function(x[i]) for i in range(x.shape[0])]
    return tree.map_structure(lambda *leaves: stack(list(leaves)), *outs)


def _core_dims(signature):
    inputs = signature.split("->")[0].strip()
    return [[d for d in part.split(",") if d] for part in inputs[1:-1].split("),(")]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to map over the leading (broadcast) axes of its tensor arguments, as
    ``numpy.vectorize``: ``signature`` (e.g. ``'(d,d)->()'``) names each argument's core axes,
    which ``pyfunc`` receives whole; without it ``pyfunc`` sees scalars. Arguments in
    ``excluded`` (positions or names) pass through unchanged.

    Example:
        >>> import numdeep as nd
        >>> trace = nd.ops.vectorize(nd.ops.trace, signature="(d,d)->()")
        >>> trace(nd.ops.ones((3, 2, 2))).numpy()
        array([2., 2., 2.], dtype=float32)
    """
    excluded = set(excluded or ())

    def wrapped(*args, **kwargs):
        slots = [i for i in range(len(args)) if i not in excluded]
        tensors = [convert_to_tensor(args[i]) for i in slots]
        cores = _core_dims(signature) if signature else [[] for _ in tensors]
        if len(cores) != len(tensors):
            raise ValueError(f"vectorize: the signature {signature!r} names {len(cores)} "
                             f"inputs but {len(tensors)} were given.")
        batch = np.broadcast_shapes(*[t.shape[:t.ndim - len(c)] for t, c in zip(tensors, cores)])
        tensors = [t if t.shape[:t.ndim - len(c)] == batch
                   else _broadcast(t, batch + t.shape[t.ndim - len(c):])
                   for t, c in zip(tensors, cores)]
        outs = []
        for idx in np.ndindex(*batch):
            call = list(args)
            for i, t in zip(slots, tensors):
                call[i] = t[idx] if idx else t
            outs.append(pyfunc(*call, **kwargs))
        if not batch:
            return outs[0]
        stacked = tree.map_structure(lambda *leaves: stack(list(leaves)), *outs)
        return tree.map_structure(
            lambda o: o.reshape(batch + tuple(o.shape[1:])), stacked)

    wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
    return wrapped


def _broadcast(t, shape):
    from numdeep.ops.numpy_shape import broadcast_to

    return broadcast_to(t, shape)


class _Custom(Function):
    """A function whose backward is user code: ``forward`` already ran; ``backward`` calls the
    user's gradient function on Tensors."""

    def forward(self, *arrays):
        return self.value

    def backward(self, gy):
        grads = self.grad_fn(Tensor(gy))
        grads = grads if isinstance(grads, list | tuple) else (grads,)
        return tuple(None if g is None else convert_to_tensor(g).data for g in grads)


def custom_gradient(f):
    """Decorate ``f(*args)`` returning ``(output, grad_fn)``: the output's gradient is what
    ``grad_fn(upstream)`` returns (one per argument) instead of the derivative of ``f``.

    Example:
        >>> import numdeep as nd
        >>> @nd.ops.custom_gradient
        ... def clipped_identity(x):
        ...     return x, lambda g: nd.ops.clip(g, -1.0, 1.0)
        >>> x = nd.Tensor([1.0], requires_grad=True)
        >>> (clipped_identity(x) * 5.0).sum().backward()
        >>> x.grad
        array([1.], dtype=float32)
    """

    def wrapper(*args, **kwargs):
        tensors = [a if isinstance(a, Tensor) else convert_to_tensor(a) for a in args]
        value, grad_fn = f(*[Tensor._from_op(t.data, None) for t in tensors], **kwargs)
        return _Custom.apply(*tensors, value=convert_to_tensor(value).data, grad_fn=grad_fn)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper
