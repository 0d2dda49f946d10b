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

from numdeep import (
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    regularizers,
    utils,
)
from numdeep.autograd import Function, GradientTape, Tensor, Variable, grad, gradcheck, no_grad
from numdeep.layers import Input
from numdeep.models import Model, Sequential
from numdeep.ops.symbolic import KerasTensor

__version__ = "0.1.0"


def __getattr__(name):
    # numdeep.saving pulls in h5py; it loads on first use so `import numdeep` stays fast.
    if name == "saving":
        import importlib

        return importlib.import_module("numdeep.saving")
    raise AttributeError(f"module 'numdeep' has no attribute {name!r}")

__all__ = [
    "Function", "GradientTape", "Input", "KerasTensor", "Model", "Sequential", "Tensor",
    "Variable", "activations", "backend",
    "callbacks", "datasets", "grad", "gradcheck", "initializers", "layers", "losses", "metrics",
    "no_grad", "ops", "optimizers", "regularizers", "utils",
]
