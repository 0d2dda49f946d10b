"""Merge layers: combine a list of tensors (residual ``Add``, ``Concatenate``, ``Dot``, ...), and
their functional forms (``add``, ``concatenate``, ...).

- ``base``: ``Merge``, the shape rules and mask handling of the elementwise merges
- ``elementwise``: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``
- ``concatenate``, ``dot``: ``Concatenate`` and ``Dot``
- ``functional``: ``add``, ``subtract``, ``multiply``, ``average``, ``maximum``, ``minimum``,
  ``concatenate``, ``dot``

Incompatible shapes raise a ``ValueError`` naming the layer and every input shape.
"""

from numdeep.layers.merging.concatenate import Concatenate
from numdeep.layers.merging.dot import Dot
from numdeep.layers.merging.elementwise import Add, Average, Maximum, Minimum, Multiply, Subtract
from numdeep.layers.merging.functional import (
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add",
    "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
