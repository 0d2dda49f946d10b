"""Weight penalties with Keras 3 names, defaults and configs.

A regularizer is called on a weight ``Tensor`` and returns a scalar ``Tensor`` that is added to the
loss, so its gradient flows into the weight.

Example:
    >>> from numdeep import regularizers
    >>> from numdeep.autograd import Tensor
    >>> w = Tensor([[1.0, -2.0]], requires_grad=True)
    >>> round(regularizers.get("l2")(w).item(), 6)  # 0.01 * (1 + 4)
    0.05
"""

import math
import numbers

import numpy as np

from numdeep import registry
from numdeep.autograd import Tensor
from numdeep.ops import eager as ops

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize",
           "deserialize"]


def _factor(value, name, default):
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


class Regularizer(registry.Configurable):
    """Base class: subclasses implement ``__call__(x) -> scalar Tensor`` and ``get_config()``."""

    def __call__(self, x):
        return Tensor(np.zeros((), dtype=ops.as_tensor(x).dtype))


class L1(Regularizer):
    """L1 penalty ``l1 * sum(|x|)``.

    Args:
        l1: non-negative factor.

    Example:
        >>> L1(0.5)(Tensor([1.0, -3.0])).item()
        2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1", 0.01)

    def __call__(self, x):
        return self.l1 * abs(ops.as_tensor(x)).sum()

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty ``l2 * sum(x ** 2)`` (no factor 1/2, as in Keras).

    Args:
        l2: non-negative factor.

    Example:
        >>> L2(0.5)(Tensor([1.0, -3.0])).item()
        5.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2", 0.01)

    def __call__(self, x):
        x = ops.as_tensor(x)
        return self.l2 * (x * x).sum()

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Sum of an L1 and an L2 penalty: ``l1 * sum(|x|) + l2 * sum(x ** 2)``.

    Args:
        l1: non-negative L1 factor.
        l2: non-negative L2 factor.

    Example:
        >>> L1L2(l1=1.0, l2=1.0)(Tensor([1.0, -3.0])).item()
        14.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", 0.0)
        self.l2 = _factor(l2, "l2", 0.0)

    def __call__(self, x):
        x = ops.as_tensor(x)
        penalty = None
        if self.l1:
            penalty = self.l1 * abs(x).sum()
        if self.l2:
            term = self.l2 * (x * x).sum()
            penalty = term if penalty is None else penalty + term
        return super().__call__(x) if penalty is None else penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Push the rows (or columns) of a 2-D weight towards orthogonality.

    The penalty is ``factor * 0.5 * mean_{i<j} |<u_i, u_j>|`` over the L2-normalized rows
    (``mode='rows'``) or columns (``mode='columns'``), as in Keras.

    Args:
        factor: non-negative strength.
        mode: ``'rows'`` or ``'columns'``.

    Example:
        >>> OrthogonalRegularizer(1.0)(Tensor([[1.0, 0.0], [0.0, 2.0]])).item()
        0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor", 0.01)
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer `mode` must be 'rows' or 'columns'. "
                             f"Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = ops.as_tensor(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight. Received shape {x.shape}")
        if self.mode == "columns":
            x = x.T
        size = x.shape[0]
        if size < 2:
            return super().__call__(x)
        norm = ((x * x).sum(axis=1, keepdims=True)).sqrt().clip(a_min=1e-7)
        u = x / norm
        off_diagonal = (u @ u.T) * (1.0 - np.eye(size, dtype=x.dtype))
        pairs = size * (size - 1) / 2.0
        return abs(off_diagonal).sum() * (self.factor * 0.5 / pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_KIND = registry.Kind("regularizer", "keras.regularizers", base=Regularizer)
for _cls, *_aliases in ((Regularizer,), (L1, "l1"), (L2, "l2"), (L1L2, "l1_l2", "l1l2"),
                        (OrthogonalRegularizer, "orthogonal_regularizer")):
    _KIND.register(_cls, *_aliases)


def serialize(regularizer):
    """Return the Keras 3 config dict of a regularizer (``None`` for ``None``).

    Args:
        regularizer: a ``Regularizer`` instance.

    Returns:
        ``{'module': 'keras.regularizers', 'class_name': ..., 'config': ..., 'registered_name':
        None}``.

    Example:
        >>> serialize(L2(0.001))["config"]
        {'l2': 0.001}
    """
    if regularizer is not None and not isinstance(regularizer, Regularizer):
        raise ValueError(f"Cannot serialize {regularizer!r}: only numdeep Regularizer instances "
                         "have a config.")
    return _KIND.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Build a regularizer from a Keras config dict ``{'class_name': ..., 'config': ...}``."""
    return _KIND.deserialize(config, custom_objects)


# Keras's lowercase aliases: ``regularizers.l2(0.001)`` as in the tutorials.
l1 = L1
l2 = L2
l1_l2 = L1L2


def get(identifier, custom_objects=None):
    """Resolve a regularizer from a name, a config dict, an instance, a class or a callable.

    Args:
        identifier: ``None`` (returns None), a string (``'l1'``, ``'l2'``, ``'l1_l2'``, class
            names), a Keras config dict, a ``Regularizer`` instance or class, or a callable
            ``fn(weight) -> scalar Tensor``.
        custom_objects: optional ``{name: class}`` extra names.

    Returns:
        A callable regularizer, or None.

    Example:
        >>> get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
        L1L2(l1=0.1, l2=0.2)
    """
    return _KIND.get(identifier, custom_objects)
