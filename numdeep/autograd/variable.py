"""``Variable``: a weight, the state a model learns or keeps (Keras's ``keras.Variable``).

A Variable is a leaf ``Tensor`` whose array is updated in place (by optimizers, ``assign`` and
``set_weights``), so graphs and optimizer state keep referring to the same object. It adds a
name and a ``path`` (the name scopes it was created in: ``'sequential/dense/kernel'``), a
``trainable`` flag that decides whether gradients are recorded for it, and Keras's
``assign``/``assign_add``/``assign_sub``.
"""

import numpy as np

from numdeep import registry
from numdeep.autograd.engine import no_grad
from numdeep.autograd.tensor import Tensor, data_of
from numdeep.backend import floatx, standardize_dtype, to_numpy, xp_of
from numdeep.backend.naming import current_path
from numdeep.backend.symbolic_scope import state_frozen


class Variable(Tensor):
    """A named, updatable weight.

    Args:
        initializer: the initial value (an array-like) or an initializer (a name such as
            ``'zeros'``, or a callable ``fn(shape, dtype)``) used with ``shape``.
        shape: the shape, when ``initializer`` is not a value.
        dtype: the dtype (default: the value's float dtype as ``floatx()``).
        trainable: whether training updates it (and gradients are recorded for it).
        name: the variable's name (default ``'variable'``).
        constraint: optional callable applied to the value after each optimizer update.
        autocast, aggregation, synchronization: accepted for Keras compatibility.

    Example:
        >>> import numdeep as nd
        >>> v = nd.Variable([1.0, 2.0], name="total")
        >>> _ = v.assign_add([0.5, 0.5])
        >>> v.numpy(), v.path, v.trainable
        (array([1.5, 2.5], dtype=float32), 'total', True)
    """

    __slots__ = ("path", "_trainable", "constraint", "regularizer", "aggregation",
                 "synchronization", "autocast", "overwrite_with_gradient")

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, constraint=None):
        name = "variable" if name is None else str(name)
        if "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        value = _initial_value(initializer, shape, dtype)
        super().__init__(value, requires_grad=bool(trainable), name=name)
        scope = current_path()
        self.path = f"{scope}/{name}" if scope else name
        self._trainable = bool(trainable)
        self.constraint = constraint
        self.regularizer = None
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.autocast = autocast
        self.overwrite_with_gradient = False

    @property
    def trainable(self):
        """Whether training updates this variable; setting it also decides whether gradients are
        recorded for it."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.requires_grad = self._trainable

    @property
    def value(self):
        """The current value as a Tensor (no graph history: a snapshot of the weight)."""
        return Tensor._from_op(self.data, None)

    def numpy(self):
        """A NumPy copy of the current value, as Keras's ``Variable.numpy()``: the optimizer
        updates the variable in place, so a view would change under its holder."""
        return np.array(to_numpy(self.data))

    def assign(self, value):
        """Replace the value in place; the shape must stay the same."""
        new = _as_array(value, self.data)
        if new.shape != self.data.shape:
            raise ValueError(f"The shape of the target variable and the shape of the target "
                             f"value in `variable.assign(value)` must match. "
                             f"variable.shape={self.shape}, Received: value.shape={new.shape}. "
                             f"Target variable: {self}")
        if not state_frozen():  # tracing or recomputing must not change state
            self.data[...] = new
        return self.value

    def assign_add(self, value):
        """Add ``value`` to the variable in place."""
        if not state_frozen():
            self.data += _as_array(value, self.data)
        return self.value

    def assign_sub(self, value):
        """Subtract ``value`` from the variable in place."""
        if not state_frozen():
            self.data -= _as_array(value, self.data)
        return self.value

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}, "
                f"value={self.data!r}>")


def _as_array(value, like):
    value = data_of(value)
    return xp_of(like).asarray(value, dtype=like.dtype)


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, str) or (callable(initializer) and not isinstance(
            initializer, Tensor | np.ndarray)):
        if shape is None:
            raise ValueError(f"When creating a Variable from an initializer, the `shape` "
                             f"argument should be specified. Received: initializer={initializer} "
                             f"and shape={shape}")
        # Names resolve through the registry (the initializers register there on import).
        init = registry.kind("initializer").get(initializer) if isinstance(initializer, str) \
            else initializer
        dtype = standardize_dtype(dtype)
        with no_grad():
            value = init(tuple(shape), dtype=dtype)
        return np.asarray(data_of(value), dtype=dtype)
    value = data_of(initializer)
    xp = xp_of(value)
    value = xp.array(value, copy=True)
    if dtype is not None:
        value = value.astype(standardize_dtype(dtype))
    elif value.dtype == np.float64 and not isinstance(initializer, np.ndarray | Tensor):
        value = value.astype(floatx())
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(f"Initial value of shape {value.shape} does not match the variable's "
                         f"shape {tuple(shape)}.")
    return value
