"""Keras's ``serialization_lib`` names: ``serialize_keras_object`` (numdeep's ``serialize``),
``deserialize_keras_object`` (the safe reader), ``SafeModeScope``, ``ObjectSharingScope`` and
``enable_unsafe_deserialization``.

Example:
    >>> import numdeep as nd
    >>> from numdeep.saving import serialization_lib as lib
    >>> entry = lib.serialize_keras_object(nd.layers.Dense(2, name="d"))
    >>> lib.deserialize_keras_object(entry).name
    'd'
"""

from numdeep.saving.object_config import deserialize
from numdeep.saving.serialization import serialize
from numdeep.saving.sharing import (
    ObjectSharingScope,
    SafeModeScope,
    enable_unsafe_deserialization,
    in_safe_mode,
)

__all__ = ["serialize_keras_object", "deserialize_keras_object", "SafeModeScope",
           "ObjectSharingScope", "enable_unsafe_deserialization", "in_safe_mode"]

serialize_keras_object = serialize
deserialize_keras_object = deserialize
