"""The loss classes: each is the class form of one loss function, made from the table below.

A class adds sample weighting and the reduction to its function (``Loss.__call__``); its
constructor takes the function's keyword arguments first (in Keras's order), then ``reduction``,
``name`` and ``dtype``, and ``get_config`` returns exactly those. One table row per class keeps
the fifteen of them from being fifteen copies of the same ``__init__``.
"""

import inspect

from numdeep.losses import focal as _focal
from numdeep.losses import functions as F
from numdeep.losses import overlap as _overlap
from numdeep.losses.base import Loss
from numdeep.losses.circle import circle, circle_and_mask
from numdeep.losses.ctc import ctc

__all__ = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity", "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "Dice", "Tversky",
    "Circle", "CTC", "CLASSES",
]

_R = "sum_over_batch_size"
_P = inspect.Parameter.POSITIONAL_OR_KEYWORD


class _Builtin(Loss):
    """A numdeep loss: the class form of a module-level loss function ``fn``."""

    fn = None
    masked_fn = None  # returns (per-sample losses, mask of counted entries)
    _config_names = ()

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self._fn_kwargs)

    def _call_with_mask(self, y_true, y_pred):
        if type(self).masked_fn is None:
            return super()._call_with_mask(y_true, y_pred)
        return type(self).masked_fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(),
                **{k: self._fn_kwargs[k] for k in type(self)._config_names}}


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
    if "q" in kwargs and not 0 < kwargs["q"] < 1:
        raise ValueError(f"{who}: q must be in the interval (0, 1). Received: q={kwargs['q']}")
    return kwargs


def _loss_class(class_name, fn, default_name, doc, params=(), masked_fn=None, mid=(), late=(),
                config=None):
    """A ``_Builtin`` subclass for ``fn`` whose constructor is Keras's
    ``(*params, reduction='sum_over_batch_size', *mid, name=default_name, *late, dtype=None)``
    and whose config holds ``name``, ``reduction`` and the ``config`` arguments (default: all
    of them; Keras leaves some out, e.g. Huber's ``delta``)."""
    arguments = list(params) + list(mid) + list(late)
    sig = inspect.Signature(
        [inspect.Parameter("self", _P)]
        + [inspect.Parameter(k, _P, default=v) for k, v in params]
        + [inspect.Parameter("reduction", _P, default=_R)]
        + [inspect.Parameter(k, _P, default=v) for k, v in mid]
        + [inspect.Parameter("name", _P, default=default_name)]
        + [inspect.Parameter(k, _P, default=v) for k, v in late]
        + [inspect.Parameter("dtype", _P, default=None)])
    names = [k for k, _ in arguments]
    config_names = tuple(names if config is None else config)

    def __init__(self, *args, **kwargs):  # noqa: N807
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        Loss.__init__(self, name=values["name"], reduction=values["reduction"],
                      dtype=values["dtype"])
        self._fn_kwargs = _check(class_name, {k: values[k] for k in names})
        for key, value in self._fn_kwargs.items():
            setattr(self, key, value)

    __init__.__signature__ = sig
    __init__.__qualname__ = f"{class_name}.__init__"
    return type(class_name, (_Builtin,), {
        "__init__": __init__, "__doc__": doc, "__module__": "numdeep.losses",
        "__qualname__": class_name, "fn": staticmethod(fn), "_config_names": config_names,
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

    As in Keras, the config holds only ``name`` and ``reduction`` (``delta`` is not saved).

    Args:
        delta: the switch point (> 0).
        reduction, name, dtype: see ``Loss``.
    """, params=(("delta", 1.0),), config=())
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
        axis: the class axis (e.g. 1 for channels-first outputs; not part of the config, as in
            Keras).

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> scce = losses.SparseCategoricalCrossentropy(from_logits=True)
        >>> round(scce(np.array([2]), np.array([[1.0, 1.0, 3.0]])).item(), 4)
        0.2395
    """, params=(("from_logits", False), ("ignore_class", None)), mid=(("axis", -1),),
    config=("from_logits", "ignore_class"), masked_fn=F.sparse_ce_and_mask)
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

    As in Keras, the config holds only ``name`` and ``reduction`` (``axis`` is not saved).

    Args:
        axis: the axis holding the vectors.
        reduction, name, dtype: see ``Loss``.
    """, params=(("axis", -1),), config=())

BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", _focal.binary_focal_crossentropy, "binary_focal_crossentropy",
    """Binary cross-entropy that down-weights easy examples; see ``binary_focal_crossentropy``.

    Args:
        apply_class_balancing: weight positives by ``alpha``, negatives by ``1 - alpha``.
        alpha: the class-balancing weight of positives.
        gamma: the focusing parameter.
        from_logits, label_smoothing, axis: as for ``BinaryCrossentropy``.
        reduction, name, dtype: see ``Loss``.

    Example:
        >>> import numpy as np
        >>> from numdeep import losses
        >>> loss = losses.BinaryFocalCrossentropy(gamma=2.0)
        >>> y_pred = np.array([[0.9, 0.8], [0.7, 0.2]], dtype="float32")
        >>> round(loss(np.array([[1, 0], [1, 0]]), y_pred).item(), 3)
        0.268
    """, params=(("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0))
    + _FROM_LOGITS)
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", _focal.categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    """Categorical cross-entropy that down-weights easy examples; see
    ``categorical_focal_crossentropy``.

    Args:
        alpha: the weighting factor.
        gamma: the focusing parameter.
        from_logits, label_smoothing, axis: as for ``CategoricalCrossentropy``.
        reduction, name, dtype: see ``Loss``.
    """, params=(("alpha", 0.25), ("gamma", 2.0)) + _FROM_LOGITS)
CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", _focal.categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy",
    """Generalized cross-entropy for integer labels, robust to label noise; see
    ``categorical_generalized_cross_entropy``.

    Args:
        q: the exponent, in ``(0, 1)``.
        reduction, name, dtype: see ``Loss``.
    """, params=(("q", 0.5),))
Dice = _loss_class(
    "Dice", _overlap.dice, "dice",
    """Dice loss for segmentation; see ``dice``.

    Args:
        reduction, name, dtype: see ``Loss``.
        axis: the axes summed over (``None``: all of them, one loss for the batch).
    """, late=(("axis", None),))
Tversky = _loss_class(
    "Tversky", _overlap.tversky, "tversky",
    """Tversky loss for segmentation; see ``tversky``.

    Args:
        alpha: weight of the false-positive term.
        beta: weight of the false-negative term.
        reduction, name, dtype: see ``Loss``.
        axis: the axes summed over (``None``: all of them).
    """, params=(("alpha", 0.5), ("beta", 0.5)), late=(("axis", None),))
Circle = _loss_class(
    "Circle", circle, "circle",
    """Circle loss for metric learning on L2-normalized embeddings; see ``circle``.

    Samples whose loss is 0 are left out of the default reduction's average, as in Keras.

    Args:
        gamma: the scale factor.
        margin: the relaxation margin.
        remove_diagonal: do not pair an embedding with itself.
        reduction, name, dtype: see ``Loss``.
    """, params=(("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)),
    masked_fn=circle_and_mask)
CTC = _loss_class(
    "CTC", ctc, "ctc",
    """Connectionist temporal classification loss (0 is the blank and the padding); see
    ``ctc``.""")

CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
           MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy,
           CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
           SquaredHinge, CategoricalHinge, CosineSimilarity, BinaryFocalCrossentropy,
           CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Dice, Tversky,
           Circle, CTC)
