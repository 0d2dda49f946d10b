"""``Input``: the entry point of a functional model (and what ``input_shape=`` creates)."""

import warnings

from numdeep.backend import backend, floatx, standardize_dtype
from numdeep.layers.layer import Layer
from numdeep.ops.symbolic import KerasTensor, Node


def _shape(shape):
    return tuple(None if s is None else int(s) for s in shape)


def _incompatible(what):
    return ValueError(f"When providing the `input_tensor` argument, you cannot provide an "
                      f"incompatible `{what}` argument.")


class InputLayer(Layer):
    """The layer behind ``Input``: holds the expected batch shape and dtype, and the symbolic
    tensor (``output``) a functional model starts from.

    Args:
        shape: one sample's shape (without the batch axis).
        batch_size: optional fixed batch size.
        dtype: the input dtype (default ``floatx()``).
        sparse, ragged: must be false (numdeep's tensors are dense).
        batch_shape: the full shape, instead of ``shape`` and ``batch_size``.
        input_tensor: an existing ``KerasTensor`` to use as the output (then the other
            arguments, when given, must agree with it).
        optional: whether the model accepts ``None`` for this input.
        name: the layer name.

    Example:
        >>> import numdeep as nd
        >>> layer = nd.layers.InputLayer(shape=(3,), batch_size=8, dtype="int32")
        >>> layer.batch_shape, layer.output.dtype
        ((8, 3), 'int32')
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.",
                          stacklevel=2)
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or None, **kwargs)
        if input_tensor is not None:
            batch_shape = self._check_tensor(input_tensor, shape, batch_size, batch_shape, dtype,
                                             sparse)
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `shape` and `batch_shape` at the same "
                                 "time.")
            if batch_size is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the "
                                 "same time.")
            if shape is None and batch_shape is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                shape = (shape,) if isinstance(shape, int) else tuple(shape)
                batch_shape = (batch_size, *shape)
        self.batch_shape = _shape(batch_shape)
        self.dtype = standardize_dtype(dtype or floatx())
        self.sparse, self.ragged = bool(sparse), bool(ragged)
        for what, flag in (("sparse", self.sparse), ("ragged", self.ragged)):
            if flag:
                raise ValueError(f"`{what}=True` is not supported with the {backend()} backend")
        self.optional = bool(optional)
        if input_tensor is None:
            input_tensor = KerasTensor(self.batch_shape, dtype=self.dtype, name=self.name,
                                       optional=self.optional)
        Node(self, (), {}, input_tensor)
        if input_tensor.name is None:
            input_tensor.name = self.name
        self._input_tensor = input_tensor
        self.built = True

    @staticmethod
    def _check_tensor(tensor, shape, batch_size, batch_shape, dtype, sparse):
        if not isinstance(tensor, KerasTensor):
            raise ValueError(f"Argument `input_tensor` must be a KerasTensor. Received invalid "
                             f"type: input_tensor={tensor} (of type {type(tensor)})")
        if batch_size is not None and (not tensor.shape or tensor.shape[0] != batch_size):
            raise _incompatible("batch_size")
        if shape is not None and tuple(shape) != tuple(tensor.shape[1:]):
            raise _incompatible("shape")
        if batch_shape is not None and tuple(batch_shape) != tuple(tensor.shape):
            raise _incompatible("batch_shape")
        if dtype is not None and standardize_dtype(dtype) != tensor.dtype:
            raise _incompatible("dtype")
        if sparse is not None and bool(sparse) != tensor.sparse:
            raise _incompatible("sparse")
        return tensor.shape

    def call(self):
        return None

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype,
                "sparse": self.sparse, "ragged": self.ragged, "name": self.name,
                "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,  # noqa: N802
          batch_shape=None, name=None, tensor=None, optional=False):
    """A symbolic input of one-sample ``shape`` (``None`` marks a variable size).

    Args:
        shape: shape of one sample, e.g. ``(28, 28)`` or ``(None, 1)`` for variable length.
        batch_size: fixed batch size, usually left ``None``.
        dtype: input dtype (default ``floatx()``; integer dtypes for token ids).
        sparse, ragged: must be false (numdeep's tensors are dense).
        batch_shape: the full shape including the batch axis, instead of ``shape``.
        name: optional name.
        tensor: an existing ``KerasTensor`` to wrap instead of making a new one.
        optional: whether the model accepts ``None`` for this input.

    Returns:
        A ``KerasTensor`` to call layers on and then pass to ``Model(inputs, outputs)``.

    Example:
        >>> import numdeep as nd
        >>> x = nd.Input(shape=(4,))
        >>> x.shape
        (None, 4)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       ragged=ragged, batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output
