"""``Input``: the entry point of a functional model (and what ``input_shape=`` creates)."""

from numdeep.backend import floatx
from numdeep.layers.layer import Layer
from numdeep.ops.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The layer behind ``Input``: holds the expected batch shape and passes data through."""

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 **kwargs):
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        kwargs.pop("optional", None)
        if batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape", None)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs `shape` (one sample's shape) or `batch_shape`.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        super().__init__(name=name or None, dtype=dtype or floatx(), **kwargs)
        self.batch_shape = tuple(None if s is None else int(s) for s in batch_shape)
        self.built = True
        output = KerasTensor(self.batch_shape, dtype=self.dtype, name=self.name)
        Node(self, (), {}, output)
        output.name = self.name

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """A symbolic input of one-sample ``shape`` (``None`` marks a variable size).

    Args:
        shape: shape of one sample, e.g. ``(28, 28)`` or ``(None, 1)`` for variable length.
        batch_size: fixed batch size, usually left ``None``.
        dtype: input dtype (default ``floatx()``; integer dtypes for token ids).
        name: optional name.
        batch_shape: the full shape including the batch axis, instead of ``shape``.

    Returns:
        A ``KerasTensor`` to call layers on and then pass to ``Model(inputs, outputs)``.

    Example:
        >>> import numdeep as nd
        >>> x = nd.Input(shape=(4,))
        >>> x.shape
        (None, 4)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name)
    return layer.output
