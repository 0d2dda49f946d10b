"""Saving and loading: Keras-compatible ``.keras`` and ``.h5`` files, safe by construction.

Files move between numdeep and Keras in both directions (configs use Keras class names and
arguments, weights the Keras variable layouts). Loading resolves every class and function through
an allow-list, never imports a ``module`` string, never unpickles and never runs code from the
file; damaged files raise ``CorruptFileError`` and refused ones ``UnsafeFileError`` (a
``CorruptFileError``), both naming the file and the problem. Every write is atomic.

Keras's module layout is kept: ``saving_api`` (``api``), ``saving_lib``, ``serialization_lib``
and ``object_registration`` (``numdeep.registry``).

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import numdeep as nd
    >>> model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3, activation="relu"),
    ...                        nd.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> model.save(path)
    >>> restored = nd.models.load_model(path)
    >>> x = np.ones((2, 4), "float32")
    >>> bool(np.array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0)))
    True
"""

from numdeep.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)
from numdeep.saving import saving_lib, serialization_lib
from numdeep.saving.api import (
    compile_from_config,
    get_compile_config,
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    save_model,
    save_weights,
)
from numdeep.saving.atomic import atomic_write
from numdeep.saving.cloning import clone_model
from numdeep.saving.errors import ConfigTypeError, CorruptFileError, UnsafeFileError
from numdeep.saving.object_config import deserialize
from numdeep.saving.safety import LIMITS, Limits
from numdeep.saving.serialization import serialize
from numdeep.saving.sharing import ObjectSharingScope, SafeModeScope

__all__ = [
    "ConfigTypeError", "CorruptFileError", "LIMITS", "Limits", "UnsafeFileError",
    "atomic_write", "deserialize", "compile_from_config", "get_compile_config",
    "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "model_from_config", "model_from_json", "register_serializable", "save_model",
    "save_weights", "serialize", "custom_object_scope", "get_custom_objects",
    "register_keras_serializable", "serialize_keras_object", "deserialize_keras_object",
    "CustomObjectScope", "ObjectSharingScope", "SafeModeScope", "saving_lib",
    "serialization_lib", "clone_model",
]

serialize_keras_object = serialize
deserialize_keras_object = deserialize
