"""``GroupNormalization``: layer normalization over groups of channels (Keras's arguments)."""

from numdeep.autograd.primitives.normalization import LayerNorm
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.normalization.layer_normalization import BaseNormalization, resolve_axes


class GroupNormalization(BaseNormalization):
    """Normalizes each sample over groups of channels (Wu & He, 2018).

    The channels on ``axis`` are split into ``groups`` groups; mean and variance are taken over
    each group's channels and all other non-batch axes. ``groups=1`` normalizes the whole sample
    (with per-channel ``gamma``/``beta``), ``groups=-1`` (one channel per group) is instance
    normalization.

    Args:
        groups: number of groups; the channel count must be a multiple of it.
        axis: the channel axis (an int).
        epsilon: added to the variance.
        center, scale, beta_initializer, gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint: as in
            ``LayerNormalization``; ``gamma``/``beta`` have shape ``(channels,)``.

    Call arguments:
        inputs: a tensor of rank >= 2 with known size on ``axis``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GroupNormalization(groups=2)
        >>> layer(np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")).shape
        (2, 5, 4)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0
                                                                       and groups != -1):
            raise ValueError(f"Received an invalid value for argument `groups`, expected a "
                             f"positive integer (or `-1` for instance normalization). "
                             f"Received: groups={groups}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization `axis` must be an int. Received: {axis!r}")
        super().__init__(**kwargs)
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self._init_params(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis] if -len(input_shape) <= self.axis < len(input_shape) \
            else None
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension "
                             f"but the layer received an input with shape {input_shape}.")
        (axis,) = resolve_axes(self, [self.axis], input_shape)
        groups = dim if self.groups == -1 else self.groups
        if dim < groups:
            raise ValueError(f"Number of groups ({groups}) cannot be more than the number of "
                             f"channels ({dim}).")
        if dim % groups:
            raise ValueError(f"Number of groups ({groups}) must be a multiple of the number of "
                             f"channels ({dim}).")
        self._axis, self._groups = axis, groups
        self._build_params((dim,), self.scale, self.center)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: dim})

    def call(self, inputs, training=False):
        shape, axis, groups = inputs.shape, self._axis, self._groups
        grouped = shape[:axis] + (groups, shape[axis] // groups) + shape[axis + 1:]
        reduce = tuple(a for a in range(1, len(grouped)) if a != axis)
        # NOTE: the fused LayerNorm (without gamma/beta) over each group; the per-channel
        # affine part follows on the original shape.
        y = LayerNorm.apply(inputs.reshape(grouped), axis=reduce, epsilon=self.epsilon)
        y = y.reshape(shape)
        param_shape = tuple(shape[a] if a == axis else 1 for a in range(len(shape)))
        if self.gamma is not None:
            y = y * self.gamma.reshape(param_shape)
        if self.beta is not None:
            y = y + self.beta.reshape(param_shape)
        return y

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups, axis=self.axis, epsilon=self.epsilon,
                      **self._param_config())
        return config
