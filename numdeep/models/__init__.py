"""Models: ``Sequential``, functional ``Model(inputs, outputs)`` and subclassed ``Model``."""

from numdeep import registry
from numdeep.models.model import Model
from numdeep.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]

_LAYERS = registry.kind("layer")
_LAYERS.register(Sequential)
_LAYERS.register(Model, "Functional")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved as ``.keras`` or ``.h5`` (by numdeep or Keras), compile state and
    optimizer slots included; see ``numdeep.saving.load_model`` (safe loading, errors).

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> model.save(path)
        >>> nd.models.load_model(path).output_shape
        (None, 2)
    """
    from numdeep.saving import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, compile=compile,
                       safe_mode=safe_mode)
