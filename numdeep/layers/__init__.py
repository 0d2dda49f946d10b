"""Layers with Keras names, arguments and weight layouts."""

from numdeep.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from numdeep.layers.base import InputSpec, Layer, clear_session
from numdeep.layers.core import Activation, Dense, Identity
from numdeep.layers.input_layer import Input, InputLayer
from numdeep.layers.preprocessing import Normalization, Rescaling
from numdeep.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
)
from numdeep.layers.reshaping import Flatten, Reshape

__all__ = [
    "Activation", "Dense", "Dropout", "ELU", "Flatten", "Identity", "Input", "InputLayer",
    "InputSpec", "Layer", "LeakyReLU", "Normalization", "ReLU", "Rescaling", "Reshape", "Softmax",
    "clear_session", "ActivityRegularization", "GaussianDropout", "GaussianNoise",
]
