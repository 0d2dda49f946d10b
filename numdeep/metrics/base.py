"""The ``Metric`` base class (Keras's contract: state in variables, ``update_state``,
``result``, ``reset_state``) and the array helpers every metric family uses.

A metric keeps its state in ``numdeep.Variable``s made with ``add_variable`` (non-trainable,
named under the metric's name: ``'auc/true_positives'``). ``update_state`` reads raw arrays
(Tensors are read through ``.data``; no graph is built) and updates the variables in place;
``result()`` computes a Tensor from them; ``reset_state()`` zeroes them. Variables and metrics
assigned as attributes (also inside lists and dicts) are tracked, so ``metric.variables`` lists
a custom metric's state without any registration.
"""

import contextlib
import re

import numpy as np

from numdeep import initializers, registry
from numdeep.autograd import Tensor, Variable
from numdeep.backend import floatx, name_scope, standardize_dtype, to_numpy, unique_name

NEG_INF = -1e10  # Keras's value for "below every threshold" (top_k filtering)


# ----- array helpers -----------------------------------------------------------------------------
def as_array(x):
    return to_numpy(x.data if isinstance(x, Tensor) else x)


def float_array(x, dtype):
    """``x`` as a NumPy array of ``dtype`` (a float dtype when ``dtype`` is not one: counts in
    an integer metric are still computed in floats)."""
    x = np.asarray(as_array(x))
    return x.astype(dtype if np.dtype(dtype).kind == "f" else np.float64, copy=False)


def rank_align(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``: when ranks differ by one and the longer
    array ends in a size-1 axis, that axis is dropped (a rank-1 partner is expanded instead)."""
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1]) if p != 1 else y_true
        y_pred = y_pred.reshape(y_pred.shape + (1,)) if p == 1 else y_pred
    elif p == t + 1 and y_pred.shape[-1:] == (1,):
        y_pred = y_pred.reshape(y_pred.shape[:-1]) if t != 1 else y_pred
        y_true = y_true.reshape(y_true.shape + (1,)) if t == 1 else y_true
    return y_true, y_pred


def same_shape(name, y_true, y_pred):
    aligned_true, aligned_pred = rank_align(y_true, y_pred)
    if aligned_true.shape != aligned_pred.shape:
        raise ValueError(f"{name}: y_true shape {y_true.shape} is incompatible with y_pred shape "
                         f"{y_pred.shape}; they must be equal up to a trailing axis of size 1.")
    return aligned_true, aligned_pred


def class_ids(name, y_true, shape):
    """Integer class ids for predictions of ``shape`` (classes last): a trailing size-1 axis is
    dropped, and labels holding as many ids as there are predictions take their shape."""
    if y_true.ndim == len(shape) and y_true.shape[-1:] == (1,):
        y_true = y_true.reshape(y_true.shape[:-1])
    if y_true.shape != shape[:-1] and y_true.size == int(np.prod(shape[:-1])):
        y_true = y_true.reshape(shape[:-1])
    if y_true.shape != shape[:-1]:
        raise ValueError(f"{name} expects integer class ids of shape {shape[:-1]} for y_pred of "
                         f"shape {shape}; received labels of shape {y_true.shape}.")
    return y_true


def safe_div(a, b):
    a, b = np.asarray(a), np.asarray(b)
    out = np.zeros(np.broadcast(a, b).shape, dtype=np.result_type(a, b, np.float32))
    return np.divide(a, b, out=out, where=b != 0)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


# ----- the base class ----------------------------------------------------------------------------
def _snake(name):
    # Keras's to_snake_case: "AUC" -> "auc", "MeanIoU" -> "mean_io_u", "F1Score" -> "f1_score".
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Metric(registry.Configurable):
    """Base class of stateful metrics (Keras's ``keras.metrics.Metric``).

    A subclass creates its state in ``__init__`` with ``add_variable`` (after calling
    ``super().__init__``), updates it in ``update_state`` (``self.total.assign_add(...)``) and
    computes ``result()`` from it. The default ``reset_state`` zeroes every variable; it is
    called between epochs, never by the constructor.

    Args:
        dtype: the dtype of the state and results (default ``floatx()``, float32).
        name: the name used in logs (default: the snake_case class name, made unique).

    Example:
        >>> import numpy as np
        >>> from numdeep import metrics, ops
        >>> class SumOfSquares(metrics.Metric):
        ...     def __init__(self, name="sum_of_squares", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.total = self.add_variable((), "zeros", name="total")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.total.assign_add(ops.sum((y_true - y_pred) ** 2))
        ...     def result(self):
        ...         return self.total
        >>> m = SumOfSquares()
        >>> m.update_state(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
        >>> float(m.result()), [v.path for v in m.variables]
        (5.0, ['sum_of_squares/total'])
        >>> m.reset_state()
        >>> float(m.result())
        0.0
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or unique_name(_snake(type(self).__name__))
        self._dtype = standardize_dtype(getattr(dtype, "name", dtype) or floatx())
        self._variables = []
        self._metrics = []

    @property
    def dtype(self):
        """The dtype of the metric's state and results (read-only)."""
        return self._dtype

    # ----- state --------------------------------------------------------------------------
    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Create a non-trainable state variable (tracked in ``variables``).

        Args:
            shape: the variable's shape (``()`` for a scalar).
            initializer: an initializer name (``'zeros'``), object or initial value.
            dtype: its dtype (default ``floatx()``).
            aggregation: accepted for Keras compatibility.
            name: the variable's name; its path is ``'<metric name>/<name>'``.
        """
        self._check_super_called()
        if isinstance(initializer, str) or isinstance(initializer, initializers.Initializer):
            initializer = initializers.get(initializer)
        with name_scope(self.name.replace("/", ">"), caller=self):
            variable = Variable(initializer, shape=shape, dtype=dtype, trainable=False,
                                aggregation=aggregation, synchronization="on_read", name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """``add_variable`` under its older name (zeros when no initializer is given)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self):
        """The state variables: this metric's, then those of the metrics it holds."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(v for v in metric.variables if not any(v is o for o in out))
        return out

    def __setattr__(self, name, value):
        if "_variables" in self.__dict__ and not name.startswith("_"):
            self._track(value)
        super().__setattr__(name, value)

    def _track(self, value):
        if isinstance(value, Variable):
            if not any(v is value for v in self._variables):
                self._variables.append(value)
        elif isinstance(value, Metric):
            if not any(m is value for m in self._metrics):
                self._metrics.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                self._track(item)
        elif isinstance(value, dict):
            for item in value.values():
                self._track(item)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: you forgot to call `super().__init__()` "
                               f"in the `__init__()` method. Go add it!")

    # ----- the contract -------------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulate statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Compute the metric value (a Tensor) from the state."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zero every state variable (called between epochs)."""
        for v in self.variables:
            v.assign(np.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ----- stateless forms (the state passed in and returned, the metric left unchanged) -----
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """Run ``update_state`` from the values ``metric_variables`` (one per variable) and
        return the new values; the metric's own variables are left as they were."""
        with self._state_from(metric_variables):
            self.update_state(*args, **kwargs)
            return [Tensor(v.data.copy()) for v in self.variables]

    def stateless_result(self, metric_variables):
        """``result()`` computed from the values ``metric_variables``."""
        with self._state_from(metric_variables):
            out = self.result()
            return Tensor(np.array(as_array(out))) if isinstance(out, Tensor) else out

    def stateless_reset_state(self):
        """The values ``reset_state`` would give, without changing the metric."""
        with self._state_from([v.data for v in self.variables]):
            self.reset_state()
            return [Tensor(v.data.copy()) for v in self.variables]

    @contextlib.contextmanager
    def _state_from(self, values):
        variables = self.variables
        if len(values) != len(variables):
            raise ValueError(f"Argument `metric_variables` must be a list of tensors "
                             f"corresponding 1:1 to {type(self).__name__}().variables. Received "
                             f"list with length {len(values)}, but expected {len(variables)} "
                             f"variables.")
        saved = [v.data.copy() for v in variables]
        try:
            for v, value in zip(variables, values):
                v.assign(value)
            yield
        finally:
            for v, value in zip(variables, saved):
                v.data[...] = value

    # ----- config ---------------------------------------------------------------------------
    def get_config(self):
        """Return the constructor arguments."""
        return {"name": self.name, "dtype": self.dtype}

    def _result(self, value):
        """``value`` as a result Tensor of the metric's dtype (a float dtype for counts)."""
        dtype = self.dtype if np.dtype(self.dtype).kind == "f" else floatx()
        return Tensor(np.array(value, dtype=dtype))  # a copy: later updates leave it as it is

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
