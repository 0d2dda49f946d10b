"""Losses with Keras 3 names, arguments, defaults and reductions.

Every loss comes as a function (``mean_squared_error(y_true, y_pred)``) returning per-sample
losses and as a class (``MeanSquaredError()``, in ``classes``) whose call adds ``sample_weight``
and the reduction (``base``). The functions live by family: ``functions`` (regression, hinge,
the cross-entropies), ``focal`` (focal and generalized cross-entropies), ``overlap`` (Dice,
Tversky), ``circle`` (metric learning) and ``ctc`` (sequence labelling). ``y_true`` is data
(a NumPy array or array-like); ``y_pred`` is a Tensor (arrays are accepted, cast to the loss's
dtype, ``floatx()`` by default) and the result is differentiable with respect to it.

Example:
    >>> import numpy as np
    >>> from numdeep import losses
    >>> loss = losses.get("sparse_categorical_crossentropy")
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]], dtype="float32")
    >>> round(loss(np.array([0, 1]), probs).item(), 4)
    0.1643
"""

from numdeep import registry
from numdeep.losses.base import (
    EPSILON as EPSILON,
)
from numdeep.losses.base import (
    REDUCTIONS as REDUCTIONS,
)
from numdeep.losses.base import (
    Loss,
    LossFunctionWrapper,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
from numdeep.losses.circle import circle
from numdeep.losses.classes import (
    CLASSES,
    CTC,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CategoricalHinge,
    Circle,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
)
from numdeep.losses.ctc import ctc
from numdeep.losses.focal import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from numdeep.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    crossentropy,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from numdeep.losses.overlap import dice, tversky

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity", "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "Dice", "Tversky", "Circle", "CTC",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "dice", "tversky", "circle", "ctc", "crossentropy",
    "get", "serialize", "deserialize",
]

_KIND = registry.Kind("loss", "keras.losses", base=Loss)
_KIND.register(Loss)
for _cls in CLASSES:
    _KIND.register(_cls, _cls.fn.__name__)
    _KIND.functions[_cls.fn.__name__] = _cls.fn
_KIND.aliases.update(
    mse=MeanSquaredError, MSE=MeanSquaredError, mae=MeanAbsoluteError, MAE=MeanAbsoluteError,
    mape=MeanAbsolutePercentageError, MAPE=MeanAbsolutePercentageError,
    msle=MeanSquaredLogarithmicError, MSLE=MeanSquaredLogarithmicError, huber_loss=Huber,
    logcosh=LogCosh, bce=BinaryCrossentropy, BCE=BinaryCrossentropy, kld=KLDivergence,
    KLD=KLDivergence, kullback_leibler_divergence=KLDivergence)
_KIND.functions["kullback_leibler_divergence"] = kl_divergence
# Keras's compile-time "crossentropy"/"ce": the variant is chosen from each batch's shapes.
_KIND.register(crossentropy, "ce")
_FN_TO_CLASS = {cls.fn: cls for cls in CLASSES}


def serialize(loss):
    """Return the Keras 3 config dict of a numdeep loss (``None`` for ``None``).

    Args:
        loss: a built-in ``Loss`` instance.

    Returns:
        ``{'module': 'keras.losses', 'class_name': ..., 'config': ..., 'registered_name': None}``.
    """
    if loss is not None and not isinstance(loss, CLASSES):
        raise ValueError(f"Cannot serialize {loss!r}: only numdeep's built-in losses have a "
                         "portable config.")
    return _KIND.serialize(loss)


def deserialize(config, custom_objects=None):
    """Build a loss from a Keras config dict ``{'class_name': ..., 'config': ...}``.

    Only registered classes (and ``custom_objects``) are built; a Keras function entry
    (``{'class_name': 'function', 'config': 'mse'}``) resolves by name.
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        return get(config.get("config"), custom_objects)
    return _KIND.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Resolve a loss from a name, config dict, instance, class or function.

    Args:
        identifier: ``None`` (returns None); a string (``'mse'``,
            ``'sparse_categorical_crossentropy'``, ``'MeanSquaredError'``, ...); a Keras config
            dict; a ``Loss`` instance (returned as is) or class (instantiated); or a callable
            ``fn(y_true, y_pred)`` returning per-sample losses (wrapped in
            ``LossFunctionWrapper``; numdeep's own loss functions map to their classes).
        custom_objects: optional ``{name: Loss subclass}`` extra names.

    Returns:
        A ``Loss`` instance.

    Example:
        >>> from numdeep import losses
        >>> losses.get("mse")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
        >>> losses.get("binary_crossentropy").get_config()["from_logits"]
        False
    """
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    obj = _KIND.get(identifier, custom_objects)
    if obj is None or isinstance(obj, Loss):
        return obj
    if callable(obj):
        cls = _FN_TO_CLASS.get(obj)
        if cls is not None:
            return cls()
        return LossFunctionWrapper(obj, name=identifier if isinstance(identifier, str) else None)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
