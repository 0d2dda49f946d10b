"""Gradients for custom training loops: ``GradientTape`` and ``grad``.

One mechanism: the graph is always recorded (define-by-run); a tape only decides which tensors
it differentiates and collects their gradients without touching anyone's ``.grad``.

Higher order: a gradient taken while another tape (or an enclosing ``grad``) is recording, or by
a persistent tape inside its own block, is computed with the primitives' differentiable
backward (``engine.backward_graph``) and returned as Tensors that can be differentiated again.
"""

import contextlib
import threading

from numdeep.autograd import engine
from numdeep.autograd.tensor import Tensor
from numdeep.backend import xp_of

_ACTIVE = threading.local()  # the tapes (and enclosing grad calls) recording on this thread


def _active():
    if not hasattr(_ACTIVE, "stack"):
        _ACTIVE.stack = []
    return _ACTIVE.stack


@contextlib.contextmanager
def _recording(owner):
    stack = _active()
    stack.append(owner)
    try:
        yield
    finally:
        stack.remove(owner)


class GradientTape:
    """Collects gradients of a result with respect to chosen tensors (Keras/TF style).

    Args:
        persistent: allow several ``gradient`` calls (the graph is kept until the tape is
            garbage-collected); otherwise a second call raises.

    ``tape.gradient(target, sources)`` returns one gradient array per source, in the structure
    of ``sources``; a source the target does not depend on gets ``None`` (as TensorFlow does).
    Weights of layers with ``trainable = False`` record no gradient unless ``watch``-ed.

    Called while an outer tape records (or on a persistent tape inside its own ``with``
    block), ``gradient`` returns Tensors that carry their own graph, so the outer tape can
    differentiate them: second derivatives, Hessian-vector products, gradient penalties.

    Example:
        >>> import numdeep as nd
        >>> w = nd.Tensor([1.0, 2.0], requires_grad=True)
        >>> x = nd.Tensor([3.0, 4.0])
        >>> with nd.GradientTape() as tape:
        ...     tape.watch(x)
        ...     loss = (w * x).sum()
        >>> dw, dx = tape.gradient(loss, [w, x])
        >>> dw, dx
        (array([3., 4.], dtype=float32), array([1., 2.], dtype=float32))

        The second derivative of ``x ** 3`` (``6 x``) with nested tapes:

        >>> x = nd.Tensor([1.0, 2.0])
        >>> with nd.GradientTape() as outer:
        ...     outer.watch(x)
        ...     with nd.GradientTape() as inner:
        ...         y = (x ** 3).sum()
        ...     dy = inner.gradient(y, x)  # 3 x**2, a Tensor with a graph
        >>> outer.gradient(dy, x)
        array([ 6., 12.], dtype=float32)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self._watched = []
        self._used = False
        self._recording = None

    def __enter__(self):
        self._recording = contextlib.ExitStack()
        self._recording.enter_context(engine.set_grad_enabled(True))
        self._recording.enter_context(_recording(self))
        return self

    def __exit__(self, *exc):
        self._recording.__exit__(*exc)
        return False

    def _unwatch(self):
        # Watching is scoped to the tape: watched tensors go back to not requiring grad once
        # the tape's gradients are taken (or the persistent tape is dropped).
        for t in self._watched:
            t.requires_grad = False
        self._watched = []

    def __del__(self):
        self._unwatch()

    def watch(self, tensor):
        """Record operations on ``tensor`` (or a list of tensors) so it can be differentiated."""
        for t in tensor if isinstance(tensor, list | tuple) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch() expects Tensors; received "
                                f"{type(t).__name__}.")
            if not t.requires_grad:
                t.requires_grad = True
                self._watched.append(t)

    def gradient(self, target, sources, output_gradients=None):
        """d(target)/d(sources): arrays in the structure of ``sources`` (``None`` if unconnected).

        While another tape records (or for a persistent tape inside its own block) the
        gradients are differentiable Tensors instead of arrays.

        Args:
            target: a Tensor (non-scalar targets are summed, as TensorFlow does, unless
                ``output_gradients`` gives the upstream gradient).
            sources: a Tensor or a (nested) list/tuple of Tensors, e.g.
                ``model.trainable_weights``.
            output_gradients: optional upstream gradient for ``target``.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient() can only be called once on a non-persistent tape. "
                "Create the tape with GradientTape(persistent=True) to call it several times."
            )
        self._used = True
        flat = _flatten(sources)
        for s in flat:
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient() sources must be Tensors; received "
                                f"{type(s).__name__}.")
        active = _active()
        create_graph = any(t is not self for t in active) or (self.persistent and self in active)
        grads = grad_of(target, flat, output_gradients, retain_graph=self.persistent,
                        create_graph=create_graph)
        if not self.persistent:
            self._unwatch()
        return _unflatten(sources, iter(grads))


def grad_of(target, sources, output_gradients=None, retain_graph=False, create_graph=False):
    """Gradients of ``target`` with respect to the list ``sources`` (``None`` if unconnected):
    arrays, or differentiable Tensors with ``create_graph``."""
    if not isinstance(target, Tensor):
        raise TypeError(f"The gradient target must be a Tensor; received {type(target).__name__}.")
    if not target.requires_grad:
        return [None] * len(sources)
    xp = xp_of(target.data)
    if output_gradients is None:
        seed = xp.ones_like(target.data)
    else:
        seed = output_gradients.data if isinstance(output_gradients, Tensor) else output_gradients
        seed = xp.asarray(seed, dtype=target.dtype)
        if seed.shape != target.shape:
            raise ValueError(f"output_gradients shape {seed.shape} does not match the target's "
                             f"shape {target.shape}.")
    if create_graph:
        found = engine.backward_graph(target, Tensor(seed), sources)
    else:
        found = engine.backward(target, seed, retain_graph=retain_graph, collect=sources)
    return [found.get(id(s)) for s in sources]


def grad(fn, argnums=0):
    """Return a function computing the gradient of scalar ``fn`` w.r.t. its argument(s).

    Args:
        fn: a function of Tensors/arrays returning a scalar Tensor.
        argnums: index (or tuple of indices) of the arguments to differentiate.

    Returns:
        A function of the same arguments returning the gradient (a tuple for several
        ``argnums``): arrays, or, when called inside another ``grad`` or a recording tape,
        differentiable Tensors, so ``grad(grad(f))`` gives second derivatives.

    Example:
        >>> import numdeep as nd
        >>> df = nd.grad(lambda x: (x ** 3).sum())
        >>> df(nd.Tensor([1.0, 2.0]))
        array([ 3., 12.], dtype=float32)
        >>> d2f = nd.grad(lambda x: df(x).sum())  # d/dx of 3 x**2
        >>> d2f(nd.Tensor([1.0, 2.0]))
        array([ 6., 12.], dtype=float32)
    """
    indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    owner = object()

    def grad_fn(*args):
        nested = bool(_active())
        args = [a if isinstance(a, Tensor) else Tensor(a) for a in args]
        wanted = []
        for i in indices:
            # Nested, a differentiable argument is used as is, so the gradient stays connected
            # to the outer computation; otherwise a detached copy leaves the caller's graph alone.
            w = args[i] if nested and args[i].requires_grad else args[i].detach()
            w.requires_grad = True
            args[i] = w
            wanted.append(w)
        with engine.set_grad_enabled(True), _recording(owner):
            out = fn(*args)
        grads = grad_of(out, wanted, create_graph=nested)
        zero = (lambda w: Tensor(w.data * 0)) if nested else (lambda w: w.data * 0)
        grads = [g if g is not None else zero(w) for g, w in zip(grads, wanted)]
        return grads[0] if isinstance(argnums, int) else tuple(grads)

    return grad_fn


def _flatten(structure):
    if isinstance(structure, list | tuple):
        return [t for s in structure for t in _flatten(s)]
    return [structure]


def _unflatten(structure, it):
    if isinstance(structure, list | tuple):
        out = [_unflatten(s, it) for s in structure]
        return out if isinstance(structure, list) else tuple(out)
    return next(it)
