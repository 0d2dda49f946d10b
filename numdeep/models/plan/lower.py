"""Lean replay kernels for the commonest primitives of an inference plan.

A plan replays ``Function.forward`` methods; each of those also saves arrays for a backward
that never comes, keeps bookkeeping attributes and (for the exp family) enters a floating-point
error scope, which the plan then has to undo: several microseconds per op, most of a 1-sample
``predict``. For the ops below a plain function computes the same result with the same NumPy
calls in the same order, so the replay stays bit for bit equal to the eager call (the plan's
check compares them, and ``tests/models/test_plan_lower.py`` compares each kernel with its
primitive's ``forward``). An op without an entry here replays through its ``forward``.
"""

import math

import numpy as np

from numdeep.autograd.primitives import elementwise, linalg, movement, reduce
from numdeep.backend.kernels import activations as activation_kernels

_DEFAULT_UNDER = "ignore"


def _matmul(a, b):
    if a.ndim == 2 and b.ndim == 2:
        return linalg.gemm(np, a, b)  # the eager op's choice of BLAS threads
    return linalg._matmul(np, a, b)


def _relu(x):
    return activation_kernels.relu(np, x)  # maximum(x, 0), split over threads when large


def _softmax_factory(params):
    axis = params.get("axis", reduce.Softmax.axis)
    maximum, add = np.maximum.reduce, np.add.reduce  # what .max()/.sum() call, minus a layer

    def softmax(x):
        if x.size == 0 or np.geterr()["under"] != _DEFAULT_UNDER:
            return _forward(reduce.Softmax, params)(x)
        m = maximum(x, axis, None, None, True)
        # Infinities or NaN: the primitive's safe shift. One row (a 1-sample call) is checked
        # as a Python float: a third of the cost of isfinite().all() on a tiny array.
        if not (math.isfinite(m.item()) if m.size == 1 else np.isfinite(m).all()):
            return _forward(reduce.Softmax, params)(x)
        e = x - m
        np.exp(e, out=e)  # x - max <= 0: exp cannot overflow, and underflow is silent here
        # With a finite maximum each row sums to between 1 and its length: never 0.
        e /= add(e, axis, None, None, True)
        return e
    return softmax


def _sigmoid(x):
    if np.geterr()["over"] != "ignore":
        with elementwise.quiet(over="ignore"):
            return 1 / (1 + np.exp(-x))
    return 1 / (1 + np.exp(-x))


def _forward(cls, params):
    """``cls.forward`` bound to a fresh op object with ``params`` (the general fallback)."""
    fn = object.__new__(cls)
    fn.__dict__.update(params)
    fn.saved, fn.parents, fn.needs_input_grad, fn.xp = (), (), (), np
    return fn.forward


def _fixed(kernel):
    """A factory for an op without parameters: the same kernel for every op."""
    return lambda params: kernel


# op class: (the parameters its kernel understands, factory(params) -> kernel)
_KERNELS = {
    linalg.MatMul: ((), _fixed(_matmul)),
    elementwise.Add: ((), _fixed(np.add)),
    elementwise.Sub: ((), _fixed(np.subtract)),
    elementwise.Mul: ((), _fixed(np.multiply)),
    elementwise.Div: ((), _fixed(np.true_divide)),
    elementwise.Relu: ((), _fixed(_relu)),
    elementwise.Tanh: ((), _fixed(np.tanh)),
    elementwise.Sigmoid: ((), _fixed(_sigmoid)),
    movement.Reshape: (("shape",), lambda params: (lambda x, shape=params["shape"]:
                                                   x.reshape(shape))),
    reduce.Softmax: (("axis",), _softmax_factory),
}


def lowered(cls, params):
    """A plain function of the op's input arrays giving ``cls(**params).forward``'s result
    bit for bit, or None when ``cls`` has no lean kernel.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd.primitives import reduce
        >>> from numdeep.models.plan.lower import lowered
        >>> x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
        >>> fast = lowered(reduce.Softmax, {"axis": -1})
        >>> np.array_equal(fast(x), reduce.Softmax.apply(x, axis=-1).numpy())
        True
    """
    entry = _KERNELS.get(cls)
    if entry is None or not set(params) <= set(entry[0]):
        return None
    return entry[1](params)
