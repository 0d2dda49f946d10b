"""Rematerialization (gradient checkpointing): keep a call's inputs, not its activations.

A rematerialized call runs forward as usual but keeps none of its intermediate arrays for the
backward pass; backward runs the call again from its saved inputs and backpropagates through
that recomputation. Memory held between forward and backward drops to the call's inputs and
output, at the price of one more forward. ``RematScope`` chooses which layers are
rematerialized, as in Keras (layers read the scope when they are created).

The recomputation must see what the forward saw: random draws are replayed from the seed state
the forward started with (``state=``), and variables are frozen during it, so a moving average
or counter is not updated twice.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> from numdeep.autograd.remat import remat
    >>> w = nd.Tensor(np.array([2.0], "float32"), requires_grad=True)
    >>> x = nd.Tensor(np.array([0.5], "float32"), requires_grad=True)
    >>> y = remat(lambda t: (t * w).tanh() * w)(x)
    >>> y.backward()
    >>> bool(np.allclose(x.grad, 4 * (1 - np.tanh(1.0) ** 2)))
    True
"""

import functools
import threading
from collections import namedtuple

from numdeep import tree
from numdeep.autograd import engine
from numdeep.autograd.engine import is_grad_enabled, no_grad
from numdeep.autograd.function import Function
from numdeep.autograd.tensor import Tensor
from numdeep.backend.symbolic_scope import frozen_state

__all__ = ["RematScope", "RematMode", "get_current_remat_mode", "remat"]

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_STACK = threading.local()


class RematScope:
    """Which layers created inside the scope rematerialize their calls.

    Args:
        mode: ``"full"`` (every layer), ``"activations"`` (only the activation function of
            layers that have one), ``"larger_than"`` (layers whose output has more than
            ``output_size_threshold`` elements), ``"list_of_layers"`` (the layers named in
            ``layer_names``) or ``None`` (none, e.g. inside an outer scope).
        output_size_threshold: the size limit of ``"larger_than"``.
        layer_names: the names of ``"list_of_layers"``.

    Example:
        >>> import numdeep as nd
        >>> with nd.RematScope(mode="full"):
        ...     layer = nd.layers.Dense(4)
        >>> layer._remat_mode.mode
        'full'
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', "
                             f"'activations', 'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        stack = getattr(_STACK, "scopes", None)
        if stack is None:
            stack = _STACK.scopes = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _STACK.scopes.pop()
        return False


def get_current_remat_mode():
    """The innermost ``RematScope``'s settings (``None`` outside any scope or for mode None)."""
    stack = getattr(_STACK, "scopes", None)
    if not stack or stack[-1].mode is None:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(fn, state=()):
    """``fn`` rematerialized: same outputs and gradients, no activations kept for backward.

    Args:
        fn: a function of Tensors returning one Tensor (other results run ``fn`` unchanged).
        state: seed-state variables ``fn`` draws random numbers from; the recomputation
            replays them from the values the forward started with. By default, a layer's
            bound method brings its own (``_remat_state``).
    """

    if not state:
        # A layer's bound `call` names its own seed states (``Layer._remat_state``).
        owner_state = getattr(getattr(fn, "__self__", None), "_remat_state", None)
        state = tuple(owner_state()) if owner_state is not None else ()

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if not is_grad_enabled():
            return fn(*args, **kwargs)
        start = [v.data.copy() for v in state]
        out = fn(*args, **kwargs)
        if not isinstance(out, Tensor) or out._ctx is None:
            return out  # nothing to differentiate, or several outputs: kept as computed
        inputs = [t for t in tree.flatten((args, kwargs))
                  if isinstance(t, Tensor) and t.requires_grad]
        known = {id(t) for t in inputs}
        leaves = [t for t in engine.leaves(out) if id(t) not in known]
        with no_grad():
            value = out.data
        # The forward graph is dropped here: only `Remat`'s parents keep arrays alive.
        return Remat.apply(*inputs, *leaves, fn=fn, args=args, kwargs=kwargs, value=value,
                           n_inputs=len(inputs), state=tuple(state), start=start)

    return wrapped


class Remat(Function):
    """One rematerialized call: forward returns the value already computed; backward
    recomputes the call from its inputs and backpropagates through it."""

    def forward(self, *arrays):
        return self.value

    def backward(self, gy):
        inputs = self.parents[:self.n_inputs]
        leaves = self.parents[self.n_inputs:]
        fresh = {id(t): Tensor(t.data, requires_grad=True) for t in inputs}
        args, kwargs = tree.map_structure(
            lambda v: fresh.get(id(v), v) if isinstance(v, Tensor) else v,
            (self.args, self.kwargs))
        after = [v.data for v in self.state]
        for v, value in zip(self.state, self.start):
            v.data = value.copy()
        try:
            with engine.set_grad_enabled(True), frozen_state():
                out = self.fn(*args, **kwargs)
        finally:
            for v, value in zip(self.state, after):
                v.data = value
        found = engine.backward(out, gy, collect=list(fresh.values()) + list(leaves))
        grads = [found.get(id(fresh[id(t)])) for t in inputs]
        grads += [found.get(id(t)) for t in leaves]
        return tuple(grads)
