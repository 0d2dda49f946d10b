"""``gradcheck_layer``: float64 gradient check of a built layer wrt its inputs and its weights."""

import contextlib

import numpy as np

from numdeep.autograd import Tensor, gradcheck


def _bindings(layer):
    """``(owner, attribute, weight)`` for every weight held in a layer attribute (recursively)."""
    found, stack, seen = [], [layer], set()
    while stack:
        owner = stack.pop()
        if id(owner) in seen:
            continue
        seen.add(id(owner))
        for name, value in vars(owner).items():
            if isinstance(value, Tensor) and any(value is w for w in layer.weights):
                found.append((owner, name, value))
        stack.extend(owner._layers)
    return found


@contextlib.contextmanager
def _swapped(bindings, tensors):
    for (owner, name, _), t in zip(bindings, tensors):
        object.__setattr__(owner, name, t)
    try:
        yield
    finally:
        for owner, name, w in bindings:
            object.__setattr__(owner, name, w)


def gradcheck_layer(layer, inputs, call=None, mode="full", **kwargs):
    """Check d(output)/d(inputs) and d(output)/d(weights) of a float64 ``layer``.

    ``inputs`` is a list of float64 arrays; ``call(layer, xs)`` computes the output (default
    ``layer(xs[0])`` for one input, ``layer(xs)`` for several).
    """
    call = call or (lambda la, xs: la(xs[0] if len(xs) == 1 else list(xs), training=False))
    call(layer, [Tensor(x) for x in inputs])  # build
    bindings = _bindings(layer)
    weights = [np.array(w.data, dtype=np.float64) for _, _, w in bindings]
    n = len(inputs)

    def fn(*args):
        with _swapped(bindings, args[n:]):
            return call(layer, list(args[:n]))

    return gradcheck(fn, list(inputs) + weights, mode=mode, **kwargs)
