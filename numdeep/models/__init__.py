"""Models: ``Sequential``, functional ``Model(inputs, outputs)`` and subclassed ``Model``."""

from numdeep.models.model import Model
from numdeep.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
