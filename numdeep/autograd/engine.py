"""Reverse-mode engine: gradient mode, broadcast reduction and the iterative backward pass."""

import contextlib
import threading

_MODE = threading.local()
PRIMITIVES = {}  # primitive class name -> class, see Function.__init_subclass__
# Called with each leaf as soon as ``backward`` has made its ``.grad`` final (numdeep.distribute
# starts sending gradients while the rest of the backward pass still runs).
LEAF_GRAD_HOOKS = []


def is_grad_enabled():
    """Return True when operations record a graph for backpropagation."""
    return getattr(_MODE, "enabled", True)


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 - used like a function
    """Context manager (or decorator) that turns graph recording on or off inside its block.

    A small class rather than a generator-based context manager: a 1-sample inference under
    ``no_grad()`` paid ~3 us for the generator machinery, a tenth of the whole call.

    Example:
        >>> from numdeep.autograd.engine import is_grad_enabled, set_grad_enabled
        >>> with set_grad_enabled(False):
        ...     inside = is_grad_enabled()
        >>> inside, is_grad_enabled()
        (False, True)
    """

    __slots__ = ("enabled", "_previous")

    def __init__(self, enabled):
        self.enabled = bool(enabled)
        self._previous = []  # a stack: the same object may be entered again (as a decorator)

    def __enter__(self):
        self._previous.append(getattr(_MODE, "enabled", True))
        _MODE.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _MODE.enabled = self._previous.pop()
        return False

    def _recreate_cm(self):
        # As a decorator: a fresh object per call, so calls in several threads never share
        # the stack of previous modes.
        return type(self)(self.enabled)


def no_grad():
    """Context manager under which no graph is recorded (inference, weight updates).

    Example:
        >>> import numdeep as nd
        >>> w = nd.Tensor([1.0, 2.0], requires_grad=True)
        >>> with nd.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """
    return set_grad_enabled(False)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    """Nodes reachable from ``root`` that need gradients, parents before children."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        # parents is None once a backward freed this node; backward() then raises clearly.
        if ctx is not None and ctx.parents is not None:
            for parent in ctx.parents:
                if parent is not None and parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _useful(order, sources):
    """Ids of the nodes in ``order`` through which one of ``sources`` is reached (the sources
    included); a node whose graph was freed counts, so visiting it raises rather than giving
    a silent None."""
    useful = {id(t) for t in sources}
    for node in order:  # parents come before their children
        ctx = node._ctx
        if ctx is None:
            continue
        if ctx.parents is None or any(p is not None and id(p) in useful for p in ctx.parents):
            useful.add(id(node))
    return useful


def leaves(root):
    """The tensors ``root`` depends on that need a gradient and no op computed (weights and
    other inputs), in graph order."""
    return [node for node in _topological_order(root) if node._ctx is None]


def backward(root, grad, retain_graph=False, collect=None):
    """Accumulate d(root)/d(leaf) * grad into ``leaf.grad`` for every leaf that requires grad.

    The walk is iterative (no recursion limit); each node's saved arrays are released right after
    its backward runs unless ``retain_graph`` is True. With ``collect`` (a list of tensors), the
    gradients of those tensors are returned in a dict keyed by ``id`` instead, and no ``.grad``
    is touched (what ``GradientTape`` uses).
    """
    order = _topological_order(root)
    grads = {id(root): grad}
    wanted = None if collect is None else {id(t) for t in collect}
    found = {}
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        if wanted is not None:
            if id(node) in wanted:
                found[id(node)] = g
            if ctx is None:
                continue
        if ctx is None:
            if node.grad is None:
                node.grad = g
            else:
                # A fresh array, never in place: g may alias an array another leaf holds.
                node.grad = node.grad + g
            for hook in LEAF_GRAD_HOOKS:
                hook(node)
            continue
        if ctx.parents is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time; its saved arrays were "
                "already freed. Pass retain_graph=True to the first backward() call."
            )
        gxs = ctx.backward(g)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for parent, gx in zip(ctx.parents, gxs):
            if parent is None or gx is None or not parent.requires_grad:
                continue
            gx = unbroadcast(gx, parent.data.shape)
            if gx.dtype != parent.data.dtype:
                gx = gx.astype(parent.data.dtype)
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + gx
            else:
                grads[key] = gx
        if not retain_graph:
            ctx.saved = None
            ctx.parents = None
    return found


def backward_graph(root, grad, sources):
    """Gradients of ``root`` wrt ``sources`` as differentiable Tensors (a dict keyed by ``id``).

    The create-graph walk behind nested tapes and ``grad(grad(f))``: every node runs its
    primitive's ``backward_graph``, which computes the gradient with Tensor operations, so the
    result is itself part of a graph and can be differentiated again. ``grad`` is a Tensor. Only
    nodes on a path to a source are visited, and each is asked only for the gradients of
    parents on such a path. The graph is kept (the new one refers to it); no ``.grad`` is set.
    """
    order = _topological_order(root)
    useful = _useful(order, sources)
    wanted = {id(t) for t in sources}
    grads = {id(root): grad}
    found = {}
    with set_grad_enabled(True):
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None or id(node) not in useful:
                continue
            if id(node) in wanted:
                found[id(node)] = g
            ctx = node._ctx
            if ctx is None:
                continue
            if ctx.parents is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time; its saved arrays were "
                    "already freed. Pass retain_graph=True to the first backward() call."
                )
            needs = ctx.needs_input_grad
            ctx.needs_input_grad = tuple(n and p is not None and id(p) in useful
                                         for n, p in zip(needs, ctx.parents))
            try:
                gxs = ctx.backward_graph(g, node)
            finally:
                ctx.needs_input_grad = needs
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for parent, gx in zip(ctx.parents, gxs):
                if parent is None or gx is None or id(parent) not in useful:
                    continue
                gx = unbroadcast(gx, parent.data.shape)
                if gx.dtype != parent.data.dtype:
                    gx = gx.astype(parent.data.dtype)
                key = id(parent)
                grads[key] = grads[key] + gx if key in grads else gx
    return found
