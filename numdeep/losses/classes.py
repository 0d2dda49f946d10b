"""The loss classes: each is the class form of one loss function, made from the table below.

A class adds sample weighting and the reduction to its function (``Loss.__call__``); its
constructor takes the function's keyword arguments first (in Keras's order), then ``reduction``,
``name`` and ``dtype``, and ``get_config`` returns exactly those. One table row per class keeps
the fifteen of them from being fifteen copies of the same ``__init__``.
"""

import inspect

from numdeep.losses import functions as F
from numdeep.losses.base import Loss

__all__ = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity", "CLASSES",
]

_R = "sum_over_batch_size"
_P = inspect.Parameter.POSITIONAL_OR_KEYWORD


class _Builtin(Loss):
    """A numdeep loss: the class form of a module-level loss function ``fn``."""

    fn = None
    masked_fn = None  # returns (per-sample losses, mask of counted entries)

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self._fn_kwargs)

    def _call_with_mask(self, y_true, y_pred):
        if type(self).masked_fn is None:
            return super()._call_with_mask(y_true, y_pred)
        return type(self).masked_fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _smoothing(who, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: `label_smoothing` must be in [0, 1]. "
                         f"Received: label_smoothing={label_smoothing}")
    return float(label_smoothing)


def _check(who, kwargs):
    """Validate and normalise the function arguments a loss class was given."""
    if "delta" in kwargs:
        if not kwargs["delta"] > 0:
            raise ValueError(f"{who}: `delta` must be > 0. Received: delta={kwargs['delta']}")
        kwargs["delta"] = float(kwargs["delta"])
    if "label_smoothing" in kwargs:
        kwargs["label_smoothing"] = _smoothing(who, kwargs["label_smoothing"])
    if "from_logits" in kwargs:
        kwargs["from_logits"] = bool(kwargs["from_logits"])
    if kwargs.get("ignore_class") is not None:
        kwargs["ignore_class"] = int(kwargs["ignore_class"])
    return kwargs


def _loss_class(class_name, fn, default_name, doc, params=(), masked_fn=None):
    """A ``_Builtin`` subclass for ``fn`` whose constructor is
    ``(*params, reduction='sum_over_batch_size', name=default_name, dtype=None)``."""
    sig = inspect.Signature(
        [inspect.Parameter("self", _P)]
        + [inspect.Parameter(k, _P, default=v) for k, v in params]
        + [inspect.Parameter("reduction", _P, default=_R),
           inspect.Parameter("name", _P, default=default_name),
           inspect.Parameter("dtype", _P, default=None)])
    names = [k for k, _ in params]

    def __init__(self, *args, **kwargs):  # noqa: N807
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        Loss.__init__(self, name=values["name"], reduction=values["reduction"],
                      dtype=values["dtype"])
        self._fn_kwargs = _check(class_name, {k: values[k] for k in names})

    __init__.__signature__ = sig
    __init__.__qualname__ = f"{class_name}.__init__"
    return type(class_name, (_Builtin,), {
        "__init__": __init__, "__doc__": doc, "__module__": "numdeep.losses",
        "__qualname__": class_name, "fn": staticmethod(fn),
        "masked_fn": None if masked_fn is None else staticmethod(masked_fn)})


_FROM_LOGITS = (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1))

MeanSquaredError = _loss_class(
    "MeanSquaredError", F.mean_squared_error, "mean_squared_error",
    """Mean of squared errors (``'mse'``); see ``mean_squared_error``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> losses.MeanSquaredError()(np.array([[0.0], [1.0]]), np.array([[1.0], [3.0]])).item()
        2.5
    """)
MeanAbsoluteError = _loss_class(
    "MeanAbsoluteError", F.mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors (``'mae'``); see ``mean_absolute_error``.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", F.mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "Mean absolute percentage error (``'mape'``); see ``mean_absolute_percentage_error``.")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", F.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "Mean squared logarithmic error (``'msle'``); see ``mean_squared_logarithmic_error``.")
Huber = _loss_class(
    "Huber", F.huber, "huber_loss",
    """Huber loss, quadratic near 0 and linear beyond ``delta``; see ``huber``.

    Args:
        delta: the switch point (> 0).
        reduction, name, dtype: see ``Loss``.
    """, params=(("delta", 1.0),))
LogCosh = _loss_class(
    "LogCosh", F.log_cosh, "log_cosh",
    "Logarithm of the hyperbolic cosine of the error; see ``log_cosh``.")
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", F.binary_crossentropy, "binary_crossentropy",
    """Binary cross-entropy for labels in ``[0, 1]``; see ``binary_crossentropy``.

    Args:
        from_logits: whether predictions are logits (recommended: stable fused path).
        label_smoothing: float in ``[0, 1]``; labels become ``y * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> bce = losses.BinaryCrossentropy(from_logits=True)
        >>> round(bce(np.array([1.0, 0.0]), np.array([2.0, -1.0])).item(), 4)
        0.2201
    """, params=_FROM_LOGITS)
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", F.categorical_crossentropy, "categorical_crossentropy",
    """Cross-entropy for one-hot (or soft) labels; see ``categorical_crossentropy``.

    Args:
        from_logits: whether predictions are logits.
        label_smoothing: float in ``[0, 1]``; labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis.
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> cce = losses.CategoricalCrossentropy()
        >>> round(cce(np.array([[0, 1, 0]]), np.array([[0.05, 0.9, 0.05]])).item(), 4)
        0.1054
    """, params=_FROM_LOGITS)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", F.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    """Cross-entropy for integer class ids; see ``sparse_categorical_crossentropy``.

    With ``ignore_class``, entries with that label contribute 0 and the default reduction
    averages over the remaining entries only.

    Args:
        from_logits: whether predictions are logits.
        ignore_class: optional label value to ignore (e.g. a padding id).
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> scce = losses.SparseCategoricalCrossentropy(from_logits=True)
        >>> round(scce(np.array([2]), np.array([[1.0, 1.0, 3.0]])).item(), 4)
        0.2395
    """, params=(("from_logits", False), ("ignore_class", None)), masked_fn=F.sparse_ce_and_mask)
KLDivergence = _loss_class(
    "KLDivergence", F.kl_divergence, "kl_divergence",
    "Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``; see "
    "``kl_divergence``.")
Poisson = _loss_class(
    "Poisson", F.poisson, "poisson",
    "Poisson negative log-likelihood (up to a constant); see ``poisson``.")
Hinge = _loss_class(
    "Hinge", F.hinge, "hinge",
    "Hinge loss for labels ``-1/1`` (``0/1`` are converted); see ``hinge``.")
SquaredHinge = _loss_class(
    "SquaredHinge", F.squared_hinge, "squared_hinge", "Squared hinge loss; see ``squared_hinge``.")
CategoricalHinge = _loss_class(
    "CategoricalHinge", F.categorical_hinge, "categorical_hinge",
    "Categorical hinge loss for one-hot labels; see ``categorical_hinge``.")
CosineSimilarity = _loss_class(
    "CosineSimilarity", F.cosine_similarity, "cosine_similarity",
    """Negative cosine similarity along ``axis``; see ``cosine_similarity``.

    Args:
        axis: the axis holding the vectors.
        reduction, name, dtype: see ``Loss``.
    """, params=(("axis", -1),))

CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
           MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy,
           CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
           SquaredHinge, CategoricalHinge, CosineSimilarity)
