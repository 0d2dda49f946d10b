"""The functional forms of the merge layers (``keras.layers.add`` and friends): each builds the
layer from ``**kwargs`` and calls it on ``inputs``, eager tensors or symbolic ones alike."""

from numdeep.layers.merging.concatenate import Concatenate
from numdeep.layers.merging.dot import Dot
from numdeep.layers.merging.elementwise import Add, Average, Maximum, Minimum, Multiply, Subtract


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.add([np.ones((1, 2)), np.ones((1, 2))]).numpy()
        array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the first of two tensors minus the second.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.subtract([np.full((1, 2), 3.0), np.ones((1, 2))]).numpy()
        array([[2., 2.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.multiply([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).numpy()
        array([[6., 6.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.average([np.zeros((1, 2)), np.full((1, 2), 4.0)]).numpy()
        array([[2., 2.]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.maximum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[3., 5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.minimum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[1., 2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: a list of tensors joined along ``axis``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.concatenate([np.zeros((2, 3)), np.ones((2, 1))]).shape
        (2, 4)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``Dot(axes=axes, **kwargs)(inputs)``: per-sample dot products of two tensors.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.dot([np.ones((1, 3)), np.ones((1, 3))], axes=1).numpy()
        array([[3.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)
