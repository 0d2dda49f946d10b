"""The op contract: one class per primitive, ``forward`` and ``backward`` on raw arrays."""

from numdeep.autograd import engine
from numdeep.autograd.engine import is_grad_enabled
from numdeep.autograd.tensor import Tensor
from numdeep.backend import xp_of


class Function:
    """Base class of every differentiable primitive.

    Subclasses implement ``forward(*arrays)`` returning one array and ``backward(gy)`` returning
    one gradient per input (a tuple, or a single array for one input; ``None`` where no gradient
    is needed). Keyword arguments given to ``apply`` become attributes before ``forward`` runs
    (subclasses don't define ``__init__``: ``apply`` skips it to keep per-op overhead low).
    ``self.needs_input_grad[i]`` tells whether input ``i`` wants a gradient, so backward can skip
    work. Binary ops may return gradients in the broadcast shape: the engine reduces them.
    For gradients of gradients, ``backward_graph(gy, y)`` gives the same derivative written with
    Tensor operations (see its docstring and ``docs/autograd.md``).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.autograd import Function
        >>> class Cube(Function):
        ...     def forward(self, x):
        ...         self.save_for_backward(x)
        ...         return x ** 3
        ...     def backward(self, gy):
        ...         (x,) = self.saved
        ...         return gy * 3 * x ** 2
        >>> x = nd.Tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).backward()
        >>> x.grad
        array([12.], dtype=float32)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # numdeep's own primitives become reachable by name for Tensor's operators.
        if cls.__module__.startswith("numdeep.autograd.primitives."):
            engine.PRIMITIVES[cls.__name__] = cls

    def __init__(self, **params):
        self.__dict__.update(params)
        self.saved = ()
        self.parents = ()
        self.needs_input_grad = ()

    def save_for_backward(self, *arrays):
        """Keep the arrays ``backward`` will need; the engine frees them after use."""
        self.saved = arrays

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def backward_graph(self, gy, y):
        """``backward`` as Tensor operations, for gradients of gradients (nested tapes).

        ``gy`` is the upstream gradient and ``y`` this op's output, both Tensors; the inputs are
        ``self.parents`` (``inputs`` fills in the raw arrays of non-Tensor ones). A primitive
        whose derivative is itself differentiable overrides this with the formula of its
        ``backward`` written on Tensors, so the gradient records a graph. This default computes
        the gradient on arrays and marks it first-order only: differentiating it again raises
        an error naming the primitive, never a silent zero.
        """
        gxs = self.backward(gy.data)
        gxs = gxs if isinstance(gxs, tuple) else (gxs,)
        inputs = (gy,) + tuple(p for p in self.parents if p is not None)
        name = type(self).__name__
        return tuple(None if g is None else FirstOrderOnly.apply(*inputs, value=g, primitive=name)
                     for g in gxs)

    def inputs(self, *arrays):
        """The op's inputs for ``backward_graph``: each parent Tensor, or the given raw array
        (e.g. from ``self.saved``) where that input was not a Tensor and is a constant."""
        return tuple(a if p is None else p for p, a in zip(self.parents, arrays))

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (or arrays/scalars) and record it in the graph when needed."""
        # This runs for every op of every step, so it avoids generic helpers on purpose.
        fn = cls.__new__(cls)
        fn.__dict__.update(params)
        fn.saved = ()
        arrays = []
        needs = []
        any_needs = False
        for t in inputs:
            if isinstance(t, Tensor):
                arrays.append(t.data)
                needs.append(t.requires_grad)
                any_needs = any_needs or t.requires_grad
            else:
                arrays.append(t)
                needs.append(False)
        fn.xp = xp_of(*arrays)
        out = fn.forward(*arrays)
        if any_needs and is_grad_enabled():
            fn.needs_input_grad = tuple(needs)
            fn.parents = tuple(t if isinstance(t, Tensor) else None for t in inputs)
            return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)



class NoGradient(Function):
    """An op whose output carries no gradient (a mask, a random draw). It is an op at all so
    that a plan (``numdeep.models.plan``) records where the value comes from and computes it
    again at every replay, instead of freezing the traced call's value."""

    def backward(self, gy):
        return None


class FirstOrderOnly(Function):
    """A gradient computed by a primitive with no differentiable backward (see
    ``Function.backward_graph``): it has the right value, and differentiating it raises an
    error that names the primitive."""

    def forward(self, *inputs):
        return self.value

    def backward(self, gy):
        raise NotImplementedError(
            f"Higher-order gradient through the primitive {self.primitive}: its backward is "
            f"not differentiable (it has no backward_graph), so the gradient of its gradient "
            f"cannot be computed. First-order gradients through {self.primitive} work."
        )
