"""``Tensor``: an array that remembers how it was computed, so gradients can flow back."""

import threading

import numpy as _np

from numdeep.autograd import engine
from numdeep.backend import floatx, to_numpy, xp_of

# The primitives by class name (``a + b`` is ``Add``), filled in as
# ``numdeep.autograd.primitives`` defines them: the Tensor class never imports the modules whose
# ops create Tensors, so the two do not import each other.
_P = engine.PRIMITIVES

# On while an inference or training plan records a call (numdeep.models.plan.tracer): a tensor's
# value read into Python there (``if t:``, ``float(t)``, ``t.numpy()``) decides something a
# replay would not decide again, so the trace counts such reads and makes no plan.
VALUE_READS = threading.local()


def _value_read():
    if getattr(VALUE_READS, "on", False):
        VALUE_READS.count += 1


class Tensor:
    """A NumPy (or CuPy) array plus the autograd bookkeeping.

    Args:
        data: array-like. Python floats and float lists become ``floatx()`` (float32).
        requires_grad: whether gradients should be accumulated into ``.grad`` by ``backward()``.
        dtype: optional dtype to cast the data to.
        name: optional name (weights carry their variable name here).

    Example:
        >>> import numdeep as nd
        >>> x = nd.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        array([[2., 4.],
               [6., 8.]], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "trainable", "_keras_mask",
                 "__weakref__")
    __array_priority__ = 100  # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        xp = xp_of(data)
        if dtype is not None:
            data = xp.asarray(data, dtype=dtype)
        elif hasattr(data, "dtype"):
            data = xp.asarray(data)
        else:
            # Python floats and lists arrive as float64; numdeep's default is floatx() (float32).
            data = xp.asarray(data)
            if data.dtype == _np.float64:
                data = data.astype(floatx())
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self.name = name
        self.trainable = bool(requires_grad)
        self._keras_mask = None  # set by layers that produce or propagate a padding mask

    @classmethod
    def _from_op(cls, data, ctx):
        t = cls.__new__(cls)
        if type(data) is not _np.ndarray and not hasattr(data, "__cuda_array_interface__"):
            data = _np.asarray(data)
        t.data = data
        t.grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        t.name = None
        t.trainable = False
        t._keras_mask = None
        return t

    # ----- array facts -------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"Tensor({self.data!r}{grad}{name})"

    def __array__(self, dtype=None, copy=None):
        _value_read()
        a = to_numpy(self.data)
        return a if dtype is None else a.astype(dtype)

    def numpy(self):
        """Return the data as a NumPy array (no copy on the CPU)."""
        _value_read()
        return to_numpy(self.data)

    def item(self):
        """Return the single value of a one-element tensor as a Python number."""
        _value_read()
        return self.data.item()

    def detach(self):
        """Return a tensor sharing the data but cut from the graph."""
        return Tensor._from_op(self.data, None)

    def astype(self, dtype):
        """Cast to ``dtype`` (differentiable for float dtypes)."""
        return _P["Cast"].apply(self, dtype=_np.dtype(dtype))

    # ----- autograd ----------------------------------------------------------------------
    @property
    def is_leaf(self):
        return self._ctx is None

    def backward(self, grad=None, retain_graph=False):
        """Backpropagate from this tensor, accumulating into ``.grad`` of the leaves.

        Args:
            grad: upstream gradient; defaults to ones for a one-element tensor.
            retain_graph: keep saved arrays so backward can run through the graph again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs "
                "had requires_grad=True, or it was computed under no_grad()."
            )
        xp = xp_of(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without an explicit grad needs a one-element tensor; got shape "
                    f"{self.shape}. Reduce it (e.g. .sum()) or pass grad=."
                )
            grad = xp.ones_like(self.data)
        else:
            grad = xp.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"grad shape {grad.shape} does not match tensor shape {self.shape}"
                )
        engine.backward(self, grad, retain_graph=retain_graph)

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    # ----- operators ---------------------------------------------------------------------
    def __add__(self, other):
        return _P["Add"].apply(self, other)

    def __radd__(self, other):
        return _P["Add"].apply(other, self)

    def __sub__(self, other):
        return _P["Sub"].apply(self, other)

    def __rsub__(self, other):
        return _P["Sub"].apply(other, self)

    def __mul__(self, other):
        return _P["Mul"].apply(self, other)

    def __rmul__(self, other):
        return _P["Mul"].apply(other, self)

    def __truediv__(self, other):
        return _P["Div"].apply(self, other)

    def __rtruediv__(self, other):
        return _P["Div"].apply(other, self)

    def __neg__(self):
        return _P["Neg"].apply(self)

    def __pow__(self, other):
        return _P["Pow"].apply(self, other)

    def __rpow__(self, other):
        return _P["Pow"].apply(other, self)

    def __matmul__(self, other):
        return _P["MatMul"].apply(self, other)

    def __rmatmul__(self, other):
        return _P["MatMul"].apply(other, self)

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        return _P["GetItem"].apply(self, index=index)

    # Comparisons give plain boolean arrays: they have no gradient.
    def __lt__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data < data_of(other)

    def __le__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data <= data_of(other)

    def __gt__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data > data_of(other)

    def __ge__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data >= data_of(other)

    def __eq__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data == data_of(other)

    def __ne__(self, other):
        _value_read()  # a NumPy array of booleans, not an op: what a branch on it decides
        return self.data != data_of(other)

    __hash__ = object.__hash__

    def __bool__(self):
        _value_read()
        return bool(self.data)

    def __float__(self):
        _value_read()
        return float(self.data)

    def __int__(self):
        _value_read()
        return int(self.data)

    def __index__(self):
        _value_read()
        return int(self.data)

    # ----- NumPy-named methods -----------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _P["Sum"].apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        n = _count(self.shape, axis)
        # Over nothing the mean is NaN, as in NumPy and PyTorch.
        return _P["Sum"].apply(self, axis=axis, keepdims=keepdims) * (1.0 / n if n else _np.nan)

    def var(self, axis=None, keepdims=False):
        centered = self - self.mean(axis=axis, keepdims=True)
        return (centered * centered).mean(axis=axis, keepdims=keepdims)

    def std(self, axis=None, keepdims=False):
        return self.var(axis=axis, keepdims=keepdims) ** 0.5

    # `out` is NumPy's protocol: np.max(tensor) calls tensor.max(axis=..., out=None).
    def max(self, axis=None, keepdims=False, out=None):
        if out is not None:
            raise TypeError("Tensor.max returns a new Tensor; it cannot write into `out`.")
        return _P["Max"].apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False, out=None):
        if out is not None:
            raise TypeError("Tensor.min returns a new Tensor; it cannot write into `out`.")
        return _P["Min"].apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None):
        return self.data.argmax(axis=axis)

    def argmin(self, axis=None):
        return self.data.argmin(axis=axis)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return _P["Reshape"].apply(self, shape=shape)

    def flatten(self):
        return self.reshape(-1)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        return _P["Transpose"].apply(self, axes=axes or None)

    @property
    def T(self):
        return _P["Transpose"].apply(self, axes=None)

    def exp(self):
        return _P["Exp"].apply(self)

    def log(self):
        return _P["Log"].apply(self)

    def sqrt(self):
        return _P["Sqrt"].apply(self)

    def abs(self):
        return _P["Abs"].apply(self)

    def __abs__(self):
        return _P["Abs"].apply(self)

    def tanh(self):
        return _P["Tanh"].apply(self)

    def sigmoid(self):
        return _P["Sigmoid"].apply(self)

    def relu(self):
        return _P["Relu"].apply(self)

    def clip(self, a_min=None, a_max=None):
        return _P["Clip"].apply(self, lo=a_min, hi=a_max)


def data_of(x):
    """The array inside a Tensor; anything else (arrays, masks, scalars) unchanged."""
    return x.data if isinstance(x, Tensor) else x


def _count(shape, axis):
    if axis is None:
        n = 1
        for s in shape:
            n *= s
        return n
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    n = 1
    for a in axes:
        n *= shape[a]
    return n

