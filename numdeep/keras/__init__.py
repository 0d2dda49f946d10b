"""``numdeep.keras``: numdeep under the names ``tf.keras`` code uses.

``import numdeep as tf`` makes ``tf.keras.layers.Dense(...)`` work, and
``from numdeep.keras.layers import Dense`` stands in for ``from tensorflow.keras.layers import
Dense``: this module is numdeep's public API again, and its sub-modules are numdeep's.

Example:
    >>> import numdeep as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])
    >>> model.output_shape
    (None, 2)
    >>> from numdeep.keras.layers import Dense
    >>> Dense is tf.layers.Dense
    True
"""

import sys

from numdeep import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from numdeep.autograd import Variable
from numdeep.layers import Input
from numdeep.models import Model, Sequential
from numdeep.ops.symbolic import KerasTensor

__all__ = [
    "activations", "backend", "callbacks", "constraints", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "utils",
    "Input", "KerasTensor", "Model", "Sequential", "Variable",
]

# `from numdeep.keras.layers import Dense`: the sub-modules answer under this package's name.
for _name in ("activations", "backend", "callbacks", "constraints", "datasets", "initializers",
              "layers", "losses", "metrics", "models", "ops", "optimizers", "random",
              "regularizers", "utils"):
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]


def __getattr__(name):
    # numdeep.saving pulls in h5py and applications the model zoo; they load on first use, as
    # under `numdeep` (tf.keras tutorials reach tf.keras.applications / .preprocessing).
    if name in ("saving", "applications", "preprocessing"):
        import importlib

        module = importlib.import_module(f"numdeep.{name}")
        sys.modules[f"{__name__}.{name}"] = module
        return module
    raise AttributeError(f"module 'numdeep.keras' has no attribute {name!r}")
