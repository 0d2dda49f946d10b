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
    >>> loss = losses.get("SparseCategoricalCrossentropy")
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
    "get", "resolve", "serialize", "deserialize",
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
_CLASS_TO_FN = {cls: cls.fn for cls in CLASSES}


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
    """Keras's ``losses.get``: a loss from a name, config dict, instance, class or function.

    As in Keras, the name of a loss *function* or its alias (``'mse'``,
    ``'sparse_categorical_crossentropy'``) gives the function, which returns per-sample losses;
    a class name (``'MeanSquaredError'``), a config dict or a class gives an instance, which
    reduces; a callable or a ``Loss`` instance is returned as it is. ``resolve`` always gives
    a ``Loss`` object (what ``compile`` uses).

    Args:
        identifier: ``None`` (returns None), a string, a Keras config dict, a ``Loss`` class or
            instance, or a callable ``fn(y_true, y_pred)``.
        custom_objects: optional ``{name: Loss subclass or function}`` extra names.

    Example:
        >>> from numdeep import losses
        >>> losses.get("mse") is losses.mean_squared_error
        True
        >>> losses.get("MeanSquaredError")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
        >>> import numpy as np
        >>> y_pred = np.array([[1.0], [1.0]], dtype="float32")
        >>> losses.get("mse")(np.array([[0.0], [1.0]]), y_pred).numpy()  # per sample
        array([1., 0.], dtype=float32)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        obj = _KIND.get(identifier, custom_objects)
        if isinstance(obj, Loss) and type(obj) in _CLASS_TO_FN and \
                type(obj).__name__ != identifier:
            return _CLASS_TO_FN[type(obj)]  # a function's name or alias: the function
        return obj
    if isinstance(identifier, type):
        return resolve(identifier, custom_objects)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def resolve(identifier, custom_objects=None):
    """The ``Loss`` object for any loss identifier (what ``compile`` and the metrics use).

    Like ``get``, but a function (or a function's name) becomes its class when it is one of
    numdeep's own (``mse`` -> ``MeanSquaredError()``) and is wrapped in
    ``LossFunctionWrapper`` otherwise, so the result always reduces.

    Example:
        >>> from numdeep import losses
        >>> losses.resolve("mse")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
        >>> losses.resolve("binary_crossentropy").get_config()["from_logits"]
        False
    """
    if isinstance(identifier, dict):
        obj = deserialize(identifier, custom_objects)
        if obj is None or isinstance(obj, Loss):
            return obj
        identifier = obj
    obj = _KIND.get(identifier, custom_objects)
    if obj is None or isinstance(obj, Loss):
        return obj
    if callable(obj):
        cls = _FN_TO_CLASS.get(obj)
        if cls is not None:
            return cls()
        return LossFunctionWrapper(obj, name=identifier if isinstance(identifier, str) else None)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
