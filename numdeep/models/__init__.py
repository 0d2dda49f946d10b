"""Models: ``Sequential``, functional ``Model(inputs, outputs)`` and subclassed ``Model``."""

from numdeep import registry
from numdeep.models.model import Functional, Model
from numdeep.models.sequential import Sequential

__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model", "clone_model",
           "model_from_json"]

_LAYERS = registry.kind("layer")
_LAYERS.register(Sequential)
_LAYERS.register(Model)
_LAYERS.register(Model, "Functional")  # the class name of Keras's functional models


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


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` to ``.keras`` or ``.h5``; see ``numdeep.saving.save_model``."""
    from numdeep.saving import save_model as _save_model

    _save_model(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A copy of ``model`` with new weights; see ``numdeep.saving.clone_model``.

    Example:
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> nd.models.clone_model(model).count_params()
        8
    """
    from numdeep.saving import clone_model as _clone_model

    return _clone_model(model, input_tensors=input_tensors, clone_function=clone_function,
                        call_function=call_function, recursive=recursive, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from ``model.to_json()`` output, through the safe reader; see
    ``numdeep.saving.model_from_json``."""
    from numdeep.saving import model_from_json as _model_from_json

    return _model_from_json(json_string, custom_objects=custom_objects)
