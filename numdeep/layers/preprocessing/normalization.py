"""``Normalization``: feature-wise standardization with statistics from ``adapt(data)`` or given
``mean``/``variance``."""

import itertools

import numpy as np

from numdeep.autograd import Tensor
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical


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
            raise ValueError(f"When setting values directly, both `mean` and `variance` must "
                             f"be set. Received: mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"When setting values directly, `mean` and `variance` must have "
                             f"the same shape. Received: mean shape {np.shape(mean)} and "
                             f"variance shape {np.shape(variance)}")
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of "
                             f"axes ({len(self.axis)}). Received: mean shape {np.shape(mean)} "
                             f"for axis {self.axis}")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def _stat_shape(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        axes = sorted(a % ndim for a in self.axis)
        unknown = [a for a in axes if input_shape[a] is None]
        if unknown:
            raise ValueError(f"All `axis` values to be kept must have a known shape. Received "
                             f"axis={self.axis}, inputs.shape={tuple(input_shape)}, with "
                             f"unknown axis at index {unknown[0]}")
        return axes, tuple(input_shape[a] for a in axes)

    def _given(self, value, shape):
        """A given mean or variance aligned right to left with the kept axes (Keras's rule),
        broadcast to ``shape``."""
        value = np.asarray(value, dtype=np.float64)
        value = value.reshape((1,) * (len(shape) - value.ndim) + value.shape)
        return np.broadcast_to(value, shape)

    def build(self, input_shape):
        self._axes, shape = self._stat_shape(input_shape)
        self._ndim = len(input_shape)
        self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
        self._build_shape = tuple(input_shape)
        if self.input_mean is not None:
            self.mean.data[...] = self._given(self.input_mean, shape)
            self.variance.data[...] = self._given(self.input_variance, shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance along the kept axes of ``data``: an array, or an
        iterable of batches (a list, a generator, a ``PyDataset``; ``(x, y)`` batches give
        ``x``), merged batch by batch."""
        if isinstance(data, np.ndarray | Tensor):
            batches = iter([categorical.to_numpy(data)])
        elif hasattr(data, "__iter__") or hasattr(data, "__getitem__"):
            batches = categorical.iterate_batches(data, steps, lambda d: False)
        else:
            raise TypeError(f"Unsupported data type: {type(data)}. `adapt` supports "
                            f"`np.ndarray`, tensors, `keras.utils.PyDataset`, and iterables of "
                            f"batches (e.g. list, generator).")
        first = next(batches, None)
        if first is None:
            raise ValueError("adapt() received an empty iterable (no batches). Expected at "
                             "least one batch. Pass a non-empty iterable of arrays or tensors, "
                             "e.g. layer.adapt([x]) or layer.adapt(list_of_batches).")
        if not hasattr(first, "shape"):
            raise TypeError(f"adapt() expects an iterable that yields arrays or tensors with a "
                            f"`.shape` attribute (e.g. numpy arrays or backend tensors). Got an "
                            f"element of type {type(first).__name__}.")
        self._maybe_build(tuple(first.shape))
        mean, var, count = None, None, 0
        for batch in itertools.chain([first], batches):
            batch = np.asarray(categorical.to_numpy(batch), dtype=np.float64)
            if batch.ndim != len(self._build_shape) or any(
                    batch.shape[a] != self._build_shape[a] for a in self._axes):
                raise ValueError(f"adapt() yielded a batch with an incompatible shape. The "
                                 f"layer was built with input_shape={self._build_shape}, got "
                                 f"{tuple(batch.shape)}.")
            reduce_axes = tuple(a for a in range(batch.ndim) if a not in self._axes)
            n = int(np.prod([batch.shape[a] for a in reduce_axes]))
            b_mean, b_var = batch.mean(axis=reduce_axes), batch.var(axis=reduce_axes)
            if mean is None:
                mean, var, count = b_mean, b_var, n
                continue
            # Merge by the lack-of-fit decomposition (Keras's formula): the pooled variance is
            # the weighted within-batch variance plus the spread of the batch means.
            count += n
            w = n / count
            new_mean = mean * (1 - w) + b_mean * w
            var = (var + (mean - new_mean) ** 2) * (1 - w) + (b_var + (b_mean - new_mean) ** 2) * w
            mean = new_mean
        self.mean.data[...] = np.reshape(mean, self.mean.shape)
        self.variance.data[...] = np.reshape(var, self.variance.shape)

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
