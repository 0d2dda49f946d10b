"""``BatchNormalization``: batch statistics in training (one fused primitive), moving averages
in inference, Keras's arguments and weight order (gamma, beta, moving_mean, moving_variance)."""

from numdeep import initializers, regularizers
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class BatchNormalization(Layer):
    """Normalizes each channel to zero mean and unit variance, then scales and shifts it.

    In training (``training=True`` and a trainable layer) it uses the batch's mean and (biased)
    variance over every axis but ``axis`` and updates the moving averages in place:
    ``moving = moving * momentum + batch_stat * (1 - momentum)``. At inference it uses the moving
    averages. As in Keras, a layer with ``trainable=False`` always runs in inference mode.

    Weights, in Keras's order: ``gamma`` and ``beta`` (trainable, present when ``scale`` /
    ``center``), then ``moving_mean`` and ``moving_variance`` (non-trainable, saved with the
    model like any weight).

    Args:
        axis: the feature axis (or list of axes), default ``-1`` (channels-last); use ``1`` after
            ``channels_first`` convolutions.
        momentum: moving-average momentum (Keras 0.99 = PyTorch ``momentum=0.01``).
        epsilon: added to the variance (Keras 1e-3; PyTorch uses 1e-5).
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers (zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer: optional penalties.

    Call arguments:
        inputs: tensor of any rank >= 2.
        training: whether to use (and update with) the batch statistics.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> bn = nd.layers.BatchNormalization()
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype="float32")
        >>> bn(x, training=True).data.round(2)
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> [w.name for w in bn.weights]
        ['gamma', 'beta', 'moving_mean', 'moving_variance']
        >>> bn.moving_mean.data.round(4)  # 0.99 * 0 + 0.01 * batch mean
        array([0.02, 0.2 ], dtype=float32)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        owner = f"BatchNormalization layer '{self.name}'"
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError(f"{owner}: weight constraints are not supported yet.")
        if synchronized:
            raise NotImplementedError(f"{owner}: synchronized (multi-device) batch "
                                      f"normalization is not supported.")
        self.axis = axis if isinstance(axis, int) else tuple(int(a) for a in axis)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{owner}: `momentum` must be in [0, 1]. Received: {momentum}")
        if epsilon <= 0:
            raise ValueError(f"{owner}: `epsilon` must be positive. Received: {epsilon}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _axes(self, ndim):
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        if any(not -ndim <= a < ndim for a in axes) or any(a % ndim == 0 for a in axes):
            raise ValueError(f"BatchNormalization layer '{self.name}': invalid axis "
                             f"{self.axis} for a {ndim}-D input (the batch axis 0 cannot be "
                             f"a feature axis).")
        return tuple(sorted(a % ndim for a in axes))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"BatchNormalization layer '{self.name}' needs known sizes on axis "
                             f"{self.axis}; received input shape {tuple(input_shape)}.")
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer,
                                        regularizer=self.beta_regularizer, name="beta")
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self._kept = axes
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: n for a, n in zip(axes, shape)})

    def call(self, inputs, training=False):
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        if training and self.trainable:
            return ops.batch_norm(inputs, self.gamma, self.beta, self._kept, self.epsilon,
                                       self.moving_mean, self.moving_variance, self.momentum)
        shape = [1] * inputs.ndim
        for a, n in zip(self._kept, self.moving_mean.shape):
            shape[a] = n
        # Inference is an affine map per channel: fold the statistics into one scale and shift.
        inv = (self.moving_variance.data + self.epsilon) ** -0.5
        scale = inv if self.gamma is None else self.gamma * inv
        shift = -self.moving_mean.data * scale
        if self.beta is not None:
            shift = shift + self.beta
        return inputs * scale.reshape(shape) + shift.reshape(shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis if isinstance(self.axis, int) else list(self.axis),
            momentum=self.momentum, epsilon=self.epsilon, center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=None, gamma_constraint=None, synchronized=False,
        )
        return config
