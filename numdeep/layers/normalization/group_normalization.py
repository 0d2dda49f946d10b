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
            gamma_regularizer: as in ``LayerNormalization``; ``gamma``/``beta`` have shape
            ``(channels,)``.

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
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups < 1
                                                                       and groups != -1):
            raise ValueError(f"GroupNormalization `groups` must be a positive int or -1. "
                             f"Received: groups={groups!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization `axis` must be an int. Received: {axis!r}")
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self._init_params(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        (axis,) = resolve_axes(self, [self.axis], input_shape)
        dim = input_shape[axis]
        groups = dim if self.groups == -1 else self.groups
        if dim < groups or dim % groups:
            raise ValueError(
                f"GroupNormalization layer '{self.name}': the {dim} channels on axis {self.axis} "
                f"must be a multiple of groups={groups} (and at least as many). Received input "
                f"shape {tuple(input_shape)}."
            )
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
