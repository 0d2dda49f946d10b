"""``Normalization``: feature-wise standardization with statistics from ``adapt(data)`` or given
``mean``/``variance``."""

import numpy as np

from numdeep.layers.layer import Layer


class Normalization(Layer):
    """Standardises features: ``(x - mean) / sqrt(variance)``, with statistics learnt by
    ``adapt(data)`` (or given) and saved with the model's weights.

    Args:
        axis: the axis (or axes) that keep separate statistics, ``-1`` = one per feature;
            ``None`` = one mean and variance for everything.
        mean, variance: fixed statistics instead of ``adapt``.
        invert: apply the inverse transformation (``x * std + mean``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> data = np.array([[1.0, 10.0], [3.0, 30.0]], dtype="float32")
        >>> norm = nd.layers.Normalization()
        >>> norm.adapt(data)
        >>> norm(data).data
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis) if axis is not None else ()
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: pass both `mean` and `variance`, or neither.")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def _stat_shape(self, input_shape):
        ndim = len(input_shape)
        axes = sorted(a % ndim for a in self.axis)
        if 0 in axes:
            raise ValueError(f"Normalization layer '{self.name}' cannot keep statistics "
                             f"along the batch axis 0.")
        unknown = [a for a in axes if input_shape[a] is None]
        if unknown:
            raise ValueError(f"Normalization layer '{self.name}' needs known sizes on axes "
                             f"{axes}; received input shape {tuple(input_shape)}.")
        return axes, tuple(input_shape[a] for a in axes)

    def build(self, input_shape):
        self._axes, shape = self._stat_shape(input_shape)
        self._ndim = len(input_shape)
        self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
        if self.input_mean is not None:
            self.mean.data[...] = np.broadcast_to(np.asarray(self.input_mean), shape)
            self.variance.data[...] = np.broadcast_to(np.asarray(self.input_variance), shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` (an array of samples) along the kept axes."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
        if data.shape[0] == 0:
            raise ValueError(f"Normalization layer '{self.name}': adapt() received no samples.")
        self._maybe_build(tuple((None,) + data.shape[1:]))
        reduce_axes = tuple(a for a in range(data.ndim) if a not in self._axes)
        self.mean.data[...] = data.mean(axis=reduce_axes).reshape(self.mean.shape)
        self.variance.data[...] = data.var(axis=reduce_axes).reshape(self.variance.shape)

    def _broadcast(self, w):
        shape = [1] * self._ndim
        for a, n in zip(self._axes, w.shape):
            shape[a] = n
        return w.data.reshape(shape)

    def call(self, inputs, training=False):
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        mean = self._broadcast(self.mean)
        std = np.maximum(np.sqrt(self._broadcast(self.variance)), 1e-7).astype(self.dtype)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) * (1.0 / std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        axis = list(self.axis) if self.axis else None
        config.update(axis=axis, invert=self.invert, mean=_listify(self.input_mean),
                      variance=_listify(self.input_variance))
        return config


def _listify(x):
    return np.asarray(x).tolist() if x is not None else None
