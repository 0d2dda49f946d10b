"""numdeep: deep learning on NumPy, with its own autograd engine and the Keras API.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> nd.utils.set_random_seed(0)
    >>> model = nd.Sequential([
    ...     nd.layers.Dense(8, activation="relu", input_shape=(2,)),
    ...     nd.layers.Dense(1, activation="sigmoid"),
    ... ])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    >>> history = model.fit(x, np.array([0, 1, 1, 1]), epochs=3, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
"""

import os as _os
import sys as _sys

# OpenBLAS's idle threads spin for ~0.1 s (2^28 cycles) after every matrix product by default,
# holding the other cores that numdeep's own threads need for the non-BLAS work (pooling,
# im2col, softmax, normalization): measured at 2 threads, the tutorial CNN's training step took
# 46 ms with the default and 35 ms with 2^18 cycles (~0.1 ms), BatchNorm's 50 -> 31 ms. OpenBLAS
# reads the variable once, when NumPy loads it, so it can only be set here when numdeep is
# imported before NumPy (a script that imports NumPy first can export it itself); a value the
# user set is kept.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")

from numdeep import (  # noqa: E402 - after the environment above
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    keras,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    tree,
    utils,
)
from numdeep.autograd import Function, GradientTape, Tensor, Variable, grad, gradcheck, no_grad
from numdeep.autograd.remat import RematScope
from numdeep.layers import Input, InputSpec, Layer
from numdeep.losses import Loss
from numdeep.metrics import Metric
from numdeep.models import Model, Sequential
from numdeep.ops.symbolic import KerasTensor
from numdeep.optimizers import Optimizer

__version__ = "0.1.0"


def __getattr__(name):
    # numdeep.saving pulls in h5py and applications the model zoo; they load on first use so
    # `import numdeep` stays fast (preprocessing: keras.preprocessing's names for utils).
    if name in ("saving", "applications", "preprocessing"):
        import importlib

        return importlib.import_module(f"numdeep.{name}")
    raise AttributeError(f"module 'numdeep' has no attribute {name!r}")

__all__ = [
    "Function", "GradientTape", "Input", "InputSpec", "KerasTensor", "Layer", "Loss", "Metric",
    "Model", "Optimizer", "RematScope", "Sequential", "Tensor",
    "Variable", "activations", "backend", "constraints", "keras", "models", "random", "tree",
    "callbacks", "datasets", "grad", "gradcheck", "initializers", "layers", "losses", "metrics",
    "no_grad", "ops", "optimizers", "regularizers", "utils",
]
