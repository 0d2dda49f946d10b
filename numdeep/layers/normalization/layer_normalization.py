"""Per-sample normalization layers: ``LayerNormalization``, ``RMSNormalization`` and
``UnitNormalization`` (Keras names, defaults and weight layouts), and the gamma/beta bookkeeping
``GroupNormalization`` shares.

Unlike ``BatchNormalization`` these use each sample's own statistics, so they behave the same in
training and inference and keep no moving averages. The axes are resolved against each input's
rank when called (negative axes count from the end), so a layer built on one rank normalizes
inputs of another, as Keras's do.
"""

import warnings

from numdeep import constraints, initializers, regularizers
from numdeep.autograd.primitives.normalization import LayerNorm
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops

_AXIS_MESSAGE = "Expected an int or a list/tuple of ints for the argument 'axis', but received: "


def normalization_axes(axis, message):
    """``axis`` (an int or a list/tuple of ints) as a list; ``TypeError(message)`` otherwise."""
    if isinstance(axis, int) and not isinstance(axis, bool):
        return [axis]
    if isinstance(axis, list | tuple) and axis and all(
            isinstance(a, int) and not isinstance(a, bool) for a in axis):
        return list(axis)
    raise TypeError(message)


def resolve_axes(layer, axes, input_shape):
    """``axes`` as sorted non-negative axes of ``input_shape``, checked (bounds, not the batch
    axis, known sizes)."""
    rank = len(input_shape)
    bad = [a for a in axes if not -rank <= a < rank]
    if bad:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': Axis {bad[0]} is out of "
                         f"bounds for input shape {tuple(input_shape)}. Received: "
                         f"axis={layer.axis}")
    resolved = sorted({a % rank for a in axes})
    if 0 in resolved:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}' cannot normalize over the "
                         f"batch axis 0. Received axis={layer.axis}.")
    missing = [a for a in resolved if input_shape[a] is None]
    if missing:
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}' needs known sizes on the "
                         f"normalized axes {missing}; received input shape {tuple(input_shape)}.")
    return tuple(resolved)


def call_axes(axes, ndim):
    """The normalized axes of a rank-``ndim`` input, sorted and non-negative."""
    return tuple(sorted({a % ndim for a in axes}))


def param_shape(weight_shape, axes, ndim):
    """``weight_shape`` (one size per normalized axis) broadcast against a rank-``ndim``
    input."""
    shape = [1] * ndim
    for a, n in zip(axes, weight_shape):
        shape[a] = n
    return tuple(shape)


def axes_spec(axes, input_shape):
    """An ``InputSpec`` fixing the normalized sizes, keyed as the user gave the axes."""
    low = max(a + 1 if a >= 0 else -a for a in axes)
    return InputSpec(min_ndim=low, axes={a: input_shape[a] for a in axes})


class BaseNormalization(Layer):
    """Shared ``gamma``/``beta`` bookkeeping (created in that order, as Keras does)."""

    supports_masking = True

    def _init_params(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                     gamma_regularizer, beta_constraint, gamma_constraint):
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _build_params(self, shape, use_gamma, use_beta):
        self.gamma = self.beta = None
        if use_gamma:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if use_beta:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def compute_output_shape(self, input_shape):
        for a in getattr(self, "_axes", [getattr(self, "axis", -1)]):
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(f"Axis {a} is out of bounds for input shape "
                                 f"{tuple(input_shape)}. Received: axis={self.axis}")
        return input_shape

    def _param_config(self):
        return dict(
            center=self.center, scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )


class LayerNormalization(BaseNormalization):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    The Transformer's normalization (Ba et al., 2016): statistics are per sample (and per
    position), so it behaves the same in training and inference. ``gamma`` and ``beta`` span the
    normalized axes, e.g. shape ``(features,)`` for the default ``axis=-1``.

    Args:
        axis: axis or list of axes to normalize over (not the batch axis).
        epsilon: added to the variance (Keras default ``1e-3``; PyTorch and BERT use ``1e-5`` /
            ``1e-12``).
        center: learn an offset ``beta``.
        scale: learn a scale ``gamma``.
        rms_scaling: Keras's deprecated shortcut ``x * gamma / sqrt(var + epsilon)`` (no
            centering, no ``beta``); ``RMSNormalization`` is the real RMS norm.
        beta_initializer, gamma_initializer: initializers (``zeros``, ``ones``).
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional projections after each update.

    Call arguments:
        inputs: a tensor of any rank.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.LayerNormalization(epsilon=0.0)
        >>> layer(np.array([[1.0, 2.0, 3.0]], dtype="float32")).numpy().round(4)
        array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
        >>> [w.name for w in layer.weights]
        ['gamma', 'beta']
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                          "incorrectly scales the input by the variance, not the root mean "
                          "square. To correctly use RMS Normalization, please use "
                          "`keras.layers.RMSNormalization` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self._axes = normalization_axes(axis, f"{_AXIS_MESSAGE}{axis!r}")
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.epsilon = float(epsilon)
        if self.epsilon < 0:
            raise ValueError(f"LayerNormalization `epsilon` must be >= 0. Received: {epsilon}")
        self.rms_scaling = bool(rms_scaling)
        self._init_params(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        axes = resolve_axes(self, self._axes, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        self._build_params(shape, self.scale or self.rms_scaling,
                           self.center and not self.rms_scaling)
        self.input_spec = axes_spec(self._axes, input_shape)

    def call(self, inputs):
        axes = call_axes(self._axes, inputs.ndim)
        if self.rms_scaling:
            var = ops.var(inputs, axis=axes, keepdims=True)
            y = inputs * ops.power(var + self.epsilon, -0.5)
            return y * self.gamma.reshape(param_shape(self.gamma.shape, axes, inputs.ndim))
        args = [inputs, self.gamma, self.beta]
        while args[-1] is None:
            args.pop()
        return LayerNorm.apply(*args, axis=axes, epsilon=self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon, rms_scaling=self.rms_scaling,
                      **self._param_config())
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: axis or list of axes over which the norm is taken.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.UnitNormalization()(np.array([[3.0, 4.0]], dtype="float32")).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self._axes = normalization_axes(
            axis, f"Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                  f"Received: axis={axis}")
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        sq = ops.sum(inputs * inputs, axis=call_axes(self._axes, inputs.ndim), keepdims=True)
        # NOTE: the floor goes on the squared norm, so an all-zero sample gives 0 with gradient
        # 1e12 rather than the NaN of sqrt's derivative at 0.
        return inputs * ops.power(ops.maximum(sq, 1e-24), -0.5)

    def compute_output_shape(self, input_shape):
        if any(not -len(input_shape) <= a < len(input_shape) for a in self._axes):
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape "
                             f"{tuple(input_shape)}.")
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019): ``x / sqrt(mean(x^2) + eps) *
    scale``, with no centering and no offset.

    Args:
        axis: axis or list of axes to normalize over.
        epsilon: added to the mean square (Keras default ``1e-6``).

    Call arguments:
        inputs: a tensor of any rank.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RMSNormalization(epsilon=0.0)
        >>> layer(np.array([[1.0, -1.0]], dtype="float32")).numpy()
        array([[ 1., -1.]], dtype=float32)
        >>> [w.name for w in layer.weights]
        ['scale']
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self._axes = normalization_axes(axis, f"{_AXIS_MESSAGE}{axis!r}")
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        axes = resolve_axes(self, self._axes, input_shape)
        self.scale = self.add_weight(tuple(input_shape[a] for a in axes), "ones", name="scale")
        self.input_spec = axes_spec(self._axes, input_shape)

    def call(self, inputs):
        axes = call_axes(self._axes, inputs.ndim)
        ms = ops.mean(inputs * inputs, axis=axes, keepdims=True)
        scale = self.scale.reshape(param_shape(self.scale.shape, axes, inputs.ndim))
        return inputs * ops.power(ms + self.epsilon, -0.5) * scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon)
        return config
