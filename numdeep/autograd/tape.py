"""Gradients for custom training loops: ``GradientTape`` and ``grad``.

One mechanism: the graph is always recorded (define-by-run); a tape only decides which tensors
it differentiates and collects their gradients without touching anyone's ``.grad``.
"""

from numdeep.autograd import engine
from numdeep.autograd.tensor import Tensor
from numdeep.backend import xp_of


class GradientTape:
    """Collects gradients of a result with respect to chosen tensors (Keras/TF style).

    Args:
        persistent: allow several ``gradient`` calls (the graph is kept until the tape is
            garbage-collected); otherwise a second call raises.

    ``tape.gradient(target, sources)`` returns one gradient array per source, in the structure
    of ``sources``; a source the target does not depend on gets ``None`` (as TensorFlow does).
    Weights of layers with ``trainable = False`` record no gradient unless ``watch``-ed.

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
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self._watched = []
        self._used = False
        self._recording = None

    def __enter__(self):
        self._recording = engine.set_grad_enabled(True)
        self._recording.__enter__()
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
        grads = grad_of(target, flat, output_gradients, retain_graph=self.persistent)
        if not self.persistent:
            self._unwatch()
        return _unflatten(sources, iter(grads))


def grad_of(target, sources, output_gradients=None, retain_graph=False):
    """Gradients of ``target`` with respect to the list ``sources`` (``None`` if unconnected)."""
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
    found = engine.backward(target, seed, retain_graph=retain_graph, collect=sources)
    return [found.get(id(s)) for s in sources]


def grad(fn, argnums=0):
    """Return a function computing the gradient of scalar ``fn`` w.r.t. its argument(s).

    Args:
        fn: a function of Tensors/arrays returning a scalar Tensor.
        argnums: index (or tuple of indices) of the arguments to differentiate.

    Example:
        >>> import numdeep as nd
        >>> df = nd.grad(lambda x: (x ** 3).sum())
        >>> df(nd.Tensor([1.0, 2.0]))
        array([ 3., 12.], dtype=float32)
    """
    indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def grad_fn(*args):
        args = [a if isinstance(a, Tensor) else Tensor(a) for a in args]
        wanted = [args[i].detach() for i in indices]
        for w in wanted:
            w.requires_grad = True
        for i, w in zip(indices, wanted):
            args[i] = w
        with engine.set_grad_enabled(True):
            out = fn(*args)
        grads = grad_of(out, wanted)
        grads = [g if g is not None else w.data * 0 for g, w in zip(grads, wanted)]
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
